/**
 * Classic BPF instructions as a discriminated union (one variant per instruction kind),
 * and lossless conversion to and from the kernel's raw form `struct sock_filter {code, jt, jf, k}`.
 *
 * Every 16-bit code decodes to some variant: codes outside classic BPF become `{ kind: 'unknown' }`
 * so that a validator can name them. Fields the kernel ignores for a given kind (jt/jf of a non-jump,
 * k of TAX) are kept in `ignored` so that `toRaw(fromRaw(r))` gives `r` back bit for bit.
 */
import * as op from './opcodes.js';

/** The raw form of one instruction, exactly as `struct sock_filter` holds it. */
export interface RawInstruction {
  /** 16-bit opcode. */
  readonly code: number;
  /** 8-bit jump-if-true offset. */
  readonly jt: number;
  /** 8-bit jump-if-false offset. */
  readonly jf: number;
  /** 32-bit unsigned constant. */
  readonly k: number;
}

/** A register of the classic-BPF machine. */
export type Register = 'A' | 'X';
/** The width of a load from `seccomp_data`, in bytes. */
export type LoadSize = 1 | 2 | 4;
/** The arithmetic and logic operations of classic BPF. */
export type AluOp = 'add' | 'sub' | 'mul' | 'div' | 'or' | 'and' | 'lsh' | 'rsh' | 'mod' | 'xor';
/** The conditions of a conditional jump: equal, greater, greater or equal, bits set. */
export type JumpCond = 'jeq' | 'jgt' | 'jge' | 'jset';
/** Operand source of ALU and conditional jumps: the constant `K` (the instruction's k field) or the X register. */
export type Operand = 'K' | 'X';

/** Raw fields the kernel does not read for this kind of instruction, kept only for byte-exact round trips. */
export interface IgnoredFields {
  readonly jt?: number;
  readonly jf?: number;
  readonly k?: number;
}

interface Base {
  readonly ignored?: IgnoredFields;
}

/** `A = P[k:size]`: absolute load from the packet (for seccomp: from `seccomp_data`). */
export interface LoadAbsolute extends Base { readonly kind: 'ld_abs'; readonly size: LoadSize; readonly offset: number }
/** `A = P[X + k:size]`: indirect load (refused by seccomp). */
export interface LoadIndirect extends Base { readonly kind: 'ld_ind'; readonly size: LoadSize; readonly offset: number }
/** `A = len` or `X = len` (the length of `seccomp_data`, 64). */
export interface LoadLength extends Base { readonly kind: 'ld_len'; readonly dst: Register }
/** `A = k` or `X = k`. */
export interface LoadConstant extends Base { readonly kind: 'ld_imm'; readonly dst: Register; readonly value: number }
/** `A = M[k]` or `X = M[k]`. */
export interface LoadScratch extends Base { readonly kind: 'ld_mem'; readonly dst: Register; readonly slot: number }
/** `X = 4 * (P[k] & 0xf)` (refused by seccomp). */
export interface LoadMemShift extends Base { readonly kind: 'ldx_msh'; readonly offset: number }
/** `M[k] = A` or `M[k] = X`. */
export interface StoreScratch extends Base { readonly kind: 'st'; readonly src: Register; readonly slot: number }
/** `A = A op k` or `A = A op X`. For `src: 'X'` the `value` is the raw k field (ignored by the kernel). */
export interface Alu extends Base { readonly kind: 'alu'; readonly op: AluOp; readonly src: Operand; readonly value: number }
/** `A = -A`. */
export interface Negate extends Base { readonly kind: 'neg' }
/** Unconditional jump forward by `offset` instructions. */
export interface JumpAlways extends Base { readonly kind: 'ja'; readonly offset: number }
/** Conditional jump: compare A with k or X, skip `jt` or `jf` instructions. For `src: 'X'`, `value` is the raw k. */
export interface JumpIf extends Base {
  readonly kind: 'jmp';
  readonly cond: JumpCond;
  readonly src: Operand;
  readonly value: number;
  readonly jt: number;
  readonly jf: number;
}
/** `return k`. */
export interface ReturnConstant extends Base { readonly kind: 'ret'; readonly src: 'K'; readonly value: number }
/** `return A`. */
export interface ReturnA extends Base { readonly kind: 'ret'; readonly src: 'A' }
/** `X = A`. */
export interface Tax extends Base { readonly kind: 'tax' }
/** `A = X`. */
export interface Txa extends Base { readonly kind: 'txa' }
/** Any code that is not a classic BPF instruction (or one with a source mode classic BPF lacks). */
export interface Unknown { readonly kind: 'unknown'; readonly raw: RawInstruction }

