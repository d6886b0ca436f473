/**
 * Seccomp audit records: 1,000 random events rendered in every form (kernel log, dmesg, journalctl, audit.log,
 * ausearch -i) and read back; fixture files of each form decoded to golden output; malformed records named by line;
 * --explain against a policy, a Docker/OCI profile and a bare filter.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSeccompRecord, renderSeccompRecord, RECORD_FORMS, type SeccompEvent } from '../src/audit/record.js';
import { decodeAction } from '../src/syscalls/actions.js';
import { formatAction } from '../src/syscalls/action-text.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT, archesOfAuditArch } from '../src/syscalls/arch.js';
import { syscallName } from '../src/syscalls/resolve.js';
import { cli } from './support/cli.js';
import { goldenDir } from './support/golden.js';

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', 'audit');
const golden = goldenDir('audit');

const safeText = fc.stringMatching(/^[a-z0-9_./-]{1,15}$/);
const anyText = fc.oneof(safeText, fc.string({ minLength: 1, maxLength: 15 }).filter((s) => !s.includes('\u0000')));
const actionCode = fc.oneof(
  fc.constantFrom(0x80000000, 0, 0x7ffc0000, 0x7fff0000, 0x7fc00000),
  fc.integer({ min: 0, max: 0xffff }).map((d) => 0x00050000 | d),
  fc.integer({ min: 0, max: 0xffff }).map((d) => 0x00030000 | d),
  fc.integer({ min: 0, max: 0xffff }).map((d) => 0x7ff00000 | d),
);
const eventArb = (forAusearch: boolean): fc.Arbitrary<SeccompEvent> => fc.record({
  time: fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }).map((ms) => ms / 1000),
  serial: fc.nat({ max: 10_000_000 }),
  uid: fc.constantFrom(0, 1000, 65534),
  gid: fc.constantFrom(0, 1000, 65534),
  pid: fc.integer({ min: 1, max: 4_194_304 }),
  comm: forAusearch ? safeText : anyText,
  exe: forAusearch ? safeText.map((s) => `/usr/bin/${s}`) : anyText,
  sig: fc.constantFrom(0, 31),
  // ausearch -i names arches itself (aarch64, s390x, mipsel, …); the raw forms also carry arch values no ABI has.
  arch: forAusearch ? fc.constantFrom(AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 0xc00000b7, 0x80000016, 0x40000008)
    : fc.constantFrom(AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 0xc00000b7, 0x80000016, 0x12345),
  syscall: fc.oneof(fc.integer({ min: 0, max: 460 }), fc.integer({ min: 0, max: 0xffffffff })),
  compat: fc.boolean(),
  ip: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  code: actionCode,
}).map((e) => {
  // Kernel-consistent ABI fields: an x32 call carries the bit and compat=1; an i386 call compat=1.
  const x32 = e.arch === AUDIT_ARCH_X86_64 && (e.syscall & X32_SYSCALL_BIT) !== 0;
  return { ...e, compat: e.arch === AUDIT_ARCH_I386 || x32 ? true : e.arch === AUDIT_ARCH_X86_64 ? false : e.compat };
});

/** What the parser must read back from an event (ausearch -i keeps names only, and the action without data). */
function expected(e: SeccompEvent, interpreted: boolean) {
  const known = archesOfAuditArch(e.arch)[0];
  const abi = known === 'x86_64' ? ((e.syscall & X32_SYSCALL_BIT) !== 0 || e.compat ? 'x32' : 'x86_64') : known;
  const nr = abi === 'x32' ? (e.syscall & ~X32_SYSCALL_BIT) >>> 0 : e.syscall >>> 0;
  const name = abi === undefined ? undefined : syscallName(abi, abi === 'x32' ? (nr | X32_SYSCALL_BIT) >>> 0 : nr);
  const action = decodeAction(e.code >>> 0);
  return withoutUndefined({
    pid: e.pid, comm: e.comm, exe: e.exe, abi, syscall: name,
    action: interpreted ? action.kind : formatAction(action),
    ...(interpreted ? {} : { nr, code: e.code >>> 0 }),
  });
}

const withoutUndefined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

describe('seccomp audit records', () => {
  it('1,000 random records round-trip through the renderer and the parser, in every form', () => {
    let checked = 0;
    for (const form of RECORD_FORMS) {
      const interpreted = form === 'ausearch';
      fc.assert(fc.property(eventArb(interpreted), (e) => {
        const line = renderSeccompRecord(e, form);
        const record = parseSeccompRecord(line);
        const want = expected(e, interpreted);
        if (interpreted && want.syscall === undefined) {
          expect(record?.nr).toBe(want.abi === 'x32' ? (e.syscall & ~X32_SYSCALL_BIT) >>> 0 : e.syscall >>> 0);
          delete (want as { syscall?: string }).syscall;
        }
        expect(record).toMatchObject(want);
        checked++;
      }), { numRuns: 200, seed: 13 });
    }
    expect(checked).toBe(1000);
  });

  it('lines that are not seccomp records are not records; one missing a field is an error', () => {
    expect(parseSeccompRecord('type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=59 success=yes')).toBeUndefined();
    expect(parseSeccompRecord('[  1.0] random kernel text')).toBeUndefined();
    expect(() => parseSeccompRecord('audit: type=1326 audit(1.000:2): pid=1 arch=c000003e syscall=1')).toThrow('no code= field');
    expect(() => parseSeccompRecord('audit: type=1326 audit(1.000:2): pid=1 arch=c000003e syscall=1 code=0x5zz')).toThrow('code=0x5zz');
  });

  for (const fixture of ['audit.log', 'ausearch.txt', 'journal.txt']) {
    it(`decodes ${fixture} (golden), counting skipped lines and naming malformed records by line`, async () => {
      const text = await cli(['audit', join(FIXTURES, fixture)]);
      const json = await cli(['audit', '--json', join(FIXTURES, fixture)]);
      golden.expectGolden(`${fixture}.txt`, `${text.stdout}${text.stderr.replaceAll(FIXTURES, 'FIXTURES')}exit ${text.code}\n`);
      golden.expectGolden(`${fixture}.jsonl`, json.stdout);
      expect(json.code).toBe(text.code);
    });
  }

  it('--explain names the deciding rule and the tuning that lets the call through', async () => {
    const policy = join(FIXTURES, 'policy.json');
    const r = await cli(['audit', join(FIXTURES, 'journal.txt'), '--explain', policy]);
    expect(r.stdout).toContain('  mkdir: rule 1 (KILL_PROCESS) of');
    expect(r.stdout).toContain('let it through: --tune allow:mkdir');
    expect(r.stdout).toMatch(/socket: rule 2 \(ERRNO\(EAFNOSUPPORT\) when arg0 \(low 32 bits\) == 2\) of .* would have decided \(LOG: complain mode\); let it through: --tune allow:socket, or narrow the argument condition of rule 2/);
    const filter = await cli(['audit', join(FIXTURES, 'journal.txt'), '--explain', 'profile:hardened']);
    expect(filter.code).toBe(0);
    expect(filter.stdout).toContain('mkdir: ');
  });

  it('reading the kernel log without root, or --follow with a FILE, is one clear error', async () => {
    const r = await cli(['audit', '--follow', join(FIXTURES, 'journal.txt')]);
    expect(r).toMatchObject({ code: 2, stderr: 'seccomp-ts: audit: --follow reads the kernel log; give no FILE with it\n' });
  });
});
