/** Importing Docker/OCI profiles: errors with JSON paths, hostile input, runc's semantics, fuzzing. */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import {
  DOCKER_DEFAULT_PROFILE_JSON, dockerDefaultPolicy, importDockerDefault, importProfile, loadProfile, ProfileError,
  type ImportOptions,
} from '../src/policy/oci/index.js';

const profile = (syscalls: unknown[], extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], ...extra, syscalls });
const allow = (names: string[], more: Record<string, unknown> = {}): Record<string, unknown> => ({ names, action: 'SCMP_ACT_ALLOW', ...more });
const errorOf = (text: string | object, options?: ImportOptions): string => {
  try {
    importProfile(text, options);
  } catch (err) {
    expect(err).toBeInstanceOf(ProfileError);
    return (err as Error).message;
  }
  throw new Error('expected a ProfileError');
};
const x86 = (nr: number, args: bigint[] = []) => ({ arch: 'x86_64' as const, nr, args });

describe('profile errors name the JSON path', () => {
  it('an unknown operator in the 13th entry', () => {
    const entries = Array.from({ length: 12 }, () => allow(['read']));
    entries.push(allow(['write'], { args: [{ index: 0, value: 1, op: 'SCMP_CMP_FOO' }] }));
    expect(errorOf(profile(entries))).toBe('syscalls[12].args[0].op: unknown operator "SCMP_CMP_FOO" ' +
      '(one of SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ)');
  });

  const cases: ReadonlyArray<[string, string | object, RegExp]> = [
    ['malformed JSON', '{"defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [,]}', /^malformed JSON: line 2, column 16: unexpected ","$/],
    ['truncated JSON', '{"defaultAction": "SCMP_ACT_ERRNO"', /^malformed JSON: line 1, column 35: expected ',' or '}', found end of input$/],
    ['trailing garbage', '{"defaultAction": "SCMP_ACT_ALLOW"} x', /after the end of the document/],
    ['not an object', '[1, 2]', /^expected an object, found an array$/],
    ['missing defaultAction', '{"syscalls": []}', /^defaultAction: missing \(required\)$/],
    ['unknown default action', '{"defaultAction": "SCMP_ACT_MAYBE"}', /^defaultAction: unknown action "SCMP_ACT_MAYBE"/],
    ['names is a string', profile([{ names: 'read', action: 'SCMP_ACT_ALLOW' }]), /^syscalls\[0\]\.names: expected an array, found a string$/],
    ['empty names', profile([{ names: [], action: 'SCMP_ACT_ALLOW' }]), /^syscalls\[0\]\.names: at least one syscall name is required$/],
    ['empty name', profile([allow(['read', ''])]), /^syscalls\[0\]\.names\[1\]: empty syscall name$/],
    ['a number among names', profile([allow(['read', 3 as unknown as string])]), /^syscalls\[0\]\.names\[1\]: expected a string, found a number$/],
    ['both name and names', profile([{ name: 'read', names: ['write'], action: 'SCMP_ACT_ALLOW' }]), /^syscalls\[0\]: both 'name' and 'names' are set/],
    ['missing action', profile([{ names: ['read'] }]), /^syscalls\[0\]\.action: missing \(required\)$/],
    ['argument index 6', profile([allow(['read'], { args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] })]), /^syscalls\[0\]\.args\[0\]\.index: argument index 6 is out of range/],
    ['negative value', profile([allow(['read'], { args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] })]), /^syscalls\[0\]\.args\[0\]\.value: -1 is negative/],
    ['fractional value', profile([allow(['read'], { args: [{ index: 0, value: 1.5, op: 'SCMP_CMP_EQ' }] })]), /^syscalls\[0\]\.args\[0\]\.value: expected an unsigned 64-bit integer, found 1.5$/],
    ['value past 2^64', '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551616,"op":"SCMP_CMP_EQ"}]}]}',
      /^syscalls\[0\]\.args\[0\]\.value: 18446744073709551616 is too large \(at most 18446744073709551615\)$/],
    ['valueTwo a string', profile([allow(['read'], { args: [{ index: 0, value: 1, valueTwo: '1', op: 'SCMP_CMP_MASKED_EQ' }] })]), /^syscalls\[0\]\.args\[0\]\.valueTwo: expected an unsigned 64-bit integer, found a string$/],
    ['missing op', profile([allow(['read'], { args: [{ index: 0, value: 1 }] })]), /^syscalls\[0\]\.args\[0\]\.op: missing \(required\)$/],
    ['errnoRet on ALLOW', profile([allow(['read'], { errnoRet: 1 })]), /^syscalls\[0\]\.action: errnoRet is only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW$/],
    ['errnoRet too large', profile([{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 70000 }]), /^syscalls\[0\]\.errnoRet: 70000 is too large \(at most 65535\)$/],
    ['defaultErrnoRet with ALLOW', '{"defaultAction":"SCMP_ACT_ALLOW","defaultErrnoRet":1}', /^defaultAction: errnoRet is only allowed/],
    ['unknown architecture', profile([], { architectures: ['SCMP_ARCH_Z80'] }), /^architectures\[0\]: unknown architecture "SCMP_ARCH_Z80"/],
    ['architectures and archMap', profile([], { archMap: [{ architecture: 'SCMP_ARCH_X86_64' }] }), /^both 'architectures' and 'archMap' are set/],
    ['archMap without architecture', '{"defaultAction":"SCMP_ACT_ALLOW","archMap":[{"subArchitectures":[]}]}', /^archMap\[0\]\.architecture: missing \(required\)$/],
    ['unknown flag', profile([], { flags: ['SECCOMP_FILTER_FLAG_FAST'] }), /^flags\[0\]: unknown flag "SECCOMP_FILTER_FLAG_FAST"/],
    ['listenerMetadata alone', profile([], { listenerMetadata: 'x' }), /^listenerMetadata: must not be set without listenerPath$/],
    ['NOTIFY as default', '{"defaultAction":"SCMP_ACT_NOTIFY"}', /^defaultAction: SCMP_ACT_NOTIFY cannot be the default action/],
    ['NOTIFY on write', profile([{ names: ['read', 'write'], action: 'SCMP_ACT_NOTIFY' }]), /^syscalls\[0\]\.names\[1\]: SCMP_ACT_NOTIFY cannot be used for write/],
    ['bad minKernel', profile([allow(['read'], { includes: { minKernel: 'five' } })]), /^syscalls\[0\]\.includes\.minKernel: invalid kernel version "five"/],
    ['caps not a list', profile([allow(['read'], { excludes: { caps: 'CAP_SYS_ADMIN' } })]), /^syscalls\[0\]\.excludes\.caps: expected an array, found a string$/],
    ['OCI config.json paths', { ociVersion: '1.2.0', linux: { seccomp: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [allow(['read'], { args: [{ index: 0, value: 1, op: 'LT' }] })] } } },
      /^linux\.seccomp\.syscalls\[0\]\.args\[0\]\.op: unknown operator "LT"/],
  ];
  for (const [what, input, message] of cases) {
    it(what, () => expect(errorOf(input)).toMatch(message));
  }

  it('loadProfile prefixes the file name to errors and warnings', () => {
    expect(() => loadProfile('{"defaultAction": 1}', 'profile.json')).toThrow(/^profile\.json: defaultAction: expected a string, found a number$/);
    const r = loadProfile(profile([allow(['read', 'frobnicate'])]), 'p.json');
    expect(r.warnings).toEqual(['p.json: unknown syscall name skipped (as runc does): frobnicate']);
  });

  it('bad options are errors too', () => {
    expect(errorOf(profile([]), { kernel: 'latest' })).toMatch(/invalid kernel version "latest"/);
    expect(errorOf(profile([]), { target: 'sparc' as never })).toMatch(/unsupported target "sparc"/);
  });
});

