/**
 * Compiled filters in the running kernel: the kernel's verdict for sampled calls equals the reference
 * evaluator's (read through the errno-rewriting oracle; no probed syscall ever runs).
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { compilePolicy } from '../src/compiler/index.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { evaluatePolicy, HARDENED_EPERM_SYSCALLS } from '../src/policy/index.js';
import { getProfile } from '../src/policy/profiles/index.js';
import { encodeAction, type Action } from '../src/syscalls/actions.js';
import { resolveSyscall } from '../src/syscalls/index.js';
import type { Policy } from '../src/policy/types.js';
import { kernelVerdicts, kernelVerdictsBatch, oracleMissing, type KernelCase, type Probe } from './support/kernel-verdicts.js';
import { itWhen } from './support/require.js';
import { bypassesFilters } from '../src/emulator/exemptions.js';
import { callArb, policyArb } from './compiler-arbitraries.js';

const missing = oracleMissing();
const seed = Number(process.env.SECCOMP_TS_SEED ?? Date.now() % 2 ** 31);

const want = (p: Policy, probe: Probe): number =>
  encodeAction(evaluatePolicy(p, { arch: probe.arch, nr: probe.nr, args: (probe.args ?? []).map((a) => BigInt(a)) }));

describe('compiled filters in the kernel', () => {
  itWhen(missing, 'random policies: the kernel agrees with the reference evaluator', () => {
    const policies = fc.sample(policyArb, { numRuns: 120, seed });
    const cases: (KernelCase & { policy: Policy })[] = policies.map((policy, i) => ({
      policy,
      // Every other policy goes through range dispatch and the optimizer, the rest through the plain compiler.
      program: compilePolicy(policy, i % 2 === 0 ? {} : performanceCompileOptions()).program,
      // Foreign audit arches cannot be produced by a real syscall (the emulator test covers them), and the
      // kernel runs no filter for x86_64 uprobe/uretprobe.
      probes: fc.sample(callArb(policy), { numRuns: 60, seed: seed + 1 + i })
        .filter((c) => c.auditArch === undefined && !bypassesFilters({ arch: c.arch, nr: c.nr }))
        .map((c) => ({ arch: c.arch, nr: c.nr, args: c.args })),
    }));
    const run = kernelVerdictsBatch(cases);
    let compared = 0;
    const disagreements: string[] = [];
    cases.forEach((c, ci) => {
      c.probes.forEach((probe, pi) => {
        compared++;
        const kernel = (run.verdicts[ci] as number[])[pi] as number;
        const expected = want(c.policy, probe);
        if (kernel !== expected) {
          disagreements.push(`policy ${ci} probe ${pi} ${probe.arch} nr 0x${probe.nr.toString(16)} ` +
            `args ${(probe.args ?? []).map((a) => `0x${a.toString(16)}`).join(',')}: kernel 0x${kernel.toString(16)}, evaluator 0x${expected.toString(16)}`);
        }
      });
    });
    console.log(`[compiler-kernel] seed ${seed}: ${compared} probes over ${cases.length} compiled policies: ${disagreements.length} disagreements`);
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(compared).toBeGreaterThan(3000);
  }, 120_000);

  itWhen(missing, 'hardened, call by call, in the kernel', () => {
    const hardened = getProfile('hardened');
    const nr = (arch: 'x86_64' | 'i386' | 'x32', name: string): number => resolveSyscall(arch, name);
    const EPERM: Action = { kind: 'ERRNO', data: 1 };
    const EAFNOSUPPORT: Action = { kind: 'ERRNO', data: 97 };
    const ALLOW: Action = { kind: 'ALLOW' };
    const KILL: Action = { kind: 'KILL_PROCESS' };
    const expectations: [Probe, Action, string][] = [
      ...HARDENED_EPERM_SYSCALLS.map((n): [Probe, Action, string] => [{ arch: 'x86_64', nr: nr('x86_64', n) }, EPERM, n]),
      ...[1, 2, 10, 16].map((f): [Probe, Action, string] => [{ arch: 'x86_64', nr: nr('x86_64', 'socket'), args: [f, 1, 0] }, ALLOW, `socket(${f})`]),
      ...[9, 17, 40, 3, 15].map((f): [Probe, Action, string] => [{ arch: 'x86_64', nr: nr('x86_64', 'socket'), args: [f, 1, 0] }, EAFNOSUPPORT, `socket(${f})`]),
      [{ arch: 'x86_64', nr: nr('x86_64', 'socket'), args: [0xdead00000002n] }, ALLOW, 'socket(AF_INET | junk << 32)'],
      [{ arch: 'i386', nr: nr('i386', 'getpid') }, KILL, 'i386 int 0x80 getpid'],
      [{ arch: 'x32', nr: nr('x32', 'getpid') }, KILL, 'x32 getpid'],
      [{ arch: 'x86_64', nr: nr('x86_64', 'getpid') }, ALLOW, 'getpid'],
    ];
    for (const options of [{}, performanceCompileOptions()]) {
      const { program } = compilePolicy(hardened, options);
      const verdicts = kernelVerdicts(program, expectations.map(([p]) => p));
      const got = expectations.map(([, , name], i) => `${name}: 0x${(verdicts[i] as number).toString(16)}`);
      const expected = expectations.map(([, a, name]) => `${name}: 0x${encodeAction(a).toString(16)}`);
      expect(got).toEqual(expected);
    }
  });

  itWhen(missing, 'hardened covering i386 too: int 0x80 socket families, junk upper halves, socketcall denied', () => {
    const wide: Policy = { ...getProfile('hardened'), arches: ['x86_64', 'i386'] };
    const socket = resolveSyscall('i386', 'socket');
    const probes: [Probe, Action][] = [
      [{ arch: 'i386', nr: socket, args: [2, 1, 0] }, { kind: 'ALLOW' }],
      [{ arch: 'i386', nr: socket, args: [0xdead00000002n, 1, 0] }, { kind: 'ALLOW' }],
      [{ arch: 'i386', nr: socket, args: [0x100000009n, 1, 0] }, { kind: 'ERRNO', data: 97 }],
      [{ arch: 'i386', nr: socket, args: [40, 1, 0] }, { kind: 'ERRNO', data: 97 }],
      [{ arch: 'i386', nr: resolveSyscall('i386', 'socketcall'), args: [1, 0] }, { kind: 'ERRNO', data: 97 }],
      [{ arch: 'i386', nr: resolveSyscall('i386', 'kcmp') }, { kind: 'ERRNO', data: 1 }],
      [{ arch: 'i386', nr: resolveSyscall('i386', 'getpid') }, { kind: 'ALLOW' }],
      [{ arch: 'x32', nr: resolveSyscall('x32', 'getpid') }, { kind: 'KILL_PROCESS' }],
    ];
    for (const options of [{}, performanceCompileOptions()]) {
      const { program } = compilePolicy(wide, options);
      const verdicts = kernelVerdicts(program, probes.map(([p]) => p));
      expect(verdicts).toEqual(probes.map(([, a]) => encodeAction(a)));
      expect(probes.map(([p]) => want(wide, p))).toEqual(probes.map(([, a]) => encodeAction(a)));
    }
  });
});
