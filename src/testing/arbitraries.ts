/**
 * fast-check arbitraries for seccomp: syscalls per ABI, argument values biased toward a filter's own constants,
 * whole `seccomp_data`, policies and valid BPF programs.
 */
import type { Arbitrary } from 'fast-check';
import fc from './fast-check.js';
import type { Instruction, JumpCond, Program } from '../bpf/instructions.js';
import { ins } from '../bpf/instructions.js';
import { validate } from '../bpf/validator.js';
import type { Action } from '../syscalls/actions.js';
import { encodeAction } from '../syscalls/actions.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, LINUX_ARCHES, X32_SYSCALL_BIT, type ArchName, type LinuxArchName } from '../syscalls/arch.js';
import { syscallTable } from '../syscalls/resolve.js';
import type { ArgCondition, CompareOp, Policy, Rule, SyscallRef } from '../policy/types.js';
import type { ArgIndex } from '../bpf/seccomp-data.js';
import { boundaryValues, programConstants } from '../analysis/constants.js';

/** A syscall of one ABI, with its number as `seccomp_data.nr` carries it. */
export interface SyscallSample<A extends LinuxArchName = ArchName> {
  readonly arch: A;
  readonly name: string;
  readonly nr: number;
}

/** Any syscall of the given ABIs (default: the three x86 ones; any ABI, e.g. `['aarch64', 'arm']`). */
export function syscallArb<A extends LinuxArchName = ArchName>(arches?: A | readonly A[]): Arbitrary<SyscallSample<A>> {
  const given = arches ?? (['x86_64', 'i386', 'x32'] as readonly LinuxArchName[] as readonly A[]);
  const list: readonly A[] = typeof given === 'string' ? [given as A] : given as readonly A[];
  return fc.constantFrom(...list.flatMap((arch) => syscallTable(arch).map((e) => ({ arch, name: e.name, nr: e.nr as number }))));
}

/** Where biased values come from: explicit constants, or the constants of a program. */
export interface BiasOptions {
  /** 32-bit constants to test around (each c-1, c, c+1). */
  readonly constants?: readonly number[];
  /** Take the constants from this program's comparisons and ALU operations. */
  readonly program?: Program;
}

function boundariesOf(options: BiasOptions): number[] {
  const constants = [...(options.constants ?? []), ...(options.program ? programConstants(options.program) : [])];
  return boundaryValues(constants);
}

/**
 * A 32-bit word: mostly a boundary value (a constant, c-1, c+1, 0, 0xffffffff), a constant with bits masked in
 * or out, or a uniformly random word.
 */
export function wordArb(options: BiasOptions = {}): Arbitrary<number> {
  const boundaries = boundariesOf(options);
  const random = fc.integer({ min: 0, max: 0xffffffff });
  const near = fc.constantFrom(...boundaries);
  return fc.oneof(
    { weight: 5, arbitrary: near },
    { weight: 2, arbitrary: fc.tuple(near, random, fc.boolean()).map(([c, r, and]) => (and ? (c & r) >>> 0 : (c | r) >>> 0)) },
    { weight: 1, arbitrary: fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff) },
    { weight: 2, arbitrary: random },
  );
}

/**
 * A 64-bit argument value: a biased low half with a high half of 0, all ones (a sign-extended negative),
 * a biased word (constants as high halves) or random bits.
 */
export function argArb(options: BiasOptions = {}): Arbitrary<bigint> {
  const word = wordArb(options);
  const high = fc.oneof(
    { weight: 6, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.constant(0xffffffff) },
    { weight: 2, arbitrary: word },
  );
  return fc.tuple(high, word).map(([hi, lo]) => (BigInt(hi) << 32n) | BigInt(lo));
}

/** Six argument values (see {@link argArb}). */
export function argsArb(options: BiasOptions = {}): Arbitrary<bigint[]> {
  return fc.array(argArb(options), { minLength: 6, maxLength: 6 });
}

/** A call the emulator's `seccompData` accepts: ABI, number, six arguments, instruction pointer. */
export interface DataSample<A extends LinuxArchName = ArchName> {
  readonly arch: A;
  readonly nr: number;
  readonly args: readonly bigint[];
  readonly instructionPointer: bigint;
}

/** How `seccompDataArb` biases the data it generates (ABIs, syscalls, constants). */
export interface DataOptions<A extends LinuxArchName = ArchName> extends BiasOptions {
  /** ABIs to draw from (default the three x86 ones; any ABI). */
  readonly arches?: readonly A[];
}

