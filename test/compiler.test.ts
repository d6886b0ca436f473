import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy, CompileError, linearDispatch } from '../src/compiler/index.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { evaluatePolicy, policy, arg, arg32, tunePolicy, HARDENED_EPERM_SYSCALLS } from '../src/policy/index.js';
import { getProfile } from '../src/policy/profiles/index.js';
import { interpret, seccompData } from '../src/emulator/index.js';
import { validate } from '../src/bpf/validator.js';
import { encodeAction, type Action } from '../src/syscalls/actions.js';
import { resolveSyscall } from '../src/syscalls/index.js';
import { X32_SYSCALL_BIT, type ArchName } from '../src/syscalls/arch.js';
import type { Program } from '../src/bpf/instructions.js';
import type { Policy } from '../src/policy/types.js';
import { auditOf, callArb, policyArb, type TestCall } from './compiler-arbitraries.js';

function emulate(program: Program, call: TestCall): number {
  const data = seccompData({ arch: call.arch, nr: call.nr, args: call.args });
  if (call.auditArch === undefined) return interpret(program, data).raw;
  const words = new Uint32Array(data.words);
  words[1] = call.auditArch;
  return interpret(program, words).raw;
}

const expected = (p: Policy, call: TestCall): number =>
  encodeAction(evaluatePolicy(p, { arch: call.auditArch ?? call.arch, nr: call.nr, args: call.args }));

const nr = (arch: ArchName, name: string): number => resolveSyscall(arch, name);

describe('compiled filter == reference evaluator (emulator)', () => {
  let checked = 0;
  it('random policies and calls: every operator and action, 64- and 32-bit constants, all ABIs', () => {
    fc.assert(
      fc.property(policyArb.chain((p) => fc.tuple(fc.constant(p), fc.array(callArb(p), { minLength: 40, maxLength: 40 }))), ([p, calls]) => {
        const plain = compilePolicy(p).program;
        const optimized = compilePolicy(p, performanceCompileOptions()).program;
        expect(validate(plain).ok).toBe(true);
        expect(validate(optimized).ok).toBe(true);
        for (const call of calls) {
          checked++;
          const want = expected(p, call);
          for (const [name, program] of [['plain', plain], ['optimized', optimized]] as const) {
            const got = emulate(program, call);
            if (got !== want) {
              throw new Error(`${name} filter, call ${JSON.stringify(call, (_, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}: ` +
                `filter 0x${got.toString(16)}, evaluator 0x${want.toString(16)}`);
            }
          }
        }
      }),
      { numRuns: 600 },
    );
    console.log(`[compiler] emulator vs reference evaluator: ${checked} calls, each through the plain and the optimized filter, 0 disagreements`);
    expect(checked).toBeGreaterThanOrEqual(20000);
  }, 120_000);

  it('the ENOSYS guard option overrides the policy', () => {
    const p = policy('x86_64').defaultAction('ERRNO(EPERM)').allow('read').build();
    const { program } = compilePolicy(p, { enosysGuard: true });
    const above = emulate(program, { arch: 'x86_64', nr: 1000, args: [] });
    expect(above).toBe(encodeAction({ kind: 'ERRNO', data: 38 }));
    expect(emulate(program, { arch: 'x86_64', nr: 1, args: [] })).toBe(encodeAction({ kind: 'ERRNO', data: 1 }));
    expect(emulate(program, { arch: 'x86_64', nr: 0, args: [] })).toBe(encodeAction({ kind: 'ALLOW' }));
    const plain = compilePolicy(p).program;
    expect(emulate(plain, { arch: 'x86_64', nr: 1000, args: [] })).toBe(encodeAction({ kind: 'ERRNO', data: 1 }));
  });
});