describe('hostile input: a clear error or a result, never a crash or a hang', () => {
  it('nesting 100,000 deep', () => {
    expect(errorOf('['.repeat(100_000))).toMatch(/nesting deeper than 64 levels/);
    expect(errorOf(`{"defaultAction":"SCMP_ACT_ALLOW","x":${'{"a":'.repeat(50_000)}`)).toMatch(/nesting deeper than 64 levels/);
  });

  it('a number of 100,000 digits', () => {
    const text = `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":${'9'.repeat(100_000)},"op":"SCMP_CMP_EQ"}]}]}`;
    expect(errorOf(text)).toMatch(/^syscalls\[0\]\.args\[0\]\.value: 9{24}… is too large/);
  });

  it('exponents and floats where integers belong', () => {
    expect(errorOf(profile([allow(['read'], { args: [{ index: 0, value: 1e300, op: 'SCMP_CMP_EQ' }] })]))).toMatch(/value: 1e\+300 is past 2\^53|expected an unsigned 64-bit integer/);
    expect(errorOf('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":1e2}]}')).toMatch(/errnoRet: expected an errno number \(0\.\.65535\), found 1e2/);
  });

  it('100,000 names in one entry, most unknown: one warning', () => {
    const names = Array.from({ length: 100_000 }, (_, i) => (i % 2 === 0 ? 'read' : `nosuch_${i}`));
    const r = importProfile(profile([allow(names)]));
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^unknown syscall names skipped \(as runc does\): nosuch_1, nosuch_3, /);
    expect(evaluatePolicy(r.policy, x86(0))).toEqual({ kind: 'ALLOW' });
  });

  it('100,000 conditional entries of different actions on one syscall are refused, not compared pairwise', () => {
    const entries = Array.from({ length: 100_000 }, (_, i) => ({
      names: ['read'], action: i % 2 === 0 ? 'SCMP_ACT_ALLOW' : 'SCMP_ACT_LOG', args: [{ index: 0, value: i, op: 'SCMP_CMP_EQ' }],
    }));
    expect(errorOf(profile(entries))).toMatch(/more than 512 conditional rules with different actions for one syscall/);
  });

  it('100,000 conditional entries on one syscall before an unconditional one: checked without pairwise blow-up', () => {
    const same = Array.from({ length: 100_000 }, (_, i) => ({ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: i, op: 'SCMP_CMP_EQ' }] }));
    const r = importProfile(profile([...same, { names: ['read'], action: 'SCMP_ACT_ALLOW' }]));
    expect(r.policy.rules.filter((x) => x.syscalls.includes('read'))).toHaveLength(1);
    const mixed = same.map((e, i) => (i % 2 === 0 ? e : { ...e, action: 'SCMP_ACT_LOG' }));
    expect(errorOf(profile([...mixed, { names: ['read'], action: 'SCMP_ACT_ALLOW' }]))).toMatch(/more than 512 conditional rules with different actions/);
  });

  it('strings with escapes and unicode survive; control characters do not', () => {
    expect(importProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["\\u0072ead"],"action":"SCMP_ACT_LOG","comment":"\\ud83d\\ude00 \\"x\\""}]}').policy.rules[0]!.comment).toBe('😀 "x"');
    expect(errorOf('{"defaultAction":"SCMP_ACT_ALLOW\n"}')).toMatch(/control character in string/);
  });
});

