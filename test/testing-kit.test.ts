import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ins, toRaw, type Program } from '../src/bpf/instructions.js';
import { disassemble } from '../src/bpf/disasm.js';
import { validate } from '../src/bpf/validator.js';
import { compilePolicy } from '../src/compiler/compile.js';
import { arg32, policy } from '../src/policy/builder.js';
import { X32_SYSCALL_BIT } from '../src/syscalls/arch.js';
import { syscallTable } from '../src/syscalls/resolve.js';
import {
  FilterAssertionError, argArb, expectFilter, policyArb, programArb, seccompDataArb, syscallArb, wordArb,
} from '../src/testing/index.js';
import { main as socketPolicyExample } from '../examples/testing/socket-policy.js';

const ALLOW = 0x7fff0000;

const p = policy('x86_64', 'i386')
  .defaultAction('ALLOW')
  .errno('EAFNOSUPPORT', 'socket', arg32(0).eq(9))
  .kill('ptrace')
  .build();
const program = compilePolicy(p).program;

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FilterAssertionError);
    return (err as Error).message;
  }
  throw new Error('expected the assertion to fail');
}

describe('expectFilter', () => {
  it('passes true claims, for given arguments and for every argument', () => {
    expectFilter(program, { arch: ['x86_64', 'i386'] })
      .toDeny('ptrace').toReturn('ptrace', 'KILL_PROCESS')
      .toAllow('read').toAllow('socket', { arg0: 2 }).toDeny('socket', { arg0: 9 }).toAllow('socket', [10, 1, 0]);
    expectFilter(p).toEqual(program); // a policy is compiled first
  });

  it('shows the input, both verdicts and the executed path when a claim fails', () => {
    const message = failure(() => expectFilter(program).toAllow('socket', { arg0: 9 }));
    expect(message).toContain('expected x86_64 socket to be allowed');
    expect(message).toContain('input:    x86_64 socket (nr 0x29) args=[9, 0, 0, 0, 0, 0] ip=0');
    expect(message).toContain('expected: ALLOW or LOG');
    expect(message).toContain('actual:   ERRNO(EAFNOSUPPORT)');
    expect(message).toMatch(/executed path:\n {4}0000: A = arch\n/);
  });

  it('names the executed path as disasm does: architectures, syscalls and actions, not raw hex', () => {
    const message = failure(() => expectFilter(program).toAllow('socket', { arg0: 9 }));
    const path = message.slice(message.indexOf('executed path:'));
    const disasm = disassemble(program, { columns: false }).split('\n');
    const shown = path.split('\n').slice(1).map((l) => /^ {4}(\d{4}): (.*)$/.exec(l)).filter((m) => m !== null);
    expect(shown.length).toBeGreaterThan(3);
    for (const m of shown) expect(m![2]).toBe(disasm[Number(m![1])]);
    expect(path).toMatch(/if \(A [!=]= ARCH_X86_64\)/);
    expect(path).toMatch(/A == socket|A != socket/);
    expect(path).toMatch(/return ERRNO\(EAFNOSUPPORT\)/);
    expect(path).not.toMatch(/0xc000003e/);
  });

  it('finds the argument that breaks a claim about every argument', () => {
    const message = failure(() => expectFilter(program).toAllow('socket'));
    expect(message).toContain('for every argument');
    expect(message).toMatch(/args=\[9, /);
  });

  it('lists what else a filter allows, and what it never allows, for toAllowOnly', () => {
    const strict = compilePolicy(policy('x86_64').defaultAction('KILL_PROCESS').allow(['read', 'write']).allow('openat', arg32(2).eq(0)).build()).program;
    expectFilter(strict).toAllowOnly(['read', 'write', 'openat']);
    const message = failure(() => expectFilter(strict).toAllowOnly(['read', 'close']));
    expect(message).toMatch(/also allowed: write, openat/);
    expect(message).toMatch(/never allowed: close/);
    const open = failure(() => expectFilter([ins.ret(ALLOW)]).toAllowOnly(['read']));
    expect(open).toMatch(/numbers without a syscall name/);
  });

  it('shows a witness and both executed paths when filters differ', () => {
    const other = compilePolicy({ ...p, rules: p.rules.slice(0, 1) }).program; // drops the ptrace rule
    const message = failure(() => expectFilter(program).toEqual(other));
    expect(message).toMatch(/input: {4}x86_64 ptrace/);
    expect(message).toContain('actual:   KILL_PROCESS');
    expect(message).toContain('expected: ALLOW');
    expect(message).toContain('executed path (actual):');
    expect(message).toContain('executed path (expected):');
  });

  it('reads raw filter bytes', () => {
    const bytes = new Uint8Array(program.length * 8);
    const view = new DataView(bytes.buffer);
    program.map(toRaw).forEach((r, i) => {
      view.setUint16(8 * i, r.code, true);
      view.setUint8(8 * i + 2, r.jt);
      view.setUint8(8 * i + 3, r.jf);
      view.setUint32(8 * i + 4, r.k, true);
    });
    expectFilter(bytes).toDeny('ptrace').toEqual(program);
    expect(() => expectFilter(bytes.slice(0, 5))).toThrow(/multiple of 8/);
  });

  it('refuses a claim about every argument that the filter cannot decide exactly', () => {
    const opaque: Program = [ins.loadWord(16), ins.alu('add', 1), ins.jump('jeq', 0, 0, 1), ins.ret(0x50001), ins.ret(ALLOW)];
    expect(() => expectFilter(opaque).toAllow('read')).toThrow(/cannot be decided exactly/);
    expectFilter(opaque).toAllow('read', { arg0: 5 }).toDeny('read', { arg0: 0xffffffff });
  });

  it('runs the documented example', () => {
    socketPolicyExample();
  });
});

describe('arbitraries', () => {
  it('draws syscalls from the tables of the requested ABIs', () => {
    fc.assert(fc.property(syscallArb(['x32', 'i386']), (s) => {
      expect(syscallTable(s.arch).some((e) => e.nr === s.nr && e.name === s.name)).toBe(true);
      expect(s.arch === 'x32' ? (s.nr & X32_SYSCALL_BIT) !== 0 : true).toBe(true);
    }));
  });

  it('biases words and arguments toward a filter’s constants and their neighbours', () => {
    const seen = new Set<number>();
    fc.assert(fc.property(wordArb({ constants: [41] }), (w) => { seen.add(w); }), { numRuns: 500 });
    for (const v of [40, 41, 42, 0, 0xffffffff]) expect(seen.has(v)).toBe(true);
    const highs = new Set<bigint>();
    fc.assert(fc.property(argArb({ program: [ins.loadWord(20), ins.jump('jeq', 7, 0, 1), ins.ret(0), ins.ret(ALLOW)] }), (a) => { highs.add(a >> 32n); }), { numRuns: 500 });
    for (const v of [0n, 0xffffffffn, 6n, 7n, 8n]) expect(highs.has(v)).toBe(true);
  });

  it('keeps x32 numbers with the x32 bit and x86_64 numbers without', () => {
    fc.assert(fc.property(seccompDataArb(), (d) => {
      if (d.arch === 'x32') expect(d.nr & X32_SYSCALL_BIT).not.toBe(0);
      if (d.arch === 'x86_64') expect(d.nr & X32_SYSCALL_BIT).toBe(0);
      expect(d.args).toHaveLength(6);
    }), { numRuns: 300 });
  });

  it('generates programs the kernel accepts and policies the compiler accepts', () => {
    fc.assert(fc.property(programArb(), (prog) => {
      expect(validate(prog).ok).toBe(true);
      expect(prog[prog.length - 1]?.kind).toBe('ret');
    }), { numRuns: 300 });
    fc.assert(fc.property(policyArb(), (pol) => {
      expect(compilePolicy(pol).program.length).toBeGreaterThan(0);
    }), { numRuns: 200 });
  });
});
