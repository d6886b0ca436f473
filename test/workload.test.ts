/**
 * Workloads: call counts read from recordings and maps (errors name the JSON path), what a workload pays under
 * any filter (checked against an independent count with the interpreter and the kernel's cache walk), and filters
 * compiled for a workload: the same verdicts as without it, and a dispatch never dearer for the workload than
 * the table-weighted one (the weighted search is optimal).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constAllow } from '../src/analysis/cache.js';
import { parseWorkload, workloadStats, WorkloadError, type Workload } from '../src/analysis/workload.js';
import { toRaw } from '../src/bpf/instructions.js';
import { compilePolicy } from '../src/compiler/compile.js';
import { rangeDispatch } from '../src/compiler/dispatch/index.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { interpret } from '../src/emulator/interpreter.js';
import { getProfile } from '../src/policy/profiles/index.js';
import type { Policy } from '../src/policy/types.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, type LinuxArchName } from '../src/syscalls/arch.js';
import { lookupSyscall, syscallTable } from '../src/syscalls/resolve.js';
import { argsArb, policyArb } from '../src/testing/arbitraries.js';
import { cli } from './support/cli.js';

const SHELL = 'bench/workloads/shell.json';

/** Counts on x86_64 and i386 drawn from the whole tables, a few numbers very often. */
const workloadArb: fc.Arbitrary<Workload> = fc.tuple(
  fc.array(fc.tuple(fc.constantFrom(...syscallTable('x86_64').map((e) => e.nr)), fc.integer({ min: 1, max: 100_000 })), { minLength: 1, maxLength: 25 }),
  fc.array(fc.tuple(fc.constantFrom(...syscallTable('i386').map((e) => e.nr)), fc.integer({ min: 1, max: 1000 })), { maxLength: 5 }),
).map(([x64, x86]) => ({ abis: new Map<LinuxArchName, Map<number, number>>([['x86_64', new Map(x64)], ...(x86.length > 0 ? [['i386', new Map(x86)] as [LinuxArchName, Map<number, number>]] : [])]) }));

/** A policy and a workload that calls mostly the syscalls its rules name (the calls the filter decides). */
const policyWithWorkloadArb: fc.Arbitrary<[Policy, Workload]> = policyArb({ arches: ['x86_64', 'i386'] }).chain((policy) => {
  const named = policy.rules.flatMap((r) => r.syscalls)
    .map((ref): number | undefined => (typeof ref === 'string' ? lookupSyscall('x86_64', ref)?.nr : ref.arch === 'x86_64' ? ref.nr : undefined))
    .filter((nr): nr is number => nr !== undefined);
  const pool = [...named, ...named, ...syscallTable('x86_64').slice(0, 40).map((e) => e.nr)];
  return fc.array(fc.tuple(fc.constantFrom(...pool), fc.integer({ min: 1, max: 100_000 })), { minLength: 1, maxLength: 12 })
    .map((counts): [Policy, Workload] => [policy, { abis: new Map([['x86_64', new Map(counts)]]) }]);
});

describe('reading call counts', () => {
  it('takes a recording, a {name: count} map, and {ABI: {name: count}}', () => {
    const recording = JSON.parse(readFileSync(SHELL, 'utf8')) as { abis: { x86_64: Record<string, { count: number }> } };
    const fromRecording = parseWorkload(recording);
    expect(fromRecording.abis.get('x86_64')!.get(lookupSyscall('x86_64', 'openat')!.nr)).toBe(recording.abis.x86_64.openat!.count);
    expect(parseWorkload({ read: 5, write: 2, '#999': 1 }).abis.get('x86_64')).toEqual(new Map([[0, 5], [1, 2], [999, 1]]));
    expect(parseWorkload({ i386: { read: 3 }, x32: { read: 4, '#7': 1 } }).abis).toEqual(new Map([
      ['i386', new Map([[3, 3]])], ['x32', new Map([[0x40000000, 4], [0x40000007, 1]])],
    ]));
  });
  it.each([
    [[1, 2], '$: call counts are a JSON object'],
    [{ read: -1 }, '$.read: a call count is a whole number ≥ 0'],
    [{ read: 1.5 }, '$.read: a call count is a whole number ≥ 0'],
    [{ raed: 1 }, '$.raed: no syscall of this name on x86_64'],
    [{ sparc: { read: 1 } }, '$.sparc: unknown ABI'],
    [{ seccompTsRecording: 1, runs: [], abis: { x86_64: { read: {} } } }, '$.abis.x86_64.read: expected {"count": N, ...}'],
  ])('refuses %j', (json, message) => {
    expect(() => parseWorkload(json)).toThrow(WorkloadError);
    expect(() => parseWorkload(json)).toThrow(message);
  });
});