/**
 * A whole `seccomp_data` of a known ABI: a syscall of the table, a number near the program's constants, or any
 * number of the ABI (x32 numbers always carry the x32 bit, x86_64 numbers never).
 */
export function seccompDataArb<A extends LinuxArchName = ArchName>(options: DataOptions<A> = {}): Arbitrary<DataSample<A>> {
  const arches: readonly A[] = options.arches ?? (['x86_64', 'i386', 'x32'] as readonly LinuxArchName[] as readonly A[]);
  const word = wordArb(options);
  const arbs = arches.map((arch) => {
    const nr = fc.oneof(
      { weight: 4, arbitrary: syscallArb<A>(arch).map((s) => s.nr) },
      { weight: 3, arbitrary: word },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
    ).map((n) => {
      if (arch === 'x32') return (n | X32_SYSCALL_BIT) >>> 0;
      if (arch === 'x86_64') return (n & ~X32_SYSCALL_BIT) >>> 0;
      return n >>> 0;
    });
    return fc.record({
      arch: fc.constant(arch),
      nr,
      args: argsArb(options),
      instructionPointer: argArb(options),
    });
  });
  return fc.oneof(...arbs);
}

/**
 * The 16 words of a `seccomp_data` with any `arch` value (foreign ones included), biased toward a program's
 * constants: what a filter can be shown, for testing filters on inputs no ABI produces.
 */
export function dataWordsArb(options: BiasOptions = {}): Arbitrary<Uint32Array> {
  const word = wordArb(options);
  const arch = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(AUDIT_ARCH_X86_64 as number, AUDIT_ARCH_I386 as number) },
    { weight: 1, arbitrary: word },
  );
  const nr = fc.oneof(
    { weight: 3, arbitrary: syscallArb().map((s) => s.nr) },
    { weight: 3, arbitrary: word },
  );
  return fc.tuple(nr, arch, fc.array(word, { minLength: 14, maxLength: 14 }))
    .map(([n, a, rest]) => Uint32Array.from([n, a, ...rest]));
}

/** The words of a {@link DataSample}, 64-bit fields in its ABI's byte order. */
export function sampleWords(d: DataSample<LinuxArchName>): Uint32Array {
  const w = new Uint32Array(16);
  w[0] = d.nr >>> 0;
  w[1] = LINUX_ARCHES[d.arch].auditArch;
  const big = LINUX_ARCHES[d.arch].endian === 'big';
  const put = (i: number, v: bigint) => {
    w[big ? i + 1 : i] = Number(v & 0xffffffffn);
    w[big ? i : i + 1] = Number((v >> 32n) & 0xffffffffn);
  };
  put(2, d.instructionPointer);
  d.args.forEach((a, i) => put(4 + 2 * i, a));
  return w;
}

const ERRNOS = [1, 13, 22, 38, 95, 97];

/** Any action (ERRNO with a few common errnos, TRAP/TRACE with small data), or only the given kinds. */
export function actionArb(kinds?: readonly Action['kind'][]): Arbitrary<Action> {
  const byKind: Record<Action['kind'], Arbitrary<Action>> = {
    ALLOW: fc.constant<Action>({ kind: 'ALLOW' }),
    LOG: fc.constant<Action>({ kind: 'LOG' }),
    KILL_PROCESS: fc.constant<Action>({ kind: 'KILL_PROCESS' }),
    KILL_THREAD: fc.constant<Action>({ kind: 'KILL_THREAD' }),
    ERRNO: fc.constantFrom(...ERRNOS).map((data): Action => ({ kind: 'ERRNO', data })),
    TRAP: fc.integer({ min: 0, max: 3 }).map((data): Action => ({ kind: 'TRAP', data })),
    TRACE: fc.integer({ min: 0, max: 3 }).map((data): Action => ({ kind: 'TRACE', data })),
    USER_NOTIF: fc.constant<Action>({ kind: 'USER_NOTIF' }),
  };
  const chosen = kinds ?? (Object.keys(byKind) as Action['kind'][]);
  return fc.oneof(...chosen.map((k) => byKind[k]));
}

/** Syscalls that exist on x86_64, i386 and x32 alike: a small pool, so that rules collide often. */
export const COMMON_SYSCALLS: readonly string[] = [
  'read', 'write', 'close', 'openat', 'socket', 'ioctl', 'mmap', 'clone', 'ptrace', 'kill', 'futex', 'getpid',
  'prctl', 'personality',
];

