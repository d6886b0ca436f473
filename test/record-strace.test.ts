/**
 * strace logs as recordings: fixtures in strace's forms (`-f -o` with PIDs, `-tt -T -y`, unfinished and resumed
 * calls, signals and exits; strace's stderr with `[pid N]` and its 32-bit / x32 mode notes) against golden
 * recordings; unreadable values and unknown names said and failing safe; the same counts as `record` for the
 * same command under the real strace; fuzzing (any text: a recording or StraceError); the CLI's --from-strace and
 * --workload with an strace log.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatRecording, parseRecording } from '../src/record/recording.js';
import { recordingFromStrace, StraceError } from '../src/record/strace.js';
import { cli } from './support/cli.js';
import { kernelMissing, sharedTempDir } from './support/live.js';
import { itWhen } from './support/require.js';

const FIXTURES = 'test/fixtures/strace';
const fixture = (name: string): string => readFileSync(join(FIXTURES, `${name}.strace`), 'utf8');
const golden = (name: string): string => readFileSync(`test/golden/strace/${name}.recording.json`, 'utf8');

describe('strace logs', () => {
  it.each(['forks', 'abis', 'stderr-form'])('%s gives its golden recording', (name) => {
    const read = recordingFromStrace(fixture(name), ['strace', `${FIXTURES}/${name}.strace`]);
    expect(formatRecording(read.recording)).toBe(golden(name));
  });

  it('counts a call where it starts, not again where it resumes; decodes families, personas and clone flags', () => {
    const { recording, calls } = recordingFromStrace(fixture('forks'));
    const x86 = recording.abis.x86_64!;
    expect(calls).toBe(30);
    expect(x86.clone).toEqual({ count: 2, args: { 0: { [0x1200011]: 2 } } });
    expect(x86.socket!.args).toEqual({ 0: { 1: 1, 10: 1, 16: 1 } });
    expect(x86.personality!.args).toEqual({ 0: { [0x40000]: 1, [0xffffffff]: 1 } });
    expect(x86.wait4!.count).toBe(2);
    expect(x86['#500']).toEqual({ count: 1 });
  });

  it('follows the 32-bit and x32 mode notes', () => {
    const { recording } = recordingFromStrace(fixture('abis'));
    expect([recording.abis.x86_64!.getpid!.count, recording.abis.i386!.getpid!.count, recording.abis.x32!.getpid!.count]).toEqual([2, 1, 1]);
  });

  it('says what it cannot read, and fails safe: an unreadable value allows every value, an unknown name is left out', () => {
    const { recording, warnings } = recordingFromStrace(fixture('stderr-form'));
    expect(warnings).toEqual([
      "line 4: socket's address family is not a value seccomp-ts reads; socket is allowed whatever its arguments",
      'line 5: frobnicate is no syscall seccomp-ts knows on x86_64; it is left out (the profile denies it)',
    ]);
    expect(recording.abis.x86_64!.socket).toEqual({ count: 2 });
  });

  it('refuses text without a system call', () => {
    expect(() => recordingFromStrace('hello\nworld\n')).toThrow(StraceError);
    expect(() => recordingFromStrace('')).toThrow('no system call found');
  });

  it('any text gives a recording that reads back, or StraceError (random and mutated logs)', () => {
    const lines = fixture('forks').split('\n');
    const mutated = fc.tuple(fc.array(fc.nat(lines.length - 1), { maxLength: 30 }), fc.array(fc.string({ unit: 'binary' }), { maxLength: 5 }))
      .map(([picks, noise]) => [...picks.map((i) => lines[i]!), ...noise].join('\n'));
    fc.assert(fc.property(fc.oneof(mutated, fc.string({ unit: 'binary', maxLength: 400 })), (text) => {
      try {
        const { recording } = recordingFromStrace(text);
        expect(formatRecording(parseRecording(JSON.parse(formatRecording(recording))))).toBe(formatRecording(recording));
      } catch (err) {
        expect(err).toBeInstanceOf(StraceError);
      }
    }), { numRuns: 300 });
  });
});

const straceMissing = kernelMissing ?? (spawnSync('strace', ['-V']).status === 0 ? undefined : 'strace is not installed');

describe('strace and record agree', () => {
  const tmp = sharedTempDir('strace');
  itWhen(straceMissing, 'the same command gives the same counts through strace -f as through record', async () => {
    const log = join(tmp.dir, 'ls.strace');
    // stdout a pipe in both, as ls asks the terminal about it.
    expect(spawnSync('strace', ['-f', '-o', log, 'ls', '-l', '/usr'], { stdio: ['ignore', 'pipe', 'pipe'] }).status).toBe(0);
    const recorded = await cli(['record', '--format', 'json', '--', 'ls', '-l', '/usr']);
    expect(recorded.code).toBe(0);
    const viaRecord = JSON.parse(recorded.stdout) as { abis: unknown };
    const viaStrace = JSON.parse(formatRecording(recordingFromStrace(readFileSync(log, 'utf8')).recording)) as { abis: unknown };
    expect(viaStrace.abis).toEqual(viaRecord.abis);
  }, 60_000);
});

describe('the CLI', () => {
  it('record --from-strace writes the profile record would, and the recording with --format json', async () => {
    const json = await cli(['record', '--from-strace', `${FIXTURES}/forks.strace`, '--format', 'json']);
    expect(json).toMatchObject({ code: 0, stdout: golden('forks') });
    expect(json.stderr).toBe('seccomp-ts: record: 18 syscalls (30 calls) on x86_64\n');
    const profile = await cli(['record', '--from-strace', `${FIXTURES}/forks.strace`, '--default-action', 'KILL_PROCESS']);
    expect(profile.code).toBe(0);
    for (const [call, verdict] of [[['socket', '10'], 'ALLOW'], [['socket', '2'], 'KILL_PROCESS'], [['clone', '0x1200011'], 'ALLOW'], [['ptrace'], 'KILL_PROCESS']] as const) {
      expect((await cli(['emu', '-', ...call], profile.stdout)).stdout).toMatch(new RegExp(`^${verdict}`));
    }
    expect(await cli(['record', '--from-strace', '-'], 'nothing here\n')).toMatchObject({
      code: 125, stderr: 'seccomp-ts: <stdin>: no system call found: not strace output (strace -f -o FILE CMD writes it)\n',
    });
  });
  it('stats and compile take an strace log as --workload', async () => {
    const r = await cli(['stats', '--profile', 'docker-default', '--workload', `${FIXTURES}/forks.strace`, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { calls: number }).calls).toBe(30);
    expect((await cli(['stats', '--profile', 'docker-default', '--workload', '-'], 'no calls\n')).stderr)
      .toBe('seccomp-ts: stats: --workload <stdin>: neither JSON call counts nor strace output (no system call found: not strace output (strace -f -o FILE CMD writes it))\n');
  });
});
