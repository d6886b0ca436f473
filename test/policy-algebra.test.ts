/**
 * intersectPolicies and mergePolicies: on random policies, for every call of every table number on the three x86
 * ABIs (arguments biased toward the policies' constants), the intersection's verdict equals the kernel's
 * combination of the inputs' compiled filters and the merge's equals the least restrictive input verdict; the
 * laws (idempotence, commutativity up to the equal-action data, associativity), inclusion in both directions, and
 * the built-in profiles and recorded workloads.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AlgebraError, intersectPolicies, mergePolicies } from '../src/policy/algebra.js';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import { resolvePolicy } from '../src/policy/resolve.js';
import { compilePolicy } from '../src/compiler/index.js';
import { evaluateStack } from '../src/emulator/stack.js';
import { seccompData } from '../src/emulator/data.js';
import { compareActions, encodeAction, type Action } from '../src/syscalls/actions.js';
import { syscallTable } from '../src/syscalls/resolve.js';
import { SKIPPED_SYSCALL_NR, type LinuxArchName } from '../src/syscalls/arch.js';
import { COMMON_SYSCALLS, policyArb } from '../src/testing/index.js';
import { getProfile } from '../src/policy/profiles/index.js';
import { subsetOf } from '../src/analysis/subset.js';
import { parseRecording, recordingPolicy } from '../src/record/recording.js';
import type { Policy } from '../src/policy/types.js';
import { policyFromJsonText } from '../src/policy/json.js';
import { encodeProgram } from '../src/bpf/encode.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './support/cli.js';

const ABIS: readonly LinuxArchName[] = ['x86_64', 'i386', 'x32'];
const U32 = 0xffffffffn;
const U64 = (1n << 64n) - 1n;

interface Call {
  readonly arch: LinuxArchName;
  readonly nr: number;
  readonly args: readonly bigint[];
}

/** A small deterministic generator, so that a failing property replays the same calls. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

/** Argument values around every constant of the policies: c - 1, c, c + 1, halves swapped in, masks applied. */
function constantsOf(policies: readonly Policy[]): bigint[] {
  const out = new Set<bigint>([0n, 1n, U32, 1n << 32n, U64, 0x80000000n]);
  for (const p of policies) {
    for (const r of p.rules) {
      for (const c of r.conditions ?? []) {
        const vs = [c.value, ...(c.op === 'masked_eq' ? [c.mask, c.mask ^ U64, c.value | (c.mask ^ U64)] : [])];
        for (const v of vs) {
          for (const x of [v - 1n, v, v + 1n]) {
            const y = BigInt.asUintN(64, x);
            out.add(y);
            out.add(y & U32);
            out.add((y & U32) | (U32 << 32n));
            out.add(y << 32n & U64);
          }
        }
      }
    }
  }
  return [...out];
}

/** Every number of the three ABIs' tables, the numbers the policies name, and numbers past the tables. */
function callsOf(policies: readonly Policy[], seed: number, samples = 24): Call[] {
  const next = random(seed);
  const pool = constantsOf(policies);
  const pick = (): bigint => (next() < 0.85 ? pool[Math.floor(next() * pool.length)]! : BigInt(Math.floor(next() * 2 ** 32)) << 32n | BigInt(Math.floor(next() * 2 ** 32)));
  const calls: Call[] = [];
  const resolved = policies.map((p) => resolvePolicy(p));
  for (const arch of ABIS) {
    const numbers = new Set(syscallTable(arch).map((e) => e.nr as number));
    const named = new Set<number>();
    for (const r of resolved) for (const abi of r.abis) if (abi.arch === arch) for (const nr of abi.rules.keys()) named.add(nr);
    for (const nr of named) numbers.add(nr);
    const max = Math.max(...syscallTable(arch).map((e) => e.nr as number));
    numbers.add(max + 1);
    if (arch === 'x86_64') numbers.add(0x3fffffff);
    if (arch === 'x32') numbers.add(SKIPPED_SYSCALL_NR);
    for (const nr of numbers) {
      calls.push({ arch, nr, args: [0n, 0n, 0n, 0n, 0n, 0n] });
      if (!named.has(nr)) continue;
      for (let i = 0; i < samples; i++) calls.push({ arch, nr, args: Array.from({ length: 6 }, pick) });
    }
  }
  return calls;
}

