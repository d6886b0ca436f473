/**
 * The kernel replay of bench/workload.ts: the call lists it builds from a recording (bench/replay.ts), and the
 * native helper's guarantees (bench/native/replay-cost.c): a replayed call never executes, the filter under
 * test runs for every replayed call, and a list carrying the marker value is refused. No timings are checked.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CALL_RECORD_SIZE, REPLAY_MARKER, callList, recordedCalls, replayable, runReplay, type ReplayCall } from '../bench/replay.js';
import { encodeProgram } from '../src/bpf/encode.js';
import { ins } from '../src/bpf/instructions.js';
import { parseRecording } from '../src/record/recording.js';
import { itWhen, type Missing } from './support/require.js';

const ALLOW = 0x7fff0000;
const TRAP = 0x00030000;
const KILL_PROCESS = 0x80000000;
const ERRNO_EPERM = 0x00050001;

const recording = parseRecording({
  seccompTsRecording: 1,
  runs: [['demo']],
  abis: {
    x86_64: {
      read: { count: 90 },
      clone: { count: 7, args: { 0: { 18874385: 5, 17: 1 } } },
      '#335': { count: 2 },
      exit_group: { count: 1 },
    },
  },
});

describe('recordedCalls', () => {
  const calls = recordedCalls(recording, 'x86_64');

  it('keeps every call: one entry per syscall and recorded argument value, other arguments zero', () => {
    expect(calls.reduce((s, c) => s + c.calls, 0)).toBe(100);
    const clone = calls.filter((c) => c.nr === 56);
    expect(clone.map((c) => [c.args[0], c.calls])).toEqual([[17n, 1], [18874385n, 5], [0n, 1]]);
    for (const c of calls) expect(c.args.slice(1).every((a) => a === 0n)).toBe(true);
    expect(calls.find((c) => c.nr === 335)?.calls).toBe(2);
  });

  it('has nothing for an ABI the recording did not see', () => {
    expect(recordedCalls(recording, 'aarch64')).toEqual([]);
  });
});

describe('replayable', () => {
  const returns = (k: number) => [ins.ret(k)];

  it('refuses calls Linux never filters, and verdicts that outrank the deny-all filter', () => {
    const read: ReplayCall = { nr: 0, args: [0n, 0n, 0n, 0n, 0n, 0n], calls: 1 };
    const uretprobe: ReplayCall = { ...read, nr: 335 };
    expect(replayable(read, 'x86_64', [returns(ALLOW), returns(ERRNO_EPERM)])).toBe(true);
    expect(replayable(uretprobe, 'x86_64', [returns(ALLOW)])).toBe(false);
    expect(replayable(read, 'x86_64', [returns(ALLOW), returns(TRAP)])).toBe(false);
    expect(replayable(read, 'x86_64', [returns(KILL_PROCESS)])).toBe(false);
    expect(replayable(read, 'x86_64', [returns(0)])).toBe(false);
    expect(replayable(read, 'x86_64', [returns(0x7ff10000)])).toBe(false);
  });
});

describe('callList', () => {
  const decode = (bytes: Uint8Array) => {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Array.from({ length: bytes.length / CALL_RECORD_SIZE }, (_, i) =>
      Array.from({ length: 7 }, (_, k) => view.getBigUint64(i * CALL_RECORD_SIZE + 8 * k, true)));
  };

  it('lays out nr and six arguments per call, each kind in proportion to its count, the same order every time', () => {
    const calls = recordedCalls(recording, 'x86_64');
    const bytes = callList(calls, 200);
    expect(bytes).toEqual(callList(calls, 200));
    const rows = decode(bytes);
    expect(rows).toHaveLength(200);
    expect(rows.filter((r) => r[0] === 0n)).toHaveLength(180);
    expect(rows.filter((r) => r[0] === 56n && r[1] === 18874385n)).toHaveLength(10);
    expect(rows.slice(0, 40).some((r) => r[0] !== 0n)).toBe(true);
  });

  it('gives each kind its exact share to within one slot, and exactly the length asked', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 3000 }),
      (counts, length) => {
        const calls = counts.map((n, i) => ({ nr: i, args: [BigInt(i), 0n, 0n, 0n, 0n, 0n], calls: n }));
        const rows = decode(callList(calls, length));
        expect(rows).toHaveLength(length);
        const total = counts.reduce((s, n) => s + n, 0);
        counts.forEach((n, i) => {
          const got = rows.filter((r) => r[0] === BigInt(i)).length;
          expect(Math.abs(got - (n * length) / total)).toBeLessThan(1);
        });
      },
    ), { numRuns: 200 });
  });
});

const here = dirname(fileURLToPath(import.meta.url));

function buildHelper(): { bin?: string; missing: Missing } {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { missing: `the replay helper runs x86_64 calls (this is ${process.platform}/${process.arch})` };
  if (spawnSync('cc', ['--version']).status !== 0) return { missing: 'no C compiler (`cc`) on this machine' };
  const bin = join(mkdtempSync(join(tmpdir(), 'seccomp-ts-replay-')), 'replay-cost');
  try {
    execFileSync('cc', ['-O2', '-Wall', '-o', bin, join(here, '../bench/native/replay-cost.c')], { stdio: 'pipe' });
  } catch (err) {
    return { missing: `cannot build bench/native/replay-cost.c: ${(err as Error).message.split('\n')[0]}` };
  }
  const probe = spawnSync(bin, ['1', '1', `-,${writeCalls([{ nr: 39, args: [0n, 0n, 0n, 0n, 0n, 0n], calls: 1 }])}`], { encoding: 'utf8' });
  if (probe.status !== 0) return { missing: `this kernel does not run the replay here: ${probe.stderr.trim()}` };
  return { bin, missing: undefined };
}

let dir: string | undefined;
function writeCalls(calls: readonly ReplayCall[]): string {
  dir ??= mkdtempSync(join(tmpdir(), 'seccomp-ts-replay-calls-'));
  const path = join(dir, `calls-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, callList(calls, 64));
  return path;
}
function writeFilter(k: number): string {
  dir ??= mkdtempSync(join(tmpdir(), 'seccomp-ts-replay-calls-'));
  const path = join(dir, `filter-${k.toString(16)}.bpf`);
  writeFileSync(path, encodeProgram([ins.ret(k)]));
  return path;
}

describe('replay-cost (the native helper)', () => {
  const helper = buildHelper();
  const zero = [0n, 0n, 0n, 0n, 0n, 0n];
  // exit_group(7) and exit(3): had either executed, the child would have ended without a result.
  const dangerous: ReplayCall[] = [
    { nr: 231, args: [7n, 0n, 0n, 0n, 0n, 0n], calls: 1 },
    { nr: 60, args: [3n, 0n, 0n, 0n, 0n, 0n], calls: 1 },
    { nr: 39, args: zero, calls: 2 },
  ];

  itWhen(helper.missing, 'replays exit and exit_group under an allow-all filter without executing them', () => {
    const calls = writeCalls(dangerous);
    const times = runReplay(helper.bin as string, [{ calls }, { filter: writeFilter(ALLOW), calls }], 2, 2, 60_000);
    expect(times).toHaveLength(2);
    for (const t of times) {
      expect(Number.isFinite(t.bestNs) && t.bestNs > 0).toBe(true);
      expect(t.medianNs).toBeGreaterThanOrEqual(t.bestNs);
    }
  });

  itWhen(helper.missing, 'runs the filter under test for replayed calls (a trapping filter ends the child before its result)', () => {
    const calls = writeCalls([{ nr: 39, args: zero, calls: 1 }]);
    expect(() => runReplay(helper.bin as string, [{ filter: writeFilter(TRAP), calls }], 1, 1, 60_000)).toThrow(/ended without a result/);
  });

  itWhen(helper.missing, 'refuses a call list carrying the marker value in any argument', () => {
    const calls = writeCalls([{ nr: 0, args: [0n, 0n, 0n, 0n, REPLAY_MARKER, 0n], calls: 1 }]);
    expect(() => runReplay(helper.bin as string, [{ calls }], 1, 1, 60_000)).toThrow(/marker/);
  });
});
