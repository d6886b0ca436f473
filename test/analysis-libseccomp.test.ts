/**
 * Explain on filters built by libseccomp (Debian 2.5.4 through its Python bindings, every run with a timeout):
 * every verdict the explanation predicts equals the emulator's, on every syscall number of every x86 ABI and on
 * random argument vectors biased toward the filter's constants.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import type { Program } from '../src/bpf/instructions.js';
import { explain, explanationText, predictVerdict } from '../src/analysis/explain.js';
import { prepareFilter } from '../src/emulator/executor.js';
import { DOCKER_DEFAULT_PROFILE_JSON } from '../src/policy/oci/docker-default-data.js';
import { programConstants } from '../src/analysis/constants.js';
import { COMMON_SYSCALLS, expectFilter } from '../src/testing/index.js';
import { biasedCalls, buildWithLibseccomp, callWords, everySyscallNumber, libseccompMissing } from './support/libseccomp.js';
import { itWhen } from './support/require.js';

function checkAll(program: Program, seed: number): { exact: number; total: number } {
  const e = explain(program, { samples: 64 });
  const run = prepareFilter(program);
  const constants = programConstants(program).map(BigInt);
  const calls = [...everySyscallNumber(), ...biasedCalls(3000, seed, [], constants)];
  let exact = 0;
  for (const call of calls) {
    const words = callWords(call);
    const predicted = predictVerdict(e, words);
    if (predicted === undefined) continue;
    exact++;
    expect(predicted, `${JSON.stringify(call, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v))}\n${explanationText(e)}`)
      .toBe(run.runWords(words) >>> 0);
  }
  return { exact, total: calls.length };
}

const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
const ACTIONS = ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_TRAP', 'SCMP_ACT_LOG', 'SCMP_ACT_KILL_PROCESS'];

/** Small OCI profiles; one argument test per rule (Debian's 2.5.4 can hang on some multi-test rule pairs). */
const profileArb = fc.record({
  defaultAction: fc.constantFrom(...ACTIONS),
  syscalls: fc.array(fc.record({
    names: fc.uniqueArray(fc.constantFrom(...COMMON_SYSCALLS), { minLength: 1, maxLength: 3 }),
    action: fc.constantFrom(...ACTIONS),
    args: fc.option(fc.record({
      index: fc.integer({ min: 0, max: 5 }),
      value: fc.oneof(fc.constantFrom(0n, 1n, 2n, 10n, 0xffffffffn, 0x100000000n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
      valueTwo: fc.oneof(fc.constantFrom(0n, 1n, 0xffffffffn), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
      op: fc.constantFrom(...OPS),
    }), { nil: undefined }),
  }), { minLength: 1, maxLength: 6 }),
}).map((p) => `{"defaultAction": "${p.defaultAction}", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": [${
  p.syscalls.map((s) => `{"names": ${JSON.stringify(s.names)}, "action": "${s.action}"${s.args
    ? `, "args": [{"index": ${s.args.index}, "value": ${s.args.op === 'SCMP_CMP_MASKED_EQ' ? s.args.value : s.args.value}, "valueTwo": ${s.args.op === 'SCMP_CMP_MASKED_EQ' ? s.args.valueTwo & s.args.value : 0n}, "op": "${s.args.op}"}]`
    : ''}}`).join(', ')}]}`);

describe('explain on libseccomp-built filters', () => {
  const missing = libseccompMissing();

  itWhen(missing, 'explains Docker’s default profile exactly, as built by libseccomp for amd64 and 386', () => {
    for (const target of ['amd64', '386'] as const) {
      const built = buildWithLibseccomp({ profileText: DOCKER_DEFAULT_PROFILE_JSON, target, caps: [] });
      if (!built.ok) throw new Error(built.error);
      const e = explain(built.program);
      expect(e.exact, e.reasons.join('; ')).toBe(true);
      const { exact, total } = checkAll(built.program, 7);
      expect(exact).toBe(total);
      if (target === 'amd64') {
        const text = explanationText(e);
        expect(text).toMatch(/x86_64 [^\n]*\bmount\b[^\n]*: ERRNO\(EPERM\)/);
        expect(text).toContain('x86_64 socket: ERRNO(EPERM) if arg0 in {38, 40}; else ALLOW');
        expect(text).toMatch(/x86_64 clone: ALLOW if \(arg0\.lo & 0x7e020000\) == 0; else ERRNO\(EPERM\)|x86_64 clone: ERRNO\(EPERM\) if \(arg0\.lo & 0x7e020000\) != 0; else ALLOW/);
        // The testing kit reads the same filter.
        expectFilter(built.bytes).toDeny('mount').toAllow('read').toDeny('clone', { arg0: 0x10000000 }).toAllow('clone', { arg0: 0x11 });
      }
    }
  }, 300_000);

  itWhen(missing, 'agrees with the emulator on random small profiles built by libseccomp', () => {
    let built = 0;
    let checked = 0;
    fc.assert(fc.property(profileArb, fc.integer(), (profileText, seed) => {
      const r = buildWithLibseccomp({ profileText, target: 'amd64', caps: [] });
      if (!r.ok) return;
      built++;
      const { exact, total } = checkAll(r.program, seed);
      expect(exact).toBe(total);
      checked += exact;
    }), { numRuns: 40 });
    expect(built).toBeGreaterThan(20);
    console.log(`[analysis] libseccomp: ${built} random profiles, ${checked} predicted verdicts checked`);
  }, 600_000);
});