describe('arch dispatch', () => {
  const p = policy('x86_64').defaultAction('ALLOW').errno('EPERM', 'getpid').build();
  const { program } = compilePolicy(p);
  it('x32 calls (nr with the x32 bit) are foreign on an x86_64-only filter', () => {
    const got = emulate(program, { arch: 'x32', nr: nr('x32', 'getpid'), args: [] });
    expect(got).toBe(encodeAction({ kind: 'KILL_PROCESS' }));
    expect(emulate(program, { arch: 'x86_64', nr: 0x40000000, args: [] })).toBe(encodeAction({ kind: 'KILL_PROCESS' }));
    expect(emulate(program, { arch: 'x86_64', nr: 0xfffffffe, args: [] })).toBe(encodeAction({ kind: 'KILL_PROCESS' }));
  });
  it('nr -1 (a tracer skipping a call) gets the default action without x32, as libseccomp gives it, even with the ENOSYS guard', () => {
    expect(emulate(program, { arch: 'x86_64', nr: 0xffffffff, args: [] })).toBe(encodeAction({ kind: 'ALLOW' }));
    const guarded = policy('x86_64').defaultAction('ERRNO(EPERM)').allow('read').build();
    expect(emulate(compilePolicy(guarded, { enosysGuard: true }).program, { arch: 'x86_64', nr: 0xffffffff, args: [] })).toBe(encodeAction({ kind: 'ERRNO', data: 1 }));
    expect(evaluatePolicy(guarded, { arch: 'x86_64', nr: 0xffffffff })).toEqual({ kind: 'ERRNO', data: 1 });
    // With x32 covered it is an x32 number like any other; without x86_64 it is foreign.
    const withX32 = policy('x86_64', 'x32').defaultAction('ALLOW').build();
    expect(emulate(compilePolicy(withX32).program, { arch: 'x86_64', nr: 0xffffffff, args: [] })).toBe(encodeAction({ kind: 'ALLOW' }));
    const i386Only = policy('i386').defaultAction('ALLOW').build();
    expect(emulate(compilePolicy(i386Only).program, { arch: 'x86_64', nr: 0xffffffff, args: [] })).toBe(encodeAction({ kind: 'KILL_PROCESS' }));
  });
  it('i386 calls are foreign on an x86_64-only filter', () => {
    expect(emulate(program, { arch: 'i386', nr: 20, args: [] })).toBe(encodeAction({ kind: 'KILL_PROCESS' }));
  });
  it('the x32 section accepts only numbers with the x32 bit', () => {
    const q = policy('x32').defaultAction('ALLOW').errno('EPERM', 'getpid').build();
    const prog = compilePolicy(q).program;
    const getpid = nr('x32', 'getpid');
    expect(getpid & X32_SYSCALL_BIT).toBe(X32_SYSCALL_BIT);
    expect(emulate(prog, { arch: 'x32', nr: getpid, args: [] })).toBe(encodeAction({ kind: 'ERRNO', data: 1 }));
    // The same number without the bit is an x86_64 call: foreign here.
    expect(emulate(prog, { arch: 'x86_64', nr: getpid & ~X32_SYSCALL_BIT, args: [] })).toBe(encodeAction({ kind: 'KILL_PROCESS' }));
  });
  it('badArchAction applies to foreign audit arches', () => {
    const q = policy('x86_64', 'i386', 'x32').defaultAction('ALLOW').badArchAction('ERRNO(EPERM)').build();
    const prog = compilePolicy(q).program;
    expect(emulate(prog, { arch: 'x86_64', auditArch: 0xc00000b7, nr: 0, args: [] })).toBe(encodeAction({ kind: 'ERRNO', data: 1 }));
  });
});