/** What `policyArb` draws from: syscalls, ABIs, actions, rule count. */
export interface PolicyOptions {
  /** Syscall names rules draw from (default {@link COMMON_SYSCALLS}). */
  readonly syscalls?: readonly string[];
  /** ABIs the policy covers (default: a non-empty subset of all three). */
  readonly arches?: readonly LinuxArchName[];
  /** At most this many rules (default 8). */
  readonly maxRules?: number;
  /** Actions rules and defaults use (default: all). */
  readonly actions?: readonly Action['kind'][];
  /** Rules also name syscalls by ABI and number, some of them numbers no syscall has (default false). */
  readonly numbers?: boolean;
  /** Policies also set `enosysGuard` and `allowSocketcallHole` (default false). */
  readonly flags?: boolean;
}

const OPS: readonly CompareOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

/** A condition on one argument: any operator, 64 or 32 bits, values near a few shared constants. */
export function conditionArb(): Arbitrary<ArgCondition> {
  const value = fc.oneof(
    fc.constantFrom(0n, 1n, 2n, 10n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0xffffffffffffffffn),
    fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }),
    fc.integer({ min: 0, max: 64 }).map(BigInt),
  );
  const argIndex = fc.integer({ min: 0, max: 5 }).map((i) => i as ArgIndex);
  const width = fc.constantFrom<32 | 64 | undefined>(undefined, 32, 64);
  // Values fit the condition's width; a masked_eq value has no bits outside its mask (policies refuse both).
  const fit = (v: bigint, w: 32 | 64 | undefined) => (w === 32 ? v & 0xffffffffn : v);
  const cmp = fc.record({ arg: argIndex, op: fc.constantFrom(...OPS), value, width })
    .map(({ width: w, value: v, ...c }): ArgCondition => (w === undefined ? { ...c, value: v } : { ...c, value: fit(v, w), width: w }));
  const masked = fc.record({ arg: argIndex, mask: value, value, width })
    .map(({ width: w, mask, value: v, arg }): ArgCondition => {
      const m = fit(mask, w);
      return { arg, op: 'masked_eq', mask: m, value: v & m, ...(w !== undefined && { width: w }) };
    });
  return fc.oneof({ weight: 3, arbitrary: cmp }, { weight: 1, arbitrary: masked });
}

/** A rule over the syscall pool, with up to three conditions. */
export function ruleArb(options: PolicyOptions = {}): Arbitrary<Rule> {
  const pool = options.syscalls ?? COMMON_SYSCALLS;
  const name: Arbitrary<SyscallRef> = fc.constantFrom(...pool);
  const ref: Arbitrary<SyscallRef> = options.numbers === true
    ? fc.oneof({ weight: 5, arbitrary: name }, {
      weight: 1,
      arbitrary: fc.record({ arch: fc.constantFrom<ArchName>('x86_64', 'i386', 'x32'), nr: fc.constantFrom(0, 1, 3, 500, 1000, 0x3fffffff) }),
    })
    : name;
  return fc.record({
    syscalls: fc.uniqueArray(ref, { minLength: 1, maxLength: 3, selector: (r) => JSON.stringify(r) }),
    action: actionArb(options.actions),
    conditions: fc.array(conditionArb(), { maxLength: 3 }),
  }).map(({ conditions, ...r }): Rule => (conditions.length === 0 ? r : { ...r, conditions }));
}

/** A policy: default and bad-arch actions, covered ABIs, rules. */
export function policyArb(options: PolicyOptions = {}): Arbitrary<Policy> {
  const arches = options.arches
    ? fc.constant(options.arches)
    : fc.uniqueArray(fc.constantFrom<ArchName>('x86_64', 'i386', 'x32'), { minLength: 1, maxLength: 3 });
  const base = fc.record({
    defaultAction: actionArb(options.actions),
    badArchAction: actionArb(options.actions),
    arches,
    rules: fc.array(ruleArb(options), { maxLength: options.maxRules ?? 8 }),
  });
  if (options.flags !== true) return base;
  return fc.tuple(base, fc.boolean(), fc.boolean())
    .map(([p, enosysGuard, allowSocketcallHole]): Policy => ({ ...p, enosysGuard, allowSocketcallHole }));
}