/** One classic-BPF instruction, a discriminated union with one kind per instruction class. */
export type Instruction =
  | LoadAbsolute
  | LoadIndirect
  | LoadLength
  | LoadConstant
  | LoadScratch
  | LoadMemShift
  | StoreScratch
  | Alu
  | Negate
  | JumpAlways
  | JumpIf
  | ReturnConstant
  | ReturnA
  | Tax
  | Txa
  | Unknown;

/** The kinds of instruction, as the `kind` field names them. */
export type InstructionKind = Instruction['kind'];

/** A program: the instructions in order. */
export type Program = readonly Instruction[];

const ALU_OPS: ReadonlyArray<readonly [AluOp, number]> = [
  ['add', op.BPF_ADD], ['sub', op.BPF_SUB], ['mul', op.BPF_MUL], ['div', op.BPF_DIV], ['or', op.BPF_OR],
  ['and', op.BPF_AND], ['lsh', op.BPF_LSH], ['rsh', op.BPF_RSH], ['mod', op.BPF_MOD], ['xor', op.BPF_XOR],
];
const JUMP_CONDS: ReadonlyArray<readonly [JumpCond, number]> = [
  ['jeq', op.BPF_JEQ], ['jgt', op.BPF_JGT], ['jge', op.BPF_JGE], ['jset', op.BPF_JSET],
];
const SIZE_CODE: Record<LoadSize, number> = { 4: op.BPF_W, 2: op.BPF_H, 1: op.BPF_B };
const ALU_CODE = new Map(ALU_OPS);
const ALU_BY_CODE = new Map(ALU_OPS.map(([n, c]) => [c, n]));
const JUMP_CODE = new Map(JUMP_CONDS);
const JUMP_BY_CODE = new Map(JUMP_CONDS.map(([n, c]) => [c, n]));

function sizeOf(code: number): LoadSize | undefined {
  switch (op.bpfSize(code)) {
    case op.BPF_W: return 4;
    case op.BPF_H: return 2;
    case op.BPF_B: return 1;
    default: return undefined;
  }
}

const u32 = (n: number): number => n >>> 0;

function ignoredOf(raw: RawInstruction, keepK: boolean): IgnoredFields | undefined {
  const jt = raw.jt !== 0 ? raw.jt : undefined;
  const jf = raw.jf !== 0 ? raw.jf : undefined;
  const k = keepK && raw.k !== 0 ? u32(raw.k) : undefined;
  if (jt === undefined && jf === undefined && k === undefined) return undefined;
  return { ...(jt !== undefined && { jt }), ...(jf !== undefined && { jf }), ...(k !== undefined && { k }) };
}

function withIgnored<T extends Instruction>(insn: T, ignored: IgnoredFields | undefined): T {
  return ignored === undefined ? insn : { ...insn, ignored };
}