describe('argument conditions', () => {
  it('i386 arguments are 32 bits: the upper half is never read', () => {
    const q = policy('i386').defaultAction('ALLOW').errno('EPERM', 'kill', arg(1).eq(9)).errno('EACCES', 'kill', arg(1).eq(0x100000009n)).build();
    const prog = compilePolicy(q).program;
    const killNr = nr('i386', 'kill');
    for (const junk of [0n, 0xdead00000000n, 0x100000000n]) {
      const call: TestCall = { arch: 'i386', nr: killNr, args: [1n, 9n | junk] };
      expect(emulate(prog, call)).toBe(encodeAction({ kind: 'ERRNO', data: 1 }));
      expect(expected(q, call)).toBe(encodeAction({ kind: 'ERRNO', data: 1 }));
    }
    expect(prog.some((i) => i.kind === 'ld_abs' && i.offset % 8 === 4 && i.offset >= 16)).toBe(false);
  });
  it('width 32 ignores the upper half on 64-bit ABIs', () => {
    const q = policy('x86_64').defaultAction('ALLOW').errno('EPERM', 'kill', arg32(1).eq(9)).build();
    const prog = compilePolicy(q).program;
    expect(emulate(prog, { arch: 'x86_64', nr: 62, args: [1n, 0xffffffff00000009n] })).toBe(encodeAction({ kind: 'ERRNO', data: 1 }));
    const q64 = policy('x86_64').defaultAction('ALLOW').errno('EPERM', 'kill', arg(1).eq(9)).build();
    expect(emulate(compilePolicy(q64).program, { arch: 'x86_64', nr: 62, args: [1n, 0xffffffff00000009n] })).toBe(encodeAction({ kind: 'ALLOW' }));
  });
  it('ordered 64-bit comparisons look at both halves', () => {
    const q = policy('x86_64').defaultAction('ALLOW').errno('EPERM', 'kill', arg(0).gt(0x100000005n)).build();
    const prog = compilePolicy(q).program;
    const cases: [bigint, boolean][] = [
      [0x100000005n, false], [0x100000006n, true], [0x200000000n, true], [0xffffffffn, false], [0x000000007n, false],
    ];
    for (const [v, denied] of cases) {
      expect(emulate(prog, { arch: 'x86_64', nr: 62, args: [v] })).toBe(encodeAction(denied ? { kind: 'ERRNO', data: 1 } : { kind: 'ALLOW' }));
    }
  });
});