const strictest = (actions: readonly Action[]): Action => {
  let kept: Action = { kind: 'ALLOW' };
  for (let i = actions.length - 1; i >= 0; i--) if (compareActions(actions[i]!, kept) < 0) kept = actions[i]!;
  return kept;
};
const loosest = (actions: readonly Action[]): Action =>
  actions.slice(1).reduce((kept, a) => (compareActions(a, kept) > 0 ? a : kept), actions[0]!);
const lets = (a: Action): boolean => a.kind === 'ALLOW' || a.kind === 'LOG';
const text = (a: Action): string => `${a.kind}${'data' in a ? `(${a.data})` : ''}`;

/** The first call on which `actual` is not `expected`, as a message, or undefined. */
function firstMismatch(calls: readonly Call[], actual: (c: Call) => Action, expected: (c: Call) => Action): string | undefined {
  for (const c of calls) {
    const a = actual(c);
    const e = expected(c);
    if (encodeAction(a) !== encodeAction(e)) {
      return `${c.arch} nr ${c.nr} args ${c.args.map((x) => `0x${x.toString(16)}`).join(',')}: got ${text(a)}, expected ${text(e)}`;
    }
  }
  return undefined;
}

/**
 * The shape of a minimal result: no two rules with the same action and conditions, each rule's syscalls sorted
 * and named once, rules named by name sorted by their first syscall, no rule giving the default (without the ENOSYS guard).
 */