/** Decodes a raw instruction into its typed form. Never throws: unrecognised codes become `unknown`. */
export function fromRaw(raw: RawInstruction): Instruction {
  const code = raw.code & 0xffff;
  const k = u32(raw.k);
  const unknown: Unknown = { kind: 'unknown', raw: { code, jt: raw.jt & 0xff, jf: raw.jf & 0xff, k } };
  const r: RawInstruction = unknown.raw;
  if (code > 0xff) return unknown;
  switch (op.bpfClass(code)) {
    case op.BPF_LD:
    case op.BPF_LDX: {
      const dst: Register = op.bpfClass(code) === op.BPF_LD ? 'A' : 'X';
      const mode = op.bpfMode(code);
      const size = sizeOf(code);
      if (dst === 'A') {
        if (mode === op.BPF_ABS && size) return withIgnored({ kind: 'ld_abs', size, offset: k }, ignoredOf(r, false));
        if (mode === op.BPF_IND && size) return withIgnored({ kind: 'ld_ind', size, offset: k }, ignoredOf(r, false));
      } else if (mode === op.BPF_MSH && size === 1) {
        return withIgnored({ kind: 'ldx_msh', offset: k }, ignoredOf(r, false));
      }
      if (op.bpfSize(code) !== op.BPF_W) return unknown;
      if (mode === op.BPF_LEN) return withIgnored({ kind: 'ld_len', dst }, ignoredOf(r, true));
      if (mode === op.BPF_IMM) return withIgnored({ kind: 'ld_imm', dst, value: k }, ignoredOf(r, false));
      if (mode === op.BPF_MEM) return withIgnored({ kind: 'ld_mem', dst, slot: k }, ignoredOf(r, false));
      return unknown;
    }
    case op.BPF_ST:
    case op.BPF_STX: {
      if (code !== op.BPF_ST && code !== op.BPF_STX) return unknown;
      return withIgnored({ kind: 'st', src: code === op.BPF_ST ? 'A' : 'X', slot: k }, ignoredOf(r, false));
    }
    case op.BPF_ALU: {
      if (op.bpfOp(code) === op.BPF_NEG) {
        return code === (op.BPF_ALU | op.BPF_NEG) ? withIgnored({ kind: 'neg' }, ignoredOf(r, true)) : unknown;
      }
      const name = ALU_BY_CODE.get(op.bpfOp(code));
      if (name === undefined || (code & 0x07) !== op.BPF_ALU) return unknown;
      const src: Operand = op.bpfSrc(code) === op.BPF_X ? 'X' : 'K';
      if (code !== (op.BPF_ALU | (ALU_CODE.get(name) as number) | (src === 'X' ? op.BPF_X : op.BPF_K))) return unknown;
      return withIgnored({ kind: 'alu', op: name, src, value: k }, ignoredOf(r, false));
    }
    case op.BPF_JMP: {
      if (op.bpfOp(code) === op.BPF_JA) {
        return code === (op.BPF_JMP | op.BPF_JA) ? withIgnored({ kind: 'ja', offset: k }, ignoredOf(r, false)) : unknown;
      }
      const cond = JUMP_BY_CODE.get(op.bpfOp(code));
      if (cond === undefined) return unknown;
      const src: Operand = op.bpfSrc(code) === op.BPF_X ? 'X' : 'K';
      if (code !== (op.BPF_JMP | (JUMP_CODE.get(cond) as number) | (src === 'X' ? op.BPF_X : op.BPF_K))) return unknown;
      return { kind: 'jmp', cond, src, value: k, jt: r.jt, jf: r.jf };
    }
    case op.BPF_RET: {
      if (code === (op.BPF_RET | op.BPF_K)) return withIgnored({ kind: 'ret', src: 'K', value: k }, ignoredOf(r, false));
      if (code === (op.BPF_RET | op.BPF_A)) return withIgnored({ kind: 'ret', src: 'A' }, ignoredOf(r, true));
      return unknown;
    }
    case op.BPF_MISC: {
      if (code === (op.BPF_MISC | op.BPF_TAX)) return withIgnored({ kind: 'tax' }, ignoredOf(r, true));
      if (code === (op.BPF_MISC | op.BPF_TXA)) return withIgnored({ kind: 'txa' }, ignoredOf(r, true));
      return unknown;
    }
    default:
      return unknown;
  }
}

function raw(code: number, k: number, ins: Base, jt = 0, jf = 0): RawInstruction {
  // A property read rather than `in`: the same answer, and a fast one on the many shapes instructions have.
  const ig = ins.ignored;
  if (ig === undefined || ig === null) return { code, jt, jf, k: u32(k) };
  return { code, jt: ig.jt ?? jt, jf: ig.jf ?? jf, k: u32(ig.k ?? k) };
}