describe('what a workload pays', () => {
  it('equals an independent count: interpreter steps per call, 0 where the kernel cache walk allows', () => {
    fc.assert(fc.property(policyArb({ arches: ['x86_64', 'i386'] }), workloadArb, fc.boolean(), (policy, workload, kernelCache) => {
      const { program } = compilePolicy(policy, performanceCompileOptions());
      const raws = program.map(toRaw);
      let calls = 0;
      let executed = 0;
      for (const [abi, counts] of workload.abis) {
        for (const [nr, n] of counts) {
          const run = interpret(program, { arch: abi, nr });
          const skip = (abi === 'x86_64' && (nr === 335 || nr === 336)) ||
            (kernelCache && constAllow(raws, abi === 'i386' ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64, nr).cached);
          calls += n;
          executed += skip ? 0 : n * run.executed;
        }
      }
      expect(workloadStats(program, workload, { kernelCache }).perCall).toBeCloseTo(executed / calls, 9);
    }), { numRuns: 40 });
  });
  it('is never more with the action cache than without', () => {
    fc.assert(fc.property(policyArb({ arches: ['x86_64', 'i386'] }), workloadArb, (policy, workload) => {
      const { program } = compilePolicy(policy, performanceCompileOptions());
      expect(workloadStats(program, workload).perCall).toBeLessThanOrEqual(workloadStats(program, workload, { kernelCache: false }).perCall);
    }), { numRuns: 30 });
  });
});