describe('runc semantics', () => {
  const one = (entries: unknown[], extra: Record<string, unknown> = {}, options?: ImportOptions) => importProfile(profile(entries, extra), options);

  it('maps every action as runc does', () => {
    const p = one([
      { names: ['read'], action: 'SCMP_ACT_KILL' },
      { names: ['write'], action: 'SCMP_ACT_KILL_THREAD' },
      { names: ['open'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['close'], action: 'SCMP_ACT_TRAP' },
      { names: ['stat'], action: 'SCMP_ACT_ERRNO' },
      { names: ['fstat'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      { names: ['lstat'], action: 'SCMP_ACT_TRACE' },
      { names: ['poll'], action: 'SCMP_ACT_TRACE', errnoRet: 9 },
      { names: ['lseek'], action: 'SCMP_ACT_LOG' },
      { names: ['mmap'], action: 'SCMP_ACT_NOTIFY' },
      { names: ['mprotect'], action: 'SCMP_ACT_ALLOW' },
    ], { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 13 }).policy;
    expect(p.defaultAction).toEqual({ kind: 'ERRNO', data: 13 });
    expect(p.rules.map((r) => r.action)).toEqual([
      { kind: 'KILL_THREAD' }, { kind: 'KILL_THREAD' }, { kind: 'KILL_PROCESS' }, { kind: 'TRAP', data: 0 },
      { kind: 'ERRNO', data: 1 }, { kind: 'ERRNO', data: 38 }, { kind: 'TRACE', data: 1 }, { kind: 'TRACE', data: 9 },
      { kind: 'LOG' }, { kind: 'USER_NOTIF' }, { kind: 'ALLOW' },
    ]);
    expect(p.badArchAction).toEqual({ kind: 'KILL_THREAD' });
  });

  it('skips rules that repeat the default action (even where they would win by precedence)', () => {
    const r = one([
      allow(['read'], { args: [{ index: 0, value: 5, op: 'SCMP_CMP_GT' }] }),
      { names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 7, op: 'SCMP_CMP_EQ' }] },
    ]);
    expect(evaluatePolicy(r.policy, x86(0, [7n]))).toEqual({ kind: 'ALLOW' });
    expect(evaluatePolicy(r.policy, x86(0, [3n]))).toEqual({ kind: 'ERRNO', data: 1 });
  });

  it('splits an entry that tests one argument twice into one rule per test (OR), as runc does', () => {
    const r = one([allow(['read'], { args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 2, op: 'SCMP_CMP_EQ' }] })]);
    expect(evaluatePolicy(r.policy, x86(0, [1n]))).toEqual({ kind: 'ALLOW' });
    expect(evaluatePolicy(r.policy, x86(0, [2n]))).toEqual({ kind: 'ALLOW' });
    expect(evaluatePolicy(r.policy, x86(0, [3n]))).toEqual({ kind: 'ERRNO', data: 1 });
    const and = one([allow(['read'], { args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 2, op: 'SCMP_CMP_EQ' }] })]);
    expect(evaluatePolicy(and.policy, x86(0, [1n, 3n]))).toEqual({ kind: 'ERRNO', data: 1 });
  });

  it('the first unconditional rule decides, with a warning for the rules it silences', () => {
    const r = one([
      { names: ['read'], action: 'SCMP_ACT_LOG', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
      allow(['read']),
      { names: ['read'], action: 'SCMP_ACT_KILL' },
    ]);
    expect(evaluatePolicy(r.policy, x86(0, [1n]))).toEqual({ kind: 'ALLOW' });
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings[0]).toMatch(/^syscalls\[0\]: the rule LOG for 'read' has no effect: syscalls\[1\] allows no exceptions/);
  });

  it('MASKED_EQ: value is the mask, valueTwo the datum, and datum bits outside the mask are dropped', () => {
    const r = one([allow(['read'], { args: [{ index: 1, value: 0xf0, valueTwo: 0x1f, op: 'SCMP_CMP_MASKED_EQ' }] })]);
    expect(r.policy.rules[0]!.conditions).toEqual([{ arg: 1, op: 'masked_eq', mask: 0xf0n, value: 0x10n }]);
    expect(evaluatePolicy(r.policy, x86(0, [0n, 0x13n]))).toEqual({ kind: 'ALLOW' });
  });

  it('keeps 64-bit values exact', () => {
    const text = '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}';
    expect(importProfile(text).policy.rules[0]!.conditions).toEqual([{ arg: 0, op: 'eq', value: 0xffffffffffffffffn }]);
  });

  it('compares only low halves on i386 and x32, as libseccomp does, and 64 bits on x86_64', () => {
    const r = one([allow(['read'], { args: [{ index: 0, value: 0x100000001, op: 'SCMP_CMP_EQ' }] })], { architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] });
    expect(r.policy.arches).toEqual(['x86_64', 'i386', 'x32']);
    expect(evaluatePolicy(r.policy, x86(0, [0x100000001n]))).toEqual({ kind: 'ALLOW' });
    expect(evaluatePolicy(r.policy, x86(0, [1n]))).toEqual({ kind: 'ERRNO', data: 1 });
    expect(evaluatePolicy(r.policy, { arch: 'x32', nr: 0x40000000, args: [0xdead00000001n] })).toEqual({ kind: 'ALLOW' });
    expect(evaluatePolicy(r.policy, { arch: 'i386', nr: 3, args: [1n] })).toEqual({ kind: 'ALLOW' });
  });

  it('on i386, socket and IPC rules also apply to socketcall and ipc with the sub-call in argument 0', () => {
    const r = one([
      allow(['socket'], { args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] }),
      allow(['shmat'], { args: [{ index: 1, value: 7, op: 'SCMP_CMP_EQ' }] }),
    ], { architectures: ['SCMP_ARCH_X86'] });
    const i386 = (nr: number, args: bigint[]) => evaluatePolicy(r.policy, { arch: 'i386', nr, args });
    expect(i386(359, [2n])).toEqual({ kind: 'ALLOW' });
    expect(i386(359, [10n])).toEqual({ kind: 'ERRNO', data: 1 });
    expect(i386(102, [1n, 12345n])).toEqual({ kind: 'ALLOW' }); // socketcall(SYS_SOCKET, any pointer)
    expect(i386(102, [2n])).toEqual({ kind: 'ERRNO', data: 1 });
    expect(i386(117, [21n, 7n])).toEqual({ kind: 'ALLOW' }); // ipc(SHMAT, a1 == 7): libseccomp copies the test
    expect(i386(117, [21n, 8n])).toEqual({ kind: 'ERRNO', data: 1 });
  });

  it('resolves Docker includes/excludes against capabilities, architecture and kernel', () => {
    const text = readFileSync(new URL('./fixtures/profiles/docker-conditional.json', import.meta.url), 'utf8');
    const names = (o: ImportOptions) => new Set(importProfile(text, o).policy.rules.flatMap((r) => r.syscalls).filter((s): s is string => typeof s === 'string'));
    expect(names({}).has('mount')).toBe(false);
    expect(names({ capabilities: ['CAP_SYS_ADMIN'] }).has('mount')).toBe(true);
    expect(names({ capabilities: ['CAP_SYS_PTRACE'] }).has('ptrace')).toBe(true);
    expect(names({ capabilities: ['CAP_SYS_PTRACE'], kernel: '4.4' }).has('ptrace')).toBe(false);
    expect(names({ kernel: '6.1' }).has('landlock_create_ruleset')).toBe(true);
    expect(names({ kernel: '5.10' }).has('landlock_create_ruleset')).toBe(false);
    expect(names({}).has('arch_prctl')).toBe(true);
    expect(names({ target: '386' }).has('arch_prctl')).toBe(false);
    expect(importProfile(text, { target: '386' }).policy.arches).toEqual(['i386']);
  });

  it('one warning lists the unknown names; strict makes them an error naming the first', () => {
    const r = one([allow(['read', 'fly']), allow(['swim', 'fly'])]);
    expect(r.warnings).toEqual(['unknown syscall names skipped (as runc does): fly, swim']);
    expect(errorOf(profile([allow(['read', 'fly']), allow(['swim'])]), { strict: true }))
      .toBe('syscalls[0].names[1]: unknown syscall "fly"; also unknown: "swim" (syscalls[1].names[0])');
  });

  it('warns about foreign architectures and unknown fields', () => {
    const r = one([{ ...allow(['read']), color: 'red' }], { architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_X86'], extra: 1 });
    expect(r.warnings).toEqual([
      'unknown fields ignored: extra, syscalls[0].color',
      'architectures: SCMP_ARCH_AARCH64 ignored: an amd64 kernel never runs those ABIs, so their calls cannot occur',
    ]);
  });

  it('keeps flags and the listener for export', () => {
    const r = one([], { flags: ['SECCOMP_FILTER_FLAG_LOG'], listenerPath: '/run/a.sock', listenerMetadata: 'm' });
    expect(r.meta).toEqual({ flags: ['SECCOMP_FILTER_FLAG_LOG'], listenerPath: '/run/a.sock', listenerMetadata: 'm' });
  });

  it('the built-in docker-default profile is the embedded Docker profile', () => {
    const p = dockerDefaultPolicy();
    expect(p.defaultAction).toEqual({ kind: 'ERRNO', data: 1 });
    expect(p.arches).toEqual(['x86_64', 'i386', 'x32']);
    expect(DOCKER_DEFAULT_PROFILE_JSON.length).toBe(13470);
    expect(evaluatePolicy(p, x86(101))).toEqual({ kind: 'ALLOW' }); // ptrace: from kernel 4.8, and every minKernel is met by default
    expect(evaluatePolicy(importDockerDefault({ kernel: '4.4' }).policy, x86(101))).toEqual({ kind: 'ERRNO', data: 1 });
  });
});