function expectMinimalShape(r: Policy): void {
  const keys = r.rules.map((rule) => `${encodeAction(rule.action)}:${JSON.stringify(rule.conditions ?? [], (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
  expect(new Set(keys).size).toBe(keys.length);
  for (const rule of r.rules) {
    const names = rule.syscalls.filter((s): s is string => typeof s === 'string');
    expect(names).toEqual([...new Set(names)].sort());
    if (r.enosysGuard !== true) expect(encodeAction(rule.action)).not.toBe(encodeAction(r.defaultAction));
  }
  const firsts = r.rules.map((rule) => rule.syscalls[0]!).filter((x): x is string => typeof x === 'string');
  expect(firsts).toEqual([...firsts].sort());
}

/** Combines, or undefined when the combination is refused as inexpressible (counted by the caller). */
function attempt(f: () => Policy): Policy | undefined {
  try {
    return f();
  } catch (err) {
    if (err instanceof AlgebraError) return undefined;
    throw err;
  }
}

const pair = fc.tuple(
  policyArb({ syscalls: COMMON_SYSCALLS.slice(0, 7), maxRules: 6, flags: true }),
  policyArb({ syscalls: COMMON_SYSCALLS.slice(0, 7), maxRules: 6, flags: true }),
  fc.integer({ min: 1, max: 0x7fffffff }),
);

/** The same ABIs and bad-arch action for both (so that the combination is always one policy). */
const alignedPair = fc.tuple(
  fc.uniqueArray(fc.constantFrom<LinuxArchName>('x86_64', 'i386', 'x32'), { minLength: 1, maxLength: 3 }),
  fc.integer({ min: 1, max: 0x7fffffff }),
).chain(([arches, seed]) => fc.tuple(
  policyArb({ syscalls: COMMON_SYSCALLS.slice(0, 7), arches, maxRules: 6, flags: true }),
  policyArb({ syscalls: COMMON_SYSCALLS.slice(0, 7), arches, maxRules: 6, flags: true }),
  fc.constant(seed),
));

describe('intersectPolicies', () => {
  it('equals the kernel combination of the inputs\' compiled filters on every call', () => {
    let refused = 0;
    let checked = 0;
    fc.assert(fc.property(fc.oneof({ weight: 1, arbitrary: pair }, { weight: 3, arbitrary: alignedPair }), ([a, b, seed]) => {
      const r = attempt(() => intersectPolicies([a, b]));
      if (r === undefined) {
        refused++;
        return;
      }
      checked++;
      expectMinimalShape(r);
      const programs = [compilePolicy(a).program, compilePolicy(b).program];
      const calls = callsOf([a, b], seed);
      const mismatch = firstMismatch(calls, (c) => evaluatePolicy(r, c),
        (c) => evaluateStack(programs, seccompData({ arch: c.arch, nr: c.nr, args: c.args })).action);
      expect(mismatch, JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))).toBeUndefined();
    }), { numRuns: 200 });
    expect(checked).toBeGreaterThan(refused / 2);
  });

  it('is idempotent, commutative up to the equal-action data, and associative', () => {
    fc.assert(fc.property(alignedPair, policyArb({ syscalls: COMMON_SYSCALLS.slice(0, 7), maxRules: 4 }), ([a, b, seed], c0) => {
      const c: Policy = { ...c0, arches: a.arches };
      const calls = callsOf([a, b, c], seed, 8);
      const aa = attempt(() => intersectPolicies([a, a]));
      if (aa !== undefined) expect(firstMismatch(calls, (x) => evaluatePolicy(aa, x), (x) => evaluatePolicy(a, x))).toBeUndefined();
      const ab = attempt(() => intersectPolicies([a, b]));
      const ba = attempt(() => intersectPolicies([b, a]));
      if (ab === undefined || ba === undefined) return;
      // Commutative on actions: the data may differ only where both inputs give the same kind of action.
      expect(firstMismatch(calls, (x) => evaluatePolicy(ab, x), (x) => {
        const v = evaluatePolicy(ba, x);
        const [va, vb] = [evaluatePolicy(a, x), evaluatePolicy(b, x)];
        return va.kind === vb.kind && v.kind === va.kind ? evaluatePolicy(ab, x) : v;
      })).toBeUndefined();
      const left = attempt(() => intersectPolicies([ab, c]));
      const bc = attempt(() => intersectPolicies([b, c]));
      const right = bc === undefined ? undefined : attempt(() => intersectPolicies([a, bc]));
      const three = attempt(() => intersectPolicies([a, b, c]));
      if (left === undefined || right === undefined || three === undefined) return;
      expect(firstMismatch(calls, (x) => evaluatePolicy(left, x), (x) => evaluatePolicy(right, x))).toBeUndefined();
      expect(firstMismatch(calls, (x) => evaluatePolicy(three, x), (x) => evaluatePolicy(left, x))).toBeUndefined();
    }), { numRuns: 80 });
  });

  it('is included in each input: lets through no call an input refuses', () => {
    fc.assert(fc.property(alignedPair, ([a, b, seed]) => {
      const r = attempt(() => intersectPolicies([a, b]));
      if (r === undefined) return;
      const calls = callsOf([a, b], seed, 8);
      for (const p of [a, b]) expect(calls.find((c) => lets(evaluatePolicy(r, c)) && !lets(evaluatePolicy(p, c)))).toBeUndefined();
    }), { numRuns: 80 });
  });
});

describe('mergePolicies', () => {
  it('gives the least restrictive of the inputs\' verdicts on every call', () => {
    let refused = 0;
    let checked = 0;
    fc.assert(fc.property(fc.oneof({ weight: 1, arbitrary: pair }, { weight: 3, arbitrary: alignedPair }), ([a, b, seed]) => {
      const r = attempt(() => mergePolicies([a, b]));
      if (r === undefined) {
        refused++;
        return;
      }
      checked++;
      expectMinimalShape(r);
      const calls = callsOf([a, b], seed);
      const mismatch = firstMismatch(calls, (c) => evaluatePolicy(r, c), (c) => loosest([evaluatePolicy(a, c), evaluatePolicy(b, c)]));
      expect(mismatch, JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))).toBeUndefined();
    }), { numRuns: 200 });
    expect(checked).toBeGreaterThan(refused / 2);
  });

  it('includes each input, is idempotent, and three inputs merge as two merges do', () => {
    fc.assert(fc.property(alignedPair, ([a, b, seed]) => {
      const r = attempt(() => mergePolicies([a, b]));
      if (r === undefined) return;
const calls = callsOf([a, b], seed, 8);
      const three = attempt(() => mergePolicies([a, b, a]));
      if (three !== undefined) expect(firstMismatch(calls, (x) => evaluatePolicy(three, x), (x) => evaluatePolicy(r, x))).toBeUndefined();
      const aa = attempt(() => mergePolicies([a, a]));
      if (aa !== undefined) expect(firstMismatch(calls, (x) => evaluatePolicy(aa, x), (x) => evaluatePolicy(a, x))).toBeUndefined();
    }), { numRuns: 80 });
  });
});

describe('real profiles', () => {
  it('docker-default ∩ hardened: one x86_64 policy equal to the stacked filters', () => {
    const docker = getProfile('docker-default');
    const hardened = getProfile('hardened');
    const r = intersectPolicies([docker, hardened]);
    expect(r.arches).toEqual(['x86_64']);
    expect(r.defaultAction).toEqual({ kind: 'ERRNO', data: 1 });
    const programs = [compilePolicy(docker).program, compilePolicy(hardened).program];
    const calls = callsOf([docker, hardened], 7, 6);
    expect(firstMismatch(calls, (c) => evaluatePolicy(r, c),
      (c) => evaluateStack(programs, seccompData({ arch: c.arch, nr: c.nr, args: c.args })).action)).toBeUndefined();
    // Minimal: each rule names its syscalls once, sorted; no two rules share action and conditions.
    const keys = r.rules.map((rule) => `${encodeAction(rule.action)}:${JSON.stringify(rule.conditions ?? [], (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const rule of r.rules) {
      const names = rule.syscalls.filter((s): s is string => typeof s === 'string');
      expect(names).toEqual([...names].sort());
    }
    // hardened's socket families survive, and docker's AF_VSOCK refusal with them.
    const socket = (family: bigint) => evaluatePolicy(r, { arch: 'x86_64', nr: 41, args: [family] });
    expect(socket(2n)).toEqual({ kind: 'ALLOW' });
    expect(socket(5n)).toEqual({ kind: 'ERRNO', data: 97 });
    expect(socket(40n).kind).toBe('ERRNO');
    // subsetOf on the compiled filters: the intersection is included in both inputs.
    const rp = compilePolicy(r).program;
    for (const p of programs) expect(subsetOf(rp, p).subset).toBe(true);
  });

  it('merges of the recorded workloads equal the loosest verdict', () => {
    const dir = new URL('../bench/workloads/', import.meta.url);
    const policies = readdirSync(dir).filter((f) => f.endsWith('.json'))
      .map((f) => recordingPolicy(parseRecording(JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as unknown)));
    expect(policies.length).toBeGreaterThan(2);
    const r = mergePolicies(policies);
    const calls = callsOf(policies, 3, 4);
    expect(firstMismatch(calls, (c) => evaluatePolicy(r, c), (c) => loosest(policies.map((p) => evaluatePolicy(p, c))))).toBeUndefined();
    const both = intersectPolicies(policies);
    expect(firstMismatch(calls, (c) => evaluatePolicy(both, c), (c) => strictest(policies.map((p) => evaluatePolicy(p, c))))).toBeUndefined();
  });
});

