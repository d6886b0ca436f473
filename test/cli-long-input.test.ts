/**
 * Names far longer than any syscall's are refused at once, and every message and warning is one line of bounded
 * length, however large the input it talks about.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARCH_NAMES, suggestSyscalls, syscallTable } from '../src/index.js';
import { MESSAGE_LINE_MAX } from '../src/cli/run.js';
import { SYSCALL_NAME_MAX, editDistance, quoteName } from '../src/syscalls/resolve.js';
import { cli } from './support/cli.js';

const MB = 1 << 20;
const huge = 'a'.repeat(MB);
const policyNaming = (name: string): string =>
  JSON.stringify({ defaultAction: 'ALLOW', arches: ['x86_64'], rules: [{ action: 'KILL_PROCESS', syscalls: [name] }] });

/** Each stderr line is short; the whole of stderr is one line per message. */
function expectBounded(stderr: string, lines = 1): void {
  const all = stderr.split('\n').filter(Boolean);
  expect(all).toHaveLength(lines);
  for (const l of all) expect(l.length).toBeLessThan(600);
}

describe('the bound on syscall names', () => {
  it('is more than twice the longest name of any ABI', () => {
    const longest = Math.max(...ARCH_NAMES.flatMap((a) => syscallTable(a).map((e) => e.name.length)));
    expect(longest).toBe(28); // sched_rr_get_interval_time64
    expect(SYSCALL_NAME_MAX).toBeGreaterThanOrEqual(2 * longest);
  });

  it('quoteName shows short names whole and long ones as a prefix with their length', () => {
    expect(quoteName('ptrace')).toBe('"ptrace"');
    expect(quoteName('a\nb')).toBe('"a\\nb"');
    expect(quoteName('x'.repeat(100))).toBe(`"${'x'.repeat(32)}"… (100 characters)`);
  });

  it('suggestions skip names too different in length, with the same result as comparing every name (property)', () => {
    const names = syscallTable('x86_64').map((e) => e.name);
    const reference = (wanted: string): string[] => {
      const threshold = Math.max(1, Math.floor(wanted.length / 3));
      const scored = names.map((n) => ({ n, d: Math.min(editDistance(wanted, n), editDistance(wanted, n.replace(/^_/, ''))) }))
        .filter((s) => s.d <= threshold);
      const best = Math.min(...scored.map((s) => s.d));
      return scored.filter((s) => s.d === best).map((s) => s.n).sort((a, b) => a.localeCompare(b)).slice(0, 3);
    };
    const typo = fc.tuple(fc.constantFrom(...names), fc.array(fc.tuple(fc.nat(40), fc.constantFrom('', 'x', '_', 'ab', 'e')), { maxLength: 4 }))
      .map(([n, edits]) => edits.reduce((s, [at, ins]) => s.slice(0, at % (s.length + 1)) + ins + s.slice((at % (s.length + 1)) + (ins === '' ? 1 : 0)), n))
      .filter((s) => s.trim() !== '');
    fc.assert(fc.property(typo, (t) => { expect(suggestSyscalls('x86_64', t)).toEqual(reference(t.trim().toLowerCase())); }), { numRuns: 300 });
  });
});

describe('a 1 MB syscall name is refused at once, with a short echo', () => {
  const expected = /unknown syscall "a{32}"… \(1048576 characters\) on x86_64: longer than any syscall name \(at most 64 characters\)/;
  it('compile (seccomp-ts policy)', async () => {
    const r = await cli(['compile', '-', '--format', 'asm'], policyNaming(huge));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(expected);
    expectBounded(r.stderr);
  }, 60_000);

  it('emu --batch, emu, resolve, explain --syscall, compile --tune', async () => {
    const batch = await cli(['emu', 'profile:hardened', '--batch'], `x86_64 read\nx86_64 ${huge} 1 2\n`);
    expect(batch.code).toBe(2);
    expect(batch.stderr).toMatch(expected);
    expectBounded(batch.stderr);
    const name = 'b'.repeat(120_000);
    for (const argv of [['emu', 'profile:hardened', name], ['resolve', name], ['explain', 'profile:hardened', '--syscall', name],
      ['compile', '--profile', 'hardened', '--tune', `allow:${name}`, '--format', 'asm']]) {
      const r = await cli(argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/unknown syscall "b{32}"… \(120000 characters\)/);
      expectBounded(r.stderr);
    }
  }, 60_000);

  it('asm: a long syscall name or label in filter text', async () => {
    const named = await cli(['asm', '-', '--format', 'hex'], `A = arch\nif (A != ARCH_X86_64) goto kill\nA = sys_number\nif (A == ${huge}) goto kill\nreturn ALLOW\nkill: return KILL_PROCESS\n`);
    expect(named.stderr).toBe('seccomp-ts: <stdin>: line 4, column 10: unknown syscall "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"… (1048576 characters) on x86_64\n');
    const label = await cli(['asm', '-', '--format', 'hex'], `A = arch\nif (A != ARCH_X86_64) goto ${huge}\nreturn ALLOW\n`);
    expect(label.stderr).toMatch(/unknown label "a{32}"… \(1048576 characters\)\n$/);
    const bare = await cli(['asm', '-', '--format', 'hex'], `A = sys_number\nif (A == ${huge}) goto done\ndone: return ALLOW\n`);
    expect(bare.stderr).toMatch(/syscall name "a{32}"… \(1048576 characters\) needs a known architecture .*; write x86_64:NAME, i386:NAME or a number\n$/);
  }, 60_000);

  it('a Docker profile: skipped with one short warning, or one short error with --strict', async () => {
    const profile = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [huge, 'ptrace'], action: 'SCMP_ACT_ERRNO' }] });
    const r = await cli(['compile', '-', '--format', 'asm'], profile);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: <stdin>: unknown syscall name skipped \(as runc does\): "a{32}"… \(1048576 characters\)\n$/);
    expectBounded(r.stderr);
    const strict = await cli(['compile', '-', '--format', 'asm', '--strict'], profile);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/syscalls\[0\]\.names\[0\]: unknown syscall "a{32}"… \(1048576 characters\)\n$/);
  }, 60_000);
});

describe('warnings about many names are summarised', () => {
  it('100,000 unknown names in a profile: one line with the first ten and a count', async () => {
    const names = Array.from({ length: 100_000 }, (_, i) => `nosuch_${i}`);
    const profile = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [...names, 'ptrace'], action: 'SCMP_ACT_ERRNO' }] });
    const r = await cli(['compile', '-', '--format', 'asm'], profile);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`seccomp-ts: warning: <stdin>: unknown syscall names skipped (as runc does): ${names.slice(0, 10).join(', ')} and 99990 more\n`);
    const strict = await cli(['compile', '-', '--format', 'asm', '--strict'], profile);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/unknown syscall "nosuch_0"; also unknown: "nosuch_1" \(syscalls\[0\]\.names\[1\]\), .* and 99989 more\n$/);
    expectBounded(strict.stderr);
  }, 30_000);

  it('any other message is cut at the line bound and says how much was left out', async () => {
    const r = await cli(['compile', '-', '--format', 'asm'], JSON.stringify({ defaultAction: 'ALLOW', arches: ['x86_64'], [`x${'y'.repeat(MB)}`]: 1, rules: [] }));
    expect(r.code).toBe(2);
    const [line] = r.stderr.split('\n');
    expect(line!.length).toBeLessThanOrEqual(MESSAGE_LINE_MAX + 40);
    expect(r.stderr).toMatch(/… \(\d+ more characters\)\n$/);
  });
});