describe('fuzzing the importer', () => {
  const onlyProfileErrors = (input: string | object): void => {
    try {
      importProfile(input);
    } catch (err) {
      if (!(err instanceof ProfileError)) throw err;
      expect(err.message.length).toBeGreaterThan(0);
    }
  };

  it('any JSON value: a policy or a ProfileError', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
      onlyProfileErrors(JSON.stringify(v) ?? 'null');
      onlyProfileErrors(v as object);
    }), { numRuns: 2000 });
  });

  it('any string: a policy or a ProfileError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => onlyProfileErrors(s)), { numRuns: 2000 });
  });

  const fixtures = ['deny-list.json', 'ranges.json', 'masked.json', 'sockets-i386.json', 'docker-conditional.json', 'oci-config.json']
    .map((f) => JSON.parse(readFileSync(new URL(`./fixtures/profiles/${f}`, import.meta.url), 'utf8')) as unknown);
  fixtures.push(JSON.parse(DOCKER_DEFAULT_PROFILE_JSON) as unknown);

  /** Replaces the value at a random path of `doc` with `replacement`. */
  function mutate(doc: unknown, steps: readonly number[], replacement: unknown): unknown {
    if (steps.length === 0 || doc === null || typeof doc !== 'object') return replacement;
    const copy: Record<string, unknown> | unknown[] = Array.isArray(doc) ? [...doc] : { ...(doc as Record<string, unknown>) };
    const keys = Object.keys(copy);
    if (keys.length === 0) return replacement;
    const key = keys[steps[0]! % keys.length]!;
    (copy as Record<string, unknown>)[key] = mutate((copy as Record<string, unknown>)[key], steps.slice(1), replacement);
    return copy;
  }

  it('valid profiles with one random subtree replaced: a policy or a ProfileError', () => {
    const replacement = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom('SCMP_ACT_ALLOW', 'SCMP_CMP_MASKED_EQ', 'SCMP_ARCH_X32', 'CAP_SYS_ADMIN', '4.8', 'write', ''),
      fc.bigInt({ min: -1n, max: 1n << 65n }).map((b) => Number(b)),
      fc.constant(null),
    );
    fc.assert(fc.property(fc.nat(fixtures.length - 1), fc.array(fc.nat(400), { minLength: 1, maxLength: 6 }), replacement,
      (which, steps, value) => onlyProfileErrors(mutate(fixtures[which], steps, value) as object)), { numRuns: 3000 });
  });

  it('valid profiles cut short or with one character changed: a policy or a ProfileError', () => {
    const texts = fixtures.map((f) => JSON.stringify(f));
    fc.assert(fc.property(fc.nat(texts.length - 1), fc.nat(20000), fc.string({ minLength: 1, maxLength: 1 }), (which, at, ch) => {
      const t = texts[which]!;
      const i = at % t.length;
      onlyProfileErrors(t.slice(0, i));
      onlyProfileErrors(t.slice(0, i) + ch + t.slice(i + 1));
    }), { numRuns: 2000 });
  });
});
