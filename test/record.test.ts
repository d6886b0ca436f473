/** Recordings (pure): counting, merging, JSON round trip, and the policy that allows exactly what was seen. */
import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../src/compiler/compile.js';
import { interpret } from '../src/emulator/interpreter.js';
import { callData } from '../src/emulator/call.js';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import { loadProfile } from '../src/policy/oci/index.js';
import { policyFromJson } from '../src/policy/json.js';
import { addCall, emptyRecording, formatRecording, mergeRecordings, parseRecording, recordingPolicy, RecordingError, type Recording } from '../src/record/recording.js';
import { renderRecording } from '../src/record/render.js';
import { ARCH_NAMES, X32_SYSCALL_BIT, type ArchName } from '../src/syscalls/arch.js';
import { syscallTable } from '../src/syscalls/resolve.js';

interface Call { abi: ArchName; nr: number; args: bigint[] }

const callArb: fc.Arbitrary<Call> = fc.constantFrom(...ARCH_NAMES).chain((abi) => {
  const table = syscallTable(abi);
  const interesting = table.filter((e) => ['socket', 'socketpair', 'personality', 'clone', 'read', 'write', 'openat'].includes(e.name));
  return fc.record({
    abi: fc.constant(abi),
    nr: fc.oneof(fc.constantFrom(...interesting), fc.constantFrom(...table)).map((e) => (e.nr & ~X32_SYSCALL_BIT) >>> 0),
    args: fc.array(fc.oneof(fc.constantFrom(0n, 1n, 2n, 10n, 0x11n, 0xffffffffn), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })), { minLength: 6, maxLength: 6 }),
  });
});

const recordingOf = (calls: readonly Call[]): Recording => {
  const r = emptyRecording();
  r.runs.push(['test']);
  for (const c of calls) addCall(r, c.abi, c.nr, c.args);
  return r;
};

const seen = (c: Call) => ({ arch: c.abi, nr: c.abi === 'x32' ? (c.nr | X32_SYSCALL_BIT) >>> 0 : c.nr, args: c.args });

describe('recordings', () => {
  it('count every call; merging adds counts and lists runs in order; JSON round-trips', () => {
    fc.assert(fc.property(fc.array(callArb, { maxLength: 40 }), fc.array(callArb, { maxLength: 40 }), (a, b) => {
      const merged = mergeRecordings(recordingOf(a), recordingOf(b));
      expect(formatRecording(merged)).toBe(formatRecording(recordingOf([...a, ...b])).replace('"runs": [\n    [\n      "test"\n    ]\n  ]', '"runs": [\n    [\n      "test"\n    ],\n    [\n      "test"\n    ]\n  ]'));
      const total = Object.values(merged.abis).flatMap((t) => Object.values(t!)).reduce((n, c) => n + c.count, 0);
      expect(total).toBe(a.length + b.length);
      expect(parseRecording(JSON.parse(formatRecording(merged)))).toEqual(merged);
    }), { numRuns: 150 });
  });

  it('the recorded policy allows every recorded call and nothing else (exact scope), compiled as the kernel runs it', () => {
    fc.assert(fc.property(fc.array(callArb, { minLength: 1, maxLength: 30 }), fc.array(callArb, { maxLength: 30 }), (calls, others) => {
      const policy = recordingPolicy(recordingOf(calls), { defaultAction: { kind: 'KILL_PROCESS' } });
      const program = compilePolicy(policy).program;
      const recorded = new Set(calls.map((c) => `${c.abi}:${c.nr}`));
      const sameArgs = (c: Call, d: Call) => (c.args[0]! & 0xffffffffn) === (d.args[0]! & 0xffffffffn);
      for (const c of calls) {
        expect(evaluatePolicy(policy, seen(c))).toEqual({ kind: 'ALLOW' });
        expect(interpret(program, callData({ arch: c.abi, syscall: c.nr, args: c.args })).action).toEqual({ kind: 'ALLOW' });
      }
      for (const o of others) {
        const verdict = evaluatePolicy(policy, seen(o));
        if (!recorded.has(`${o.abi}:${o.nr}`)) expect(verdict).toEqual({ kind: 'KILL_PROCESS' });
        else if (verdict.kind !== 'ALLOW') {
          // Only an argument value never seen for a conditioned syscall is refused.
          const same = calls.filter((c) => c.abi === o.abi && c.nr === o.nr);
          expect(same.some((c) => sameArgs(c, o))).toBe(false);
        }
      }
    }), { numRuns: 120 });
  });

  it('a recorded socket family becomes a condition, in the policy and in the Docker/OCI profile', () => {
    const r = recordingOf([{ abi: 'x86_64', nr: 41, args: [1n, 1n, 0n, 0n, 0n, 0n] }, { abi: 'x86_64', nr: 0, args: [0n, 0n, 0n, 0n, 0n, 0n] }]);
    for (const format of ['oci', 'policy'] as const) {
      const { text, warnings } = renderRecording(r, format, { kind: 'ERRNO', data: 1 }, true);
      expect(warnings).toEqual([]);
      const policy = format === 'oci' ? loadProfile(text, 'p').policy : policyFromJson(JSON.parse(text));
      const socket = (family: bigint) => evaluatePolicy(policy, { arch: 'x86_64', nr: 41, args: [family, 1n, 0n, 0n, 0n, 0n] });
      expect([socket(1n), socket(2n), socket((1n << 32n) | 1n)]).toEqual([{ kind: 'ALLOW' }, { kind: 'ERRNO', data: 1 }, { kind: 'ALLOW' }]);
    }
    const plain = renderRecording(r, 'oci', { kind: 'ERRNO', data: 1 }, false);
    expect(plain.text).not.toContain('"args"');
  });

  it('refuses a document that is not a recording, naming the place', () => {
    expect(() => parseRecording({ defaultAction: 'SCMP_ACT_ALLOW' })).toThrow(RecordingError);
    expect(() => parseRecording({ seccompTsRecording: 1, runs: [], abis: { x86_64: { nosuchcall: { count: 1 } } } })).toThrow('$.abis.x86_64.nosuchcall: no syscall of this name on x86_64');
    expect(() => parseRecording({ seccompTsRecording: 1, runs: [], abis: { x86_64: { read: { count: -1 } } } })).toThrow('$.abis.x86_64.read');
  });
});

describe('seccomp-ts record: refusals before anything runs', () => {
  it('names the bad flag or file, with status 125, and starts no command', async () => {
    const { cli } = await import('./support/cli.js');
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-record-cli-'));
    try {
      const marker = join(dir, 'ran');
      const profile = join(dir, 'profile.json');
      writeFileSync(profile, '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}');
      const cases: [string[], string][] = [
        [['record', 'touch', marker], "record: put the command after '--'"],
        [['record', '--format', 'xml', '--', 'touch', marker], "record: unknown format 'xml' (one of oci, policy, json)"],
        [['record', '--default-action', 'ALLOW', '--', 'touch', marker], 'record: --default-action ALLOW would allow everything'],
        [['record', '--default-action', 'ERRNO(EBOGUS)', '--', 'touch', marker], 'record: --default-action: unknown errno "EBOGUS"'],
        [['record', '--timeout', 'soon', '--', 'touch', marker], "record: --timeout: expected a positive number of seconds, got 'soon'"],
        [['record', '--merge', profile, '--', 'touch', marker], `${profile}: $: not a seccomp-ts recording`],
      ];
      for (const [argv, message] of cases) {
        const r = await cli(argv);
        expect(r.code, argv.join(' ')).toBe(125);
        expect(r.stderr).toContain(message);
        expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      }
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