/** Encodes a typed instruction into its raw form. */
export function toRaw(ins: Instruction): RawInstruction {
  switch (ins.kind) {
    case 'ld_abs': return raw(op.BPF_LD | SIZE_CODE[ins.size] | op.BPF_ABS, ins.offset, ins);
    case 'ld_ind': return raw(op.BPF_LD | SIZE_CODE[ins.size] | op.BPF_IND, ins.offset, ins);
    case 'ld_len': return raw((ins.dst === 'A' ? op.BPF_LD : op.BPF_LDX) | op.BPF_W | op.BPF_LEN, 0, ins);
    case 'ld_imm': return raw((ins.dst === 'A' ? op.BPF_LD : op.BPF_LDX) | op.BPF_W | op.BPF_IMM, ins.value, ins);
    case 'ld_mem': return raw((ins.dst === 'A' ? op.BPF_LD : op.BPF_LDX) | op.BPF_W | op.BPF_MEM, ins.slot, ins);
    case 'ldx_msh': return raw(op.BPF_LDX | op.BPF_B | op.BPF_MSH, ins.offset, ins);
    case 'st': return raw(ins.src === 'A' ? op.BPF_ST : op.BPF_STX, ins.slot, ins);
    case 'alu':
      return raw(op.BPF_ALU | (ALU_CODE.get(ins.op) as number) | (ins.src === 'X' ? op.BPF_X : op.BPF_K), ins.value, ins);
    case 'neg': return raw(op.BPF_ALU | op.BPF_NEG, 0, ins);
    case 'ja': return raw(op.BPF_JMP | op.BPF_JA, ins.offset, ins);
    case 'jmp':
      return {
        code: op.BPF_JMP | (JUMP_CODE.get(ins.cond) as number) | (ins.src === 'X' ? op.BPF_X : op.BPF_K),
        jt: ins.jt,
        jf: ins.jf,
        k: u32(ins.value),
      };
    case 'ret': return ins.src === 'K' ? raw(op.BPF_RET | op.BPF_K, ins.value, ins) : raw(op.BPF_RET | op.BPF_A, 0, ins);
    case 'tax': return raw(op.BPF_MISC | op.BPF_TAX, 0, ins);
    case 'txa': return raw(op.BPF_MISC | op.BPF_TXA, 0, ins);
    case 'unknown': return ins.raw;
  }
}

/** Shorthand constructors for the instructions seccomp filters use. */
export const ins = {
  loadWord: (offset: number): LoadAbsolute => ({ kind: 'ld_abs', size: 4, offset }),
  loadConst: (value: number, dst: Register = 'A'): LoadConstant => ({ kind: 'ld_imm', dst, value: u32(value) }),
  loadMem: (slot: number, dst: Register = 'A'): LoadScratch => ({ kind: 'ld_mem', dst, slot }),
  loadLen: (dst: Register = 'A'): LoadLength => ({ kind: 'ld_len', dst }),
  store: (slot: number, src: Register = 'A'): StoreScratch => ({ kind: 'st', src, slot }),
  alu: (aluOp: AluOp, value: number): Alu => ({ kind: 'alu', op: aluOp, src: 'K', value: u32(value) }),
  aluX: (aluOp: AluOp): Alu => ({ kind: 'alu', op: aluOp, src: 'X', value: 0 }),
  neg: (): Negate => ({ kind: 'neg' }),
  ja: (offset: number): JumpAlways => ({ kind: 'ja', offset }),
  jump: (cond: JumpCond, value: number, jt: number, jf: number): JumpIf =>
    ({ kind: 'jmp', cond, src: 'K', value: u32(value), jt, jf }),
  jumpX: (cond: JumpCond, jt: number, jf: number): JumpIf => ({ kind: 'jmp', cond, src: 'X', value: 0, jt, jf }),
  ret: (value: number): ReturnConstant => ({ kind: 'ret', src: 'K', value: u32(value) }),
  retA: (): ReturnA => ({ kind: 'ret', src: 'A' }),
  tax: (): Tax => ({ kind: 'tax' }),
  txa: (): Txa => ({ kind: 'txa' }),
} as const;