describe('seccomp-ts intersect / merge with a policy format', () => {
  it('writes the combined policy, in any policy format, exactly the stacked verdicts', async () => {
    const r = await cli(['intersect', 'profile:docker-default', 'profile:hardened', '--format', 'policy']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const policy = policyFromJsonText(r.stdout);
    expect(policy).toEqual(intersectPolicies([getProfile('docker-default'), getProfile('hardened')]));
    const oci = await cli(['merge', 'profile:hardened', 'profile:docker-default', '--arch', 'x86_64', '--format', 'oci']);
    expect(oci.code).toBe(0);
    expect(JSON.parse(oci.stdout).defaultAction).toBe('SCMP_ACT_ALLOW');
  });

  it('refuses a raw filter, and what one policy cannot say, in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'algebra-'));
    writeFileSync(join(dir, 'h.bpf'), encodeProgram(compilePolicy(getProfile('hardened')).program));
    const filter = await cli(['intersect', join(dir, 'h.bpf'), 'profile:hardened', '--format', 'policy']);
    expect(filter.code).toBe(2);
    expect(filter.stderr).toMatch(/h\.bpf is a filter: a filter can be analysed but not turned back into a policy/);
    const abis = await cli(['merge', 'profile:hardened', 'profile:docker-default', '--format', 'policy']);
    expect(abis.code).toBe(2);
    expect(abis.stderr.trim().split('\n')).toEqual([
      'seccomp-ts: merge: the result would need a different default action per ABI (ALLOW on x86_64, ERRNO(EPERM) on i386), and a policy has one; give every input the same ABIs',
    ]);
    // A filter format keeps combining filters, raw ones included.
    const stacked = await cli(['intersect', join(dir, 'h.bpf'), 'profile:hardened', '--format', 'asm']);
    expect(stacked.code).toBe(0);
  });
});