describe('hardened in the emulator', () => {
  const hardened = getProfile('hardened');
  const { program, warnings } = compilePolicy(hardened);
  const EPERM: Action = { kind: 'ERRNO', data: 1 };
  const EAFNOSUPPORT: Action = { kind: 'ERRNO', data: 97 };
  const socket = nr('x86_64', 'socket');
  it('has no warnings', () => expect(warnings).toEqual([]));
  it.each(HARDENED_EPERM_SYSCALLS.map((n) => [n]))('%s is ERRNO(EPERM)', (name) => {
    expect(emulate(program, { arch: 'x86_64', nr: nr('x86_64', name), args: [] })).toBe(encodeAction(EPERM));
  });
  it.each([[1, 'AF_UNIX'], [2, 'AF_INET'], [10, 'AF_INET6'], [16, 'AF_NETLINK'], [0, 'AF_UNSPEC']])('socket(%i) (%s) is allowed', (family) => {
    expect(emulate(program, { arch: 'x86_64', nr: socket, args: [BigInt(family), 1n, 0n] })).toBe(encodeAction({ kind: 'ALLOW' }));
  });
  it.each([[9, 'AF_X25'], [17, 'AF_PACKET'], [40, 'AF_VSOCK'], [3, 'AF_AX25'], [11, 'AF_ROSE'], [15, 'AF_KEY'], [0xffffffff, '-1']])(
    'socket(%i) (%s) is ERRNO(EAFNOSUPPORT)', (family) => {
      expect(emulate(program, { arch: 'x86_64', nr: socket, args: [BigInt(family), 1n, 0n] })).toBe(encodeAction(EAFNOSUPPORT));
    });
  it('the family is an int: junk in the upper half does not change the verdict', () => {
    expect(emulate(program, { arch: 'x86_64', nr: socket, args: [0xdead00000002n] })).toBe(encodeAction({ kind: 'ALLOW' }));
    expect(emulate(program, { arch: 'x86_64', nr: socket, args: [0xdead00000009n] })).toBe(encodeAction(EAFNOSUPPORT));
  });
  it('every family 0..64 gets what the profile says', () => {
    for (let f = 0; f <= 64; f++) {
      const refused = (f >= 3 && f <= 9) || (f >= 11 && f <= 15) || f > 16;
      expect(emulate(program, { arch: 'x86_64', nr: socket, args: [BigInt(f)] })).toBe(encodeAction(refused ? EAFNOSUPPORT : { kind: 'ALLOW' }));
    }
  });
  it('an i386 getpid and an x32 getpid are killed', () => {
    expect(emulate(program, { arch: 'i386', nr: nr('i386', 'getpid'), args: [] })).toBe(encodeAction({ kind: 'KILL_PROCESS' }));
    expect(emulate(program, { arch: 'x32', nr: nr('x32', 'getpid'), args: [] })).toBe(encodeAction({ kind: 'KILL_PROCESS' }));
  });
  it('ordinary syscalls are allowed', () => {
    for (const name of ['read', 'write', 'getpid', 'clone3', 'openat']) {
      expect(emulate(program, { arch: 'x86_64', nr: nr('x86_64', name), args: [] })).toBe(encodeAction({ kind: 'ALLOW' }));
    }
  });
  it('with i386 covered, socketcall is denied with a warning', () => {
    const wide = { ...hardened, arches: ['x86_64', 'i386'] as ArchName[] };
    const r = compilePolicy(wide);
    expect(r.warnings.map((w) => w.code)).toEqual(['socketcall-denied']);
    expect(emulate(r.program, { arch: 'i386', nr: nr('i386', 'socketcall'), args: [1n] })).toBe(encodeAction(EAFNOSUPPORT));
    expect(emulate(r.program, { arch: 'i386', nr: nr('i386', 'socket'), args: [2n] })).toBe(encodeAction({ kind: 'ALLOW' }));
    expect(emulate(r.program, { arch: 'i386', nr: nr('i386', 'socket'), args: [0xdead0000002an] })).toBe(encodeAction(EAFNOSUPPORT));
    const accepted = compilePolicy(tunePolicy(wide, ['allow:socketcall']));
    expect(emulate(accepted.program, { arch: 'i386', nr: nr('i386', 'socketcall'), args: [1n] })).toBe(encodeAction({ kind: 'ALLOW' }));
    expect(accepted.warnings.map((w) => w.code)).toEqual(['socketcall-hole']);
    expect(accepted.warnings[0]?.message).toMatch(/gives socketcall ALLOW: the restriction can be bypassed/);
    // Accepting the hole while socketcall stays denied by a rule leaves no hole to warn about.
    const closed = compilePolicy(tunePolicy(wide, ['allow:socketcall', 'deny:socketcall']));
    expect(closed.warnings.map((w) => w.code)).toEqual(['partial-syscalls']);
  });
});

describe('limits', () => {
  it('a policy too large for 4096 instructions fails with a clear error', () => {
    let b = policy('x86_64').defaultAction('ALLOW');
    for (let i = 0; i < 700; i++) b = b.errno(1 + (i % 30), 'kill', arg(0).eq(BigInt(i) * 0x100000001n), arg(1).gt(BigInt(i)));
    expect(() => compilePolicy(b.build())).toThrow(CompileError);
    expect(() => compilePolicy(b.build())).toThrow(/4096/);
  });
  it('a strategy is pluggable', () => {
    const seen: string[] = [];
    const p = policy('x86_64', 'i386').defaultAction('ALLOW').errno('EPERM', 'getpid').build();
    const { program } = compilePolicy(p, { dispatch: { name: 'spy', emit: (out, s) => { seen.push(s.arch); linearDispatch.emit(out, s); } } });
    expect(seen).toEqual(['x86_64', 'i386']);
    expect(emulate(program, { arch: 'i386', nr: 20, args: [] })).toBe(encodeAction({ kind: 'ERRNO', data: 1 }));
  });
});