describe('filters compiled for a workload', () => {
  it('decide every call as the filter compiled without it', () => {
    fc.assert(fc.property(policyArb(), workloadArb, fc.boolean(), fc.array(argsArb(), { minLength: 2, maxLength: 4 }), (policy, workload, kernelCache, argSets) => {
      const plain = compilePolicy(policy, performanceCompileOptions()).program;
      const tuned = compilePolicy(policy, performanceCompileOptions({ dispatch: { workload: workload.abis, kernelCache } })).program;
      for (const abi of ['x86_64', 'i386', 'x32'] as const) {
        for (const e of syscallTable(abi)) {
          for (const args of [[], ...argSets]) {
            expect(interpret(tuned, { arch: abi, nr: e.nr, args }).raw).toBe(interpret(plain, { arch: abi, nr: e.nr, args }).raw);
          }
        }
      }
      for (const nr of [0xffffffff, 0x3fffffff, 0x7fffffff, 1000]) {
        expect(interpret(tuned, { arch: 'x86_64', nr }).raw).toBe(interpret(plain, { arch: 'x86_64', nr }).raw);
      }
    }), { numRuns: 25 });
  });
  it('dispatch for the workload is never dearer for it than the table-weighted dispatch (optimal weighted search)', () => {
    fc.assert(fc.property(policyArb({ arches: ['x86_64', 'i386'] }), workloadArb, fc.boolean(), (policy, workload, kernelCache) => {
      const table = compilePolicy(policy, { dispatch: rangeDispatch() }).program;
      const tuned = compilePolicy(policy, { dispatch: rangeDispatch({ workload: workload.abis, kernelCache }) }).program;
      const cost = (p: typeof table) => workloadStats(p, workload, { kernelCache }).perCall;
      // Unseen numbers keep a trace (1e-9) of their table weight, which may cost the workload a hair.
      expect(cost(tuned)).toBeLessThanOrEqual(cost(table) * (1 + 1e-4));
    }), { numRuns: 60 });
  });
  it('a far jump of the tuned tree to the default RET costs no extra JA (found by the property above, seed 2)', () => {
    const zero = { arg: 0, op: 'eq', value: 0n } as const;
    const low31 = { arg: 0, op: 'masked_eq', mask: 0x7fffffffn, value: 0n } as const;
    const policy: Policy = {
      defaultAction: { kind: 'ERRNO', data: 38 }, badArchAction: { kind: 'ERRNO', data: 1 }, arches: ['x86_64', 'i386'],
      rules: [
        { syscalls: ['ioctl', 'read'], action: { kind: 'ERRNO', data: 1 }, conditions: [zero, { arg: 0, op: 'masked_eq', mask: 1n, value: 0n }] },
        { syscalls: ['read', 'write', 'ptrace'], action: { kind: 'KILL_THREAD' }, conditions: [zero, zero] },
        { syscalls: ['read', 'prctl'], action: { kind: 'ERRNO', data: 1 }, conditions: [zero, zero] },
        { syscalls: ['close', 'read', 'ptrace'], action: { kind: 'TRACE', data: 0 }, conditions: [low31, zero, zero] },
        { syscalls: ['read', 'openat'], action: { kind: 'ALLOW' }, conditions: [{ arg: 0, op: 'ge', value: 0n }, { arg: 0, op: 'masked_eq', mask: 0x80000000n, value: 0n }] },
        { syscalls: ['read', 'getpid', 'ptrace'], action: { kind: 'KILL_PROCESS' }, conditions: [low31, zero, zero] },
        { syscalls: ['socket'], action: { kind: 'LOG' } },
      ],
    };
    const workload: Workload = { abis: new Map<LinuxArchName, Map<number, number>>([['x86_64', new Map([[272, 2], [238, 2]])], ['i386', new Map([[453, 327], [97, 328], [197, 327]])]]) };
    const table = compilePolicy(policy, { dispatch: rangeDispatch() }).program;
    const tuned = compilePolicy(policy, { dispatch: rangeDispatch({ workload: workload.abis, kernelCache: false }) }).program;
    const cost = (p: typeof table) => workloadStats(p, workload, { kernelCache: false }).perCall;
    expect(tuned.length).toBeGreaterThan(256); // long enough that the tree needs trampolines
    expect(cost(tuned)).toBeLessThan(cost(table));
  });
  it('testing hot syscalls first never costs the workload more than the tree alone, and keeps every verdict', () => {
    fc.assert(fc.property(policyWithWorkloadArb, fc.boolean(), argsArb(), ([policy, workload], kernelCache, args) => {
      const treeOnly = compilePolicy(policy, { dispatch: rangeDispatch({ workload: workload.abis, kernelCache, hot: [] }) }).program;
      const tuned = compilePolicy(policy, { dispatch: rangeDispatch({ workload: workload.abis, kernelCache }) }).program;
      const cost = (p: typeof tuned) => workloadStats(p, workload, { kernelCache }).perCall;
      expect(cost(tuned)).toBeLessThanOrEqual(cost(treeOnly) * (1 + 1e-4));
      for (const e of syscallTable('x86_64')) {
        expect(interpret(tuned, { arch: 'x86_64', nr: e.nr, args }).raw).toBe(interpret(treeOnly, { arch: 'x86_64', nr: e.nr, args }).raw);
      }
    }), { numRuns: 80 });
  });
  it('a hot test with a single run below it jumps there itself (no extra instruction for the calls it misses)', () => {
    const policy: Policy = { defaultAction: { kind: 'LOG' }, badArchAction: { kind: 'LOG' }, arches: ['x86_64', 'i386'], rules: [{ syscalls: ['read'], action: { kind: 'ALLOW' } }] };
    const workload: Workload = { abis: new Map([['x86_64', new Map([[0, 1], [8, 1]])]]) };
    const cost = (hot?: number[]) => workloadStats(compilePolicy(policy, { dispatch: rangeDispatch({ workload: workload.abis, kernelCache: false, ...(hot && { hot }) }) }).program, workload, { kernelCache: false }).perCall;
    expect(cost()).toBeLessThanOrEqual(cost([]));
    expect(cost([0])).toBe(5);
  });
  it('under hardened, a workload whose filtered calls are socket() tests socket first: 7 instructions per filtered call', () => {
    const workload = parseWorkload(JSON.parse(readFileSync('bench/workloads/ls.json', 'utf8')));
    const policy = getProfile('hardened');
    const tuned = compilePolicy(policy, performanceCompileOptions({ dispatch: { workload: workload.abis } })).program;
    const socket = lookupSyscall('x86_64', 'socket')!.nr;
    expect(tuned.slice(0, 4).map(toRaw)[3]).toMatchObject({ code: 0x15, k: socket });
    const stats = workloadStats(tuned, workload);
    const filtered = stats.abis.find((a) => a.abi === 'x86_64')!;
    expect(filtered.perFilteredCall).toBe(7);
    const treeOnly = compilePolicy(policy, performanceCompileOptions({ dispatch: { workload: workload.abis, hot: [] } })).program;
    expect(workloadStats(treeOnly, workload).abis.find((a) => a.abi === 'x86_64')!.perFilteredCall).toBe(8);
  });
  it('on recorded workloads, docker-default pays less per call than with the table-weighted filter', () => {
    for (const file of ['ls', 'node', 'python', 'shell', 'tar']) {
      const workload = parseWorkload(JSON.parse(readFileSync(`bench/workloads/${file}.json`, 'utf8')));
      const policy = getProfile('docker-default');
      const plain = compilePolicy(policy, performanceCompileOptions()).program;
      const tuned = compilePolicy(policy, performanceCompileOptions({ dispatch: { workload: workload.abis, kernelCache: false } })).program;
      expect(workloadStats(tuned, workload, { kernelCache: false }).perCall).toBeLessThan(workloadStats(plain, workload, { kernelCache: false }).perCall);
    }
  });
});