describe('the shape of results', () => {
  it('writes a 64-bit comparison back as one condition when the argument is also compared at 32 bits', () => {
    const a: Policy = { defaultAction: { kind: 'ALLOW' }, arches: ['x86_64'], rules: [
      { syscalls: ['read'], action: { kind: 'KILL_PROCESS' }, conditions: [{ arg: 0, op: 'eq', value: 0x100000005n }] },
    ] };
    const b: Policy = { defaultAction: { kind: 'ALLOW' }, arches: ['x86_64'], rules: [
      { syscalls: ['read'], action: { kind: 'ERRNO', data: 1 }, conditions: [{ arg: 0, op: 'ge', value: 3n, width: 32 }] },
      { syscalls: ['socket'], action: { kind: 'ERRNO', data: 97 }, conditions: [{ arg: 0, op: 'ge', value: 3n, width: 32 }, { arg: 0, op: 'le', value: 9n, width: 32 }] },
      { syscalls: ['socket'], action: { kind: 'ERRNO', data: 97 }, conditions: [{ arg: 0, op: 'gt', value: 16n, width: 32 }] },
    ] };
    const r = intersectPolicies([a, b]);
    expect(r.rules.find((rule) => rule.action.kind === 'KILL_PROCESS')?.conditions).toEqual([{ arg: 0, op: 'eq', value: 0x100000005n }]);
    // socket's two ranges stay two rules with their 32-bit conditions, as written.
    expect(r.rules.filter((rule) => rule.syscalls.includes('socket')).map((rule) => rule.conditions)).toEqual([
      [{ arg: 0, op: 'ge', value: 17n, width: 32 }],
      [{ arg: 0, op: 'ge', value: 3n, width: 32 }, { arg: 0, op: 'le', value: 9n, width: 32 }],
    ]);
    const calls = callsOf([a, b], 5, 64);
    expect(firstMismatch(calls, (c) => evaluatePolicy(r, c), (c) => strictest([evaluatePolicy(a, c), evaluatePolicy(b, c)]))).toBeUndefined();
  });
});