/** What `programArb` may generate: length, opaque operations, scratch memory. */
export interface ProgramOptions {
  /** Most instructions before the final RET (default 24). */
  readonly maxLength?: number;
  /**
   * Arithmetic other than AND on loaded data, X-register compares, RET A: things that cannot be summarised
   * exactly (default true).
   */
  readonly opaque?: boolean;
  /** Use scratch memory (default true). */
  readonly scratch?: boolean;
}

const JUMP_VALUES = [
  0, 1, 2, 3, 10, 16, 41, 59, 101, 0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000, 0xffffffff,
  AUDIT_ARCH_X86_64, AUDIT_ARCH_I386,
];

/**
 * A program the kernel accepts: loads of `seccomp_data` words (mostly nr, arch and argument halves),
 * constants, ALU operations, forward jumps of every kind, returns of every action. Every program is checked
 * with the validator.
 */
export function programArb(options: ProgramOptions = {}): Arbitrary<Program> {
  const maxLength = options.maxLength ?? 24;
  const opaque = options.opaque ?? true;
  const scratch = options.scratch ?? true;
  const ret = actionArb().map((a) => encodeAction(a));
  const value = fc.oneof(fc.constantFrom(...JUMP_VALUES), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 64 }));
  const word = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(0, 1) },
    { weight: 3, arbitrary: fc.integer({ min: 4, max: 9 }) },
    { weight: 1, arbitrary: fc.integer({ min: 2, max: 15 }) },
  );
  type Gen = (room: number) => Arbitrary<Instruction>;
  const gens: { weight: number; gen: Gen }[] = [
    { weight: 4, gen: () => word.map((w) => ins.loadWord(4 * w)) },
    { weight: 6, gen: (room) => fc.tuple(fc.constantFrom<JumpCond>('jeq', 'jgt', 'jge', 'jset'), value,
      fc.integer({ min: 0, max: Math.min(room, 255) }), fc.integer({ min: 0, max: Math.min(room, 255) }))
      .map(([c, v, jt, jf]) => ins.jump(c, v, jt, jf)) },
    { weight: 1, gen: (room) => fc.integer({ min: 0, max: room }).map((o) => ins.ja(o)) },
    { weight: 2, gen: () => ret.map((r) => ins.ret(r)) },
    { weight: 1, gen: () => value.map((v) => ins.alu('and', v)) },
    { weight: 1, gen: () => value.map((v) => ins.loadConst(v)) },
  ];
  if (opaque) {
    gens.push(
      { weight: 1, gen: () => fc.tuple(fc.constantFrom('add', 'sub', 'or', 'xor', 'mul') as Arbitrary<'add'>, value).map(([o, v]) => ins.alu(o, v)) },
      { weight: 1, gen: () => fc.integer({ min: 0, max: 31 }).map((v) => ins.alu('rsh', v)) },
      { weight: 1, gen: () => fc.constantFrom(ins.tax(), ins.txa(), ins.neg()) },
      { weight: 1, gen: (room) => fc.tuple(fc.constantFrom<JumpCond>('jeq', 'jgt', 'jge', 'jset'),
        fc.integer({ min: 0, max: Math.min(room, 255) }), fc.integer({ min: 0, max: Math.min(room, 255) }))
        .map(([c, jt, jf]) => ins.jumpX(c, jt, jf)) },
    );
  }
  if (scratch) {
    gens.push(
      { weight: 1, gen: () => fc.integer({ min: 0, max: 3 }).map((s) => ins.store(s)) },
      { weight: 1, gen: () => fc.integer({ min: 0, max: 3 }).map((s) => ins.loadMem(s)) },
    );
  }
  const lastRet: Arbitrary<Instruction> = opaque
    ? fc.oneof({ weight: 5, arbitrary: ret.map((r) => ins.ret(r)) }, { weight: 1, arbitrary: fc.constant(ins.retA()) })
    : ret.map((r) => ins.ret(r));
  return fc.integer({ min: 0, max: maxLength }).chain((n) => {
    // Position i may jump at most over the remaining n-1-i body instructions (the final RET is at n).
    const body = Array.from({ length: n }, (_, i) =>
      fc.oneof(...gens.map((g) => ({ weight: g.weight, arbitrary: g.gen(n - 1 - i) }))));
    return fc.tuple(fc.tuple(...body), lastRet).map(([b, last]) => {
      // Every scratch slot is stored before anything can read it (the kernel refuses reads of unset slots).
      const prologue = scratch ? [0, 1, 2, 3].map((s) => ins.store(s)) : [];
      return [...prologue, ...(b as Instruction[]), last] as Program;
    });
  }).filter((p) => validate(p).ok);
}
