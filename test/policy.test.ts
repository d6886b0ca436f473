import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arg, arg32, callAbi, evaluatePolicy, formatPolicyJson, parseTuning, policy, policyFromJson, policyToJson,
  PolicyError, partialSyscallsMessage, policyWarnings, resolvePolicy, tunePolicy, HARDENED_EPERM_SYSCALLS,
} from '../src/policy/index.js';
import { getProfile, listProfiles, registerProfile } from '../src/policy/profiles/index.js';
import { resolveSyscall } from '../src/syscalls/index.js';
import type { Policy } from '../src/policy/types.js';
import { callArb, policyArb } from './compiler-arbitraries.js';

const errorOf = (f: () => unknown): PolicyError => {
  try {
    f();
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  throw new Error('no error');
};

const x64 = (name: string): number => resolveSyscall('x86_64', name);

describe('reference evaluator', () => {
  const p = policy('x86_64', 'i386')
    .defaultAction('ALLOW')
    .errno('EPERM', 'kill', arg(0).eq(1))
    .kill('kill', arg(0).eq(1), arg(1).eq(9))
    .log('kill')
    .build();
  it('the highest-precedence matching rule wins, whatever the order', () => {
    expect(evaluatePolicy(p, { arch: 'x86_64', nr: 62, args: [1n, 9n] })).toEqual({ kind: 'KILL_PROCESS' });
    expect(evaluatePolicy(p, { arch: 'x86_64', nr: 62, args: [1n, 8n] })).toEqual({ kind: 'ERRNO', data: 1 });
    expect(evaluatePolicy(p, { arch: 'x86_64', nr: 62, args: [2n] })).toEqual({ kind: 'LOG' });
    expect(evaluatePolicy(p, { arch: 'x86_64', nr: 0 })).toEqual({ kind: 'ALLOW' });
    const reversed: Policy = { ...p, rules: [...p.rules].reverse() };
    expect(evaluatePolicy(reversed, { arch: 'x86_64', nr: 62, args: [1n, 9n] })).toEqual({ kind: 'KILL_PROCESS' });
  });
  it('order of rules never matters (property)', () => {
    fc.assert(fc.property(policyArb.chain((q) => fc.tuple(fc.constant(q), callArb(q), fc.nat())), ([q, call, rot]) => {
      const n = q.rules.length;
      const rotated: Policy = { ...q, rules: n === 0 ? [] : [...q.rules.slice(rot % n), ...q.rules.slice(0, rot % n)].reverse() };
      const c = { arch: call.auditArch ?? call.arch, nr: call.nr, args: call.args };
      expect(evaluatePolicy(rotated, c)).toEqual(evaluatePolicy(q, c));
    }), { numRuns: 300 });
  });
  it('same-kind verdicts: the smaller data wins', () => {
    const q = policy('x86_64').defaultAction('ALLOW').errno('EACCES', 'read').errno('EPERM', 'read').build();
    expect(evaluatePolicy(q, { arch: 'x86_64', nr: 0 })).toEqual({ kind: 'ERRNO', data: 1 });
  });
  it('foreign ABIs get badArchAction (KILL_PROCESS by default)', () => {
    expect(evaluatePolicy(p, { arch: 'x32', nr: 0x40000000 + 39 })).toEqual({ kind: 'KILL_PROCESS' });
    expect(evaluatePolicy(p, { arch: 0xc00000b7, nr: 0 })).toEqual({ kind: 'KILL_PROCESS' });
    const q = policy('x86_64').defaultAction('ALLOW').badArchAction('ERRNO(ENOSYS)').build();
    expect(evaluatePolicy(q, { arch: 'i386', nr: 20 })).toEqual({ kind: 'ERRNO', data: 38 });
  });
  it('x86_64 with nr >= 0x40000000 is an x32 call', () => {
    const q = policy('x32').defaultAction('ALLOW').build();
    expect(evaluatePolicy(q, { arch: 'x86_64', nr: 0x40000027 })).toEqual({ kind: 'ALLOW' });
    expect(evaluatePolicy(q, { arch: 'x86_64', nr: 39 })).toEqual({ kind: 'KILL_PROCESS' });
  });
  it('i386 arguments are their low 32 bits; a 64-bit constant with a non-zero upper half never equals one', () => {
    const q = policy('i386').defaultAction('ALLOW').errno('EPERM', 'kill', arg(0).eq(0x100000001n)).errno('EACCES', 'kill', arg(0).gt(0xffffffffn)).build();
    expect(evaluatePolicy(q, { arch: 'i386', nr: 37, args: [0x100000001n] })).toEqual({ kind: 'ALLOW' });
    expect(evaluatePolicy(q, { arch: 'i386', nr: 37, args: [0xffffffffn] })).toEqual({ kind: 'ALLOW' });
  });
  it('width 32 ignores the upper half', () => {
    const q = policy('x86_64').defaultAction('ALLOW').errno('EPERM', 'kill', arg32(0).eq(5)).build();
    expect(evaluatePolicy(q, { arch: 'x86_64', nr: 62, args: [0xabc00000005n] })).toEqual({ kind: 'ERRNO', data: 1 });
  });
  it('the ENOSYS guard answers numbers above the table unless a rule names them', () => {
    const q = policy('x86_64').defaultAction('KILL_PROCESS').enosysGuard().rule('ALLOW', { arch: 'x86_64', nr: 2000 }).build();
    expect(evaluatePolicy(q, { arch: 'x86_64', nr: 1999 })).toEqual({ kind: 'ERRNO', data: 38 });
    expect(evaluatePolicy(q, { arch: 'x86_64', nr: 2000 })).toEqual({ kind: 'ALLOW' });
    expect(evaluatePolicy(q, { arch: 'x86_64', nr: 0 })).toEqual({ kind: 'KILL_PROCESS' });
  });
});

describe('validation', () => {
  it('an unknown syscall gets suggestions and its path', () => {
    const e = errorOf(() => policy().defaultAction('ALLOW').allow(['read', 'clock_adjtme']).build());
    expect(e.path).toBe('rules[0].syscalls[1]');
    expect(e.message).toMatch(/clock_adjtime/);
  });
  it('a syscall absent on every covered ABI says where it exists', () => {
    const e = errorOf(() => policy('x86_64', 'x32').defaultAction('ALLOW').allow('vm86').build());
    expect(e.message).toMatch(/'vm86' does not exist on x86_64, x32.*exists on i386/);
  });
  it('a syscall absent on some covered ABIs is skipped there with a warning naming them', () => {
    const q = policy('x86_64', 'x32').defaultAction('ALLOW').errno('EPERM', '_sysctl').build();
    expect(policyWarnings(q)).toEqual([{
      code: 'partial-syscalls', syscalls: [{ name: '_sysctl', missingOn: ['x32'] }],
      message: '1 syscall exists on only some of the covered ABIs and applies where it exists: not on x32: _sysctl',
    }]);
    expect(evaluatePolicy(q, { arch: 'x86_64', nr: x64('_sysctl') })).toEqual({ kind: 'ERRNO', data: 1 });
  });
  it('names missing on some ABIs make one warning, grouped by ABI, with a short form', () => {
    const q = policy('x86_64', 'i386').defaultAction('ALLOW')
      .errno('EPERM', ['mmap2', 'chown32', 'newfstatat', 'fcntl64', 'read', 'chown32', 'ftruncate64', 'stat64']).build();
    const warnings = policyWarnings(q);
    expect(warnings).toHaveLength(1);
    const w = warnings[0];
    if (w?.code !== 'partial-syscalls') throw new Error('expected a partial-syscalls warning');
    expect(w.syscalls.map((x) => x.name)).toEqual(['mmap2', 'chown32', 'newfstatat', 'fcntl64', 'ftruncate64', 'stat64']);
    expect(w.message).toBe('6 syscalls exist on only some of the covered ABIs and apply where they exist: ' +
      'not on x86_64: mmap2, chown32, fcntl64, ftruncate64, stat64; not on i386: newfstatat');
    expect(partialSyscallsMessage(w.syscalls, 3)).toBe('6 syscalls exist on only some of the covered ABIs and apply ' +
      'where they exist: mmap2, chown32, newfstatat and 3 more');
    expect(partialSyscallsMessage(w.syscalls, 6)).toBe(w.message);
  });
  it('numbers on ABIs the policy does not cover make one warning listing them', () => {
    const q: Policy = {
      defaultAction: { kind: 'ALLOW' }, arches: ['x86_64'],
      rules: [{ syscalls: [{ arch: 'i386', nr: 1 }, 'read', { arch: 'x32', nr: 0 }], action: { kind: 'LOG' } }],
    };
    expect(policyWarnings(q)).toEqual([{ code: 'uncovered-abi', message: '2 syscall numbers name ABIs this policy does ' +
      'not cover and are ignored: rules[0].syscalls[0] (i386:1), rules[0].syscalls[2] (x32:0)' }]);
  });
  it('an accepted socketcall hole is reported only where socketcall can get through', () => {
    const base = policy('x86_64', 'i386').defaultAction('ERRNO(EPERM)').allow('socket', arg32(0).eq(1)).allowSocketcallHole();
    const codes = (p: Policy): string[] => policyWarnings(p).map((w) => w.code).filter((c) => c !== 'unfiltered');
    expect(codes(base.build())).toEqual([]);
    expect(codes(base.log({ arch: 'i386', nr: resolveSyscall('i386', 'socketcall') }, arg(0).eq(1)).build())).toEqual(['socketcall-hole']);
  });
  it.each([
    [{ arg: 6, op: 'eq', value: 1n }, /rules\[0\]\.conditions\[0\]\.arg: argument index must be 0\.\.5/],
    [{ arg: 0, op: 'eq', value: 1n << 64n }, /conditions\[0\]\.value: .* does not fit in 64 bits/],
    [{ arg: 0, op: 'eq', value: 0x100000000n, width: 32 }, /does not fit in 32 bits/],
    [{ arg: 0, op: 'masked_eq', mask: 0xffn, value: 0x100n }, /bits outside the mask/],
    [{ arg: 0, op: 'lt', value: -1n }, /negative/],
    [{ arg: 0, op: 'like', value: 1n }, /unknown operator/],
  ])('condition %o is refused', (cond, message) => {
    const q = { defaultAction: { kind: 'ALLOW' }, arches: ['x86_64'], rules: [{ syscalls: ['read'], action: { kind: 'ALLOW' }, conditions: [cond] }] };
    expect(() => resolvePolicy(q as unknown as Policy)).toThrow(message);
  });
  it('conflicting or missing options are refused', () => {
    expect(() => resolvePolicy({ defaultAction: { kind: 'ALLOW' }, arches: [], rules: [] })).toThrow(/at least one ABI/);
    expect(() => resolvePolicy({ defaultAction: { kind: 'ALLOW' }, arches: ['x86_64', 'x86_64'], rules: [] })).toThrow(/arches\[1\]: x86_64 is listed twice/);
    expect(() => resolvePolicy({ defaultAction: { kind: 'ERRNO', data: 70000 }, arches: ['x86_64'], rules: [] })).toThrow(/defaultAction/);
    expect(() => resolvePolicy({ defaultAction: { kind: 'ALLOW' }, arches: ['x86_64'], rules: [{ syscalls: [], action: { kind: 'ALLOW' } }] })).toThrow(/rules\[0\]\.syscalls/);
    expect(() => resolvePolicy({ defaultAction: { kind: 'ALLOW' }, arches: ['x86_64'], rules: [{ syscalls: [{ arch: 'x86_64', nr: 0x40000001 }], action: { kind: 'ALLOW' } }] }))
      .toThrow(/x32 bit/);
  });
  it('rules on uprobe/uretprobe warn that the kernel never filters them', () => {
    const q = policy('x86_64').defaultAction('ALLOW').errno('EPERM', 'uprobe').build();
    expect(policyWarnings(q).map((w) => [w.code, w.message])).toEqual([
      ['unfiltered', "x86_64: the kernel runs no seccomp filter for uprobe (336), so this policy's ERRNO(EPERM) for it is never applied: it always goes through"],
    ]);
    // A default that denies them is warned about too, once for both; allowing them silences it.
    const denyAll = policy('x86_64').defaultAction('KILL_PROCESS').allow('read').build();
    expect(policyWarnings(denyAll).map((w) => w.message)).toEqual([
      "x86_64: the kernel runs no seccomp filter for uretprobe (335) or uprobe (336), so this policy's KILL_PROCESS for them is never applied: they always go through",
    ]);
    expect(policyWarnings(policy('x86_64').defaultAction('KILL_PROCESS').allow('uretprobe').allow('uprobe').build())).toEqual([]);
    expect(policyWarnings(policy('i386').defaultAction('KILL_PROCESS').allow('read').build())).toEqual([]);
  });
});

describe('JSON form', () => {
  it('round-trips (property)', () => {
    fc.assert(fc.property(policyArb, (p) => {
      const text = formatPolicyJson(p);
      const back = policyFromJson(text);
      expect(policyToJson(back)).toEqual(policyToJson(p));
      expect(back).toEqual(JSON.parse(JSON.stringify(p, (_, v) => (typeof v === 'bigint' ? `${v}` : v)), (k, v) =>
        (['value', 'mask'].includes(k) ? BigInt(v as string) : v)));
    }), { numRuns: 300 });
  });
  it('reads hex and decimal strings, symbolic operators and libseccomp action names', () => {
    const p = policyFromJson({
      defaultAction: 'SCMP_ACT_ERRNO(1)', arches: ['x86_64'],
      rules: [{ syscalls: ['kill'], action: 'ALLOW', conditions: [{ arg: 1, op: '<=', value: '0xffffffffffffffff' }, { arg: 0, op: '==', value: '18446744073709551615' }] }],
    });
    expect(p.defaultAction).toEqual({ kind: 'ERRNO', data: 1 });
    expect(p.rules[0]?.conditions).toEqual([{ arg: 1, op: 'le', value: (1n << 64n) - 1n }, { arg: 0, op: 'eq', value: (1n << 64n) - 1n }]);
  });
  it.each([
    ['{', /^not valid JSON/],
    [{ arches: ['x86_64'], rules: [] }, /^defaultAction: missing/],
    [{ defaultAction: 'ALOW', arches: ['x86_64'], rules: [] }, /^defaultAction: unknown action/],
    [{ defaultAction: 'ALLOW', arches: ['armv9'], rules: [] }, /^arches\[0\]: unknown ABI "armv9" \(one of x86_64, i386, x32, arm, aarch64/],
    [{ defaultAction: 'ALLOW', arches: ['x86_64'], rules: [{ syscalls: ['read'], action: 'ALLOW', conditions: [{ arg: 0, op: 'eq', value: 2 ** 60 }] }] },
      /^rules\[0\]\.conditions\[0\]\.value: \d+ is past 2\^53, where JSON numbers lose precision/],
    [{ defaultAction: 'ALLOW', arches: ['x86_64'], rules: [{ syscalls: ['read'], action: 'ALLOW', conditions: [{ arg: 0, op: 'eq', value: '0x1ffffffffffffffff' }] }] },
      /^rules\[0\]\.conditions\[0\]\.value: .* does not fit in 64 bits/],
    [{ defaultAction: 'ALLOW', arches: ['x86_64'], rules: [{ syscalls: ['read'], action: 'ALLOW', conditions: [{ arg: 0, op: 'masked_eq', value: 1 }] }] },
      /^rules\[0\]\.conditions\[0\]\.mask: masked_eq needs a mask/],
    [{ defaultAction: 'ALLOW', arches: ['x86_64'], rules: [{ syscalls: ['read'], action: 'ALLOW', extra: 1 }] }, /^rules\[0\]\.extra: unknown field/],
    [{ defaultAction: 'ALLOW', arches: ['x86_64'], rules: [{ syscalls: [{ arch: 'x86_64', nr: -1 }], action: 'ALLOW' }] }, /^rules\[0\]\.syscalls\[0\]\.nr/],
  ])('%j is refused with its path', (input, message) => {
    expect(() => policyFromJson(input)).toThrow(message);
  });
});

describe('builder', () => {
  it('builds the policy its calls describe, immutably', () => {
    const base = policy('x86_64', 'i386').defaultAction('ERRNO(EPERM)');
    const a = base.allow(['read', 'write']).errno('EAFNOSUPPORT', 'socket', arg32(0).gt(16)).trace(7, 'ptrace').enosysGuard();
    expect(base.build().rules).toEqual([]);
    expect(a.build()).toEqual({
      defaultAction: { kind: 'ERRNO', data: 1 },
      arches: ['x86_64', 'i386'],
      enosysGuard: true,
      rules: [
        { syscalls: ['read', 'write'], action: { kind: 'ALLOW' } },
        { syscalls: ['socket'], action: { kind: 'ERRNO', data: 97 }, conditions: [{ arg: 0, op: 'gt', value: 16n, width: 32 }] },
        { syscalls: ['ptrace'], action: { kind: 'TRACE', data: 7 } },
      ],
    });
  });
  it('refuses bad input at once', () => {
    expect(() => arg(6)).toThrow(/0\.\.5/);
    expect(() => policy().errno('EWHAT', 'read')).toThrow(/unknown errno/);
    expect(() => policy().defaultAction('MAYBE')).toThrow(/unknown action/);
  });
});

describe('hardened profile', () => {
  const h = getProfile('hardened');
  const at = (nr: number, args: bigint[] = []) => evaluatePolicy(h, { arch: 'x86_64', nr, args });
  it('is listed and rebuilt fresh each time', () => {
    expect(listProfiles().map((p) => p.name)).toContain('hardened');
    expect(getProfile('hardened')).toEqual(h);
    expect(getProfile('hardened')).not.toBe(h);
  });
  it('denies the listed syscalls with EPERM and restricts socket families', () => {
    for (const n of HARDENED_EPERM_SYSCALLS) expect(at(x64(n))).toEqual({ kind: 'ERRNO', data: 1 });
    expect(at(x64('socket'), [10n])).toEqual({ kind: 'ALLOW' });
    expect(at(x64('socket'), [17n])).toEqual({ kind: 'ERRNO', data: 97 });
  });
  it('unknown profiles name the known ones', () => {
    expect(() => getProfile('nope')).toThrow(/unknown profile 'nope' \(known: .*hardened/);
  });
  it('other modules can register profiles', () => {
    registerProfile({ name: 'test-only', description: 'x', build: () => policy().defaultAction('ALLOW').build() });
    expect(getProfile('test-only').defaultAction).toEqual({ kind: 'ALLOW' });
  });
});

describe('tuning', () => {
  const h = getProfile('hardened');
  const verdict = (p: Policy, name: string, args: bigint[] = []) => evaluatePolicy(p, { arch: 'x86_64', nr: x64(name), args });
  it('allow:NAME takes the syscall out of shared rules, leaving the others', () => {
    const t = tunePolicy(h, ['allow:clock_adjtime']);
    expect(verdict(t, 'clock_adjtime')).toEqual({ kind: 'ALLOW' });
    expect(verdict(t, 'adjtimex')).toEqual({ kind: 'ERRNO', data: 1 });
    expect(t.rules.length).toBe(h.rules.length);
  });
  it('allow:socket on hardened lifts the family restriction', () => {
    const t = tunePolicy(h, ['seccomp:allow:socket']);
    expect(verdict(t, 'socket', [40n])).toEqual({ kind: 'ALLOW' });
    expect(t.rules.some((r) => r.syscalls.includes('socket'))).toBe(false);
  });
  it('allow:NAME on a deny-default policy adds an unconditional allow that beats argument rules', () => {
    const base = policy().defaultAction('ERRNO(EPERM)').allow('clone', arg(0).eq(0)).kill('clone', arg(0).eq(1)).build();
    const t = tunePolicy(base, ['allow:clone']);
    expect(evaluatePolicy(t, { arch: 'x86_64', nr: x64('clone'), args: [1n] })).toEqual({ kind: 'ALLOW' });
  });
  it('deny:NAME wins over anything, with ERRNO(EPERM) unless told otherwise', () => {
    const t = tunePolicy(h, ['deny:getpid']);
    expect(verdict(t, 'getpid')).toEqual({ kind: 'ERRNO', data: 1 });
    const k = tunePolicy(h, ['deny:getpid'], { denyAction: { kind: 'KILL_PROCESS' } });
    expect(verdict(k, 'getpid')).toEqual({ kind: 'KILL_PROCESS' });
  });
  it('deny:all then allows builds an allow list, applied in order', () => {
    const t = tunePolicy(h, ['deny:all', 'allow:read', 'allow:write', 'deny:write']);
    expect(verdict(t, 'read')).toEqual({ kind: 'ALLOW' });
    expect(verdict(t, 'write')).toEqual({ kind: 'ERRNO', data: 1 });
    expect(verdict(t, 'getpid')).toEqual({ kind: 'ERRNO', data: 1 });
    expect(t.arches).toEqual(h.arches);
  });
  it('bad entries are refused with their position and suggestions', () => {
    expect(() => tunePolicy(h, ['allow:read', 'allow:clock_adjtme'])).toThrow(/tune\[1\].*clock_adjtime/);
    expect(() => tunePolicy(h, ['permit:read'])).toThrow(/tune\[0\]: "permit:read" is not a tuning entry/);
    expect(() => parseTuning('allow:all')).toThrow(/not supported/);
  });
  it('tuning keeps verdicts of untouched syscalls (property)', () => {
    fc.assert(fc.property(policyArb.chain((q) => fc.tuple(fc.constant(q), callArb(q))), ([q, call]) => {
      const t = tunePolicy(q, ['allow:read', 'deny:write']);
      const c = { arch: call.auditArch ?? call.arch, nr: call.nr, args: call.args };
      const v = evaluatePolicy(t, c);
      const arch = callAbi(c.arch, c.nr);
      if (arch === undefined) return;
      const named = (n: string) => { try { return resolveSyscall(arch, n) === call.nr; } catch { return false; } };
      if (named('read') || named('write') || (arch === 'i386' && named('socketcall'))) return;
      expect(v).toEqual(evaluatePolicy(q, c));
    }), { numRuns: 300 });
  });
});

describe('hostile input', () => {
  const valid = formatPolicyJson(getProfile('hardened'));
  const expectCleanOutcome = (input: unknown): void => {
    try {
      const p = policyFromJson(input);
      resolvePolicy(p);
    } catch (err) {
      if (!(err instanceof PolicyError)) throw new Error(`not a PolicyError: ${String(err)}`);
      expect(err.message.split('\n')).toHaveLength(1);
    }
  };
  it('arbitrary JSON values give a policy or a one-line PolicyError, never a crash', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => expectCleanOutcome(v)), { numRuns: 2000 });
  });
  it('valid policies with one field replaced by arbitrary JSON give a policy or a one-line PolicyError', () => {
    const base = JSON.parse(valid) as Record<string, unknown>;
    const paths: ((o: Record<string, unknown>, v: unknown) => void)[] = [
      (o, v) => { o.defaultAction = v; }, (o, v) => { o.arches = v; }, (o, v) => { o.rules = v; },
      (o, v) => { (o.rules as Record<string, unknown>[])[0]!.syscalls = v; },
      (o, v) => { (o.rules as Record<string, unknown>[])[1]!.conditions = v; },
      (o, v) => { ((o.rules as Record<string, unknown>[])[1]!.conditions as Record<string, unknown>[])[0]!.value = v; },
      (o, v) => { ((o.rules as Record<string, unknown>[])[1]!.conditions as Record<string, unknown>[])[0]!.arg = v; },
      (o, v) => { o.enosysGuard = v; },
    ];
    fc.assert(fc.property(fc.nat({ max: paths.length - 1 }), fc.jsonValue(), (i, v) => {
      const o = JSON.parse(valid) as Record<string, unknown>;
      (paths[i] as (o: Record<string, unknown>, v: unknown) => void)(o, v);
      expectCleanOutcome(o);
    }), { numRuns: 2000 });
    expect(base.defaultAction).toBe('ALLOW');
  });
  it('deep nesting and huge lists are refused or read without trouble', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10000; i++) deep = [deep];
    expectCleanOutcome({ defaultAction: 'ALLOW', arches: ['x86_64'], rules: deep });
    const many = { defaultAction: 'ALLOW', arches: ['x86_64'], rules: [{ syscalls: Array.from({ length: 100000 }, () => 'read'), action: 'ERRNO(1)' }] };
    expect(evaluatePolicy(policyFromJson(many), { arch: 'x86_64', nr: 0 })).toEqual({ kind: 'ERRNO', data: 1 });
  });
});