describe('stats and compile --workload', () => {
  it('stats reports the cost per call and the costliest syscalls', async () => {
    const r = await cli(['stats', '--profile', 'docker-default', '--workload', SHELL, '--no-cache']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^profile:docker-default \(compiled\): \d+ instructions; 237834 calls, [\d.]+ instructions executed per call\n/);
    expect(r.stdout).toMatch(/\n {2}openat +56510 +\d+ +[\d.]+% {2}ALLOW\n/);
    const json = JSON.parse((await cli(['stats', '--profile', 'docker-default', '--workload', SHELL, '--json'])).stdout) as { calls: number; abis: { skippedCalls: number }[] };
    expect(json.calls).toBe(237834);
    expect(json.abis[0]!.skippedCalls).toBeGreaterThan(200_000);
  });
  it('compile --workload gives the same verdicts (emu) and refuses what it cannot shape', async () => {
    const tuned = await cli(['compile', '--profile', 'docker-default', '--workload', SHELL, '--format', 'hex']);
    expect(tuned.code).toBe(0);
    for (const call of [['kexec_load'], ['read'], ['socket', '40'], ['clone', '0x10000000']]) {
      const a = await cli(['emu', '-', ...call], tuned.stdout);
      const b = await cli(['emu', '--profile', 'docker-default', ...call]);
      expect(a.stdout.split('\n')[0]).toBe(b.stdout.split('\n')[0]);
    }
    expect((await cli(['compile', '--profile', 'hardened', '--workload', SHELL, '--unoptimized'])).stderr)
      .toBe('seccomp-ts: compile: --workload shapes an optimized filter, and --unoptimized asks for the plain one\n');
    expect((await cli(['compile', '--profile', 'hardened', '--no-cache'])).stderr).toBe('seccomp-ts: compile: --no-cache applies to --workload\n');
    expect((await cli(['stats', '--profile', 'hardened', '--workload', '-'], '{"read": 1,\n "write": x}')).stderr)
      .toMatch(/^seccomp-ts: <stdin>:2:11: not valid JSON/);
    expect((await cli(['stats', '--profile', 'hardened', '--workload', '-'], '{"raed": 1}')).stderr)
      .toBe('seccomp-ts: stats: --workload <stdin>: $.raed: no syscall of this name on x86_64\n');
  });
});
