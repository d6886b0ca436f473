/**
 * Accepts exactly the programs Linux accepts as a seccomp filter. The kernel runs, in this order:
 * the length check of `seccomp_prepare_filter` (1..BPF_MAXINSNS), `bpf_check_classic` (opcode table, per-opcode
 * checks, last instruction RET, then `check_load_and_stores`), then `seccomp_check_filter` (the seccomp subset).
 * Every refusal is EINVAL, so a program is accepted iff no rule below fires; errors are reported in that order.
 */
import * as op from './opcodes.js';
import { toRaw, type Instruction, type Program, type RawInstruction } from './instructions.js';
import { SECCOMP_DATA_SIZE } from './seccomp-data.js';
import { instructionText, lineLabel } from './text.js';

/** Names of the rules a program can break. */
export type ValidationRule =
  | 'length'
  | 'unknown-opcode'
  | 'division-by-zero'
  | 'shift-out-of-range'
  | 'memory-index'
  | 'jump-out-of-range'
  | 'ancillary-load'
  | 'last-not-return'
  | 'memory-uninitialized'
  | 'seccomp-load'
  | 'seccomp-opcode';

/** Why the kernel would refuse a program, and at which instruction. */
export interface ValidationError {
  /** Index of the offending instruction (for an empty program: -1). */
  readonly index: number;
  /** The offending instruction (for an empty program, a placeholder `unknown` with all fields zero). */
  readonly instruction: Instruction;
  readonly rule: ValidationRule;
  /** One line naming the index, the instruction as text and the rule. */
  readonly message: string;
}

/** Whether the kernel would accept a program, with the reasons if not. */
export type ValidationResult = { readonly ok: true } | { readonly ok: false; readonly errors: ValidationError[] };

/** Thrown by {@link assertValid}; `errors` holds every rule the program breaks. */
export class InvalidProgramError extends Error {
  constructor(readonly errors: readonly ValidationError[]) {
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    super(`invalid seccomp filter: ${first ? first.message : 'unknown error'}${more}`);
    this.name = 'InvalidProgramError';
  }
}

/**
 * A set of opcodes as a table indexed by opcode (every opcode of either set is below 0x100): a look-up per
 * instruction, twice per validation, is cheaper in a table than in a `Set`.
 */
function codeTable(codes: readonly number[]): Uint8Array {
  const table = new Uint8Array(0x100);
  for (const c of codes) table[c] = 1;
  return table;
}

/** Whether `code` is in the table (anything outside 0..0xff, or not an integer, is not). */
const isIn = (table: Uint8Array, code: number): boolean => table[code] === 1;

/** Codes `chk_code_allowed` lets through (net/core/filter.c). */
const CLASSIC_CODES = codeTable([
  ...[op.BPF_ADD, op.BPF_SUB, op.BPF_MUL, op.BPF_DIV, op.BPF_MOD, op.BPF_AND, op.BPF_OR, op.BPF_XOR, op.BPF_LSH,
    op.BPF_RSH].flatMap((o) => [op.BPF_ALU | o | op.BPF_K, op.BPF_ALU | o | op.BPF_X]),
  op.BPF_ALU | op.BPF_NEG,
  op.BPF_LD | op.BPF_W | op.BPF_ABS, op.BPF_LD | op.BPF_H | op.BPF_ABS, op.BPF_LD | op.BPF_B | op.BPF_ABS,
  op.BPF_LD | op.BPF_W | op.BPF_LEN,
  op.BPF_LD | op.BPF_W | op.BPF_IND, op.BPF_LD | op.BPF_H | op.BPF_IND, op.BPF_LD | op.BPF_B | op.BPF_IND,
  op.BPF_LD | op.BPF_IMM, op.BPF_LD | op.BPF_MEM,
  op.BPF_LDX | op.BPF_W | op.BPF_LEN, op.BPF_LDX | op.BPF_B | op.BPF_MSH, op.BPF_LDX | op.BPF_IMM,
  op.BPF_LDX | op.BPF_MEM,
  op.BPF_ST, op.BPF_STX,
  op.BPF_MISC | op.BPF_TAX, op.BPF_MISC | op.BPF_TXA,
  op.BPF_RET | op.BPF_K, op.BPF_RET | op.BPF_A,
  op.BPF_JMP | op.BPF_JA,
  ...[op.BPF_JEQ, op.BPF_JGE, op.BPF_JGT, op.BPF_JSET].flatMap((o) => [op.BPF_JMP | o | op.BPF_K, op.BPF_JMP | o | op.BPF_X]),
]);

/** Codes `seccomp_check_filter` lets through (kernel/seccomp.c): no MOD, no B/H loads, no IND, no MSH. */
const SECCOMP_CODES = codeTable([
  op.BPF_LD | op.BPF_W | op.BPF_ABS,
  op.BPF_LD | op.BPF_W | op.BPF_LEN, op.BPF_LDX | op.BPF_W | op.BPF_LEN,
  op.BPF_RET | op.BPF_K, op.BPF_RET | op.BPF_A,
  ...[op.BPF_ADD, op.BPF_SUB, op.BPF_MUL, op.BPF_DIV, op.BPF_AND, op.BPF_OR, op.BPF_XOR, op.BPF_LSH, op.BPF_RSH]
    .flatMap((o) => [op.BPF_ALU | o | op.BPF_K, op.BPF_ALU | o | op.BPF_X]),
  op.BPF_ALU | op.BPF_NEG,
  op.BPF_LD | op.BPF_IMM, op.BPF_LDX | op.BPF_IMM,
  op.BPF_MISC | op.BPF_TAX, op.BPF_MISC | op.BPF_TXA,
  op.BPF_LD | op.BPF_MEM, op.BPF_LDX | op.BPF_MEM, op.BPF_ST, op.BPF_STX,
  op.BPF_JMP | op.BPF_JA,
  ...[op.BPF_JEQ, op.BPF_JGE, op.BPF_JGT, op.BPF_JSET].flatMap((o) => [op.BPF_JMP | o | op.BPF_K, op.BPF_JMP | o | op.BPF_X]),
]);

// Opcodes the checks single out, computed once (namespace look-ups in hot loops are slow in some runtimes).
const DIV_K = op.BPF_ALU | op.BPF_DIV | op.BPF_K;
const MOD_K = op.BPF_ALU | op.BPF_MOD | op.BPF_K;
const LSH_K = op.BPF_ALU | op.BPF_LSH | op.BPF_K;
const RSH_K = op.BPF_ALU | op.BPF_RSH | op.BPF_K;
const LD_MEM = op.BPF_LD | op.BPF_MEM;
const LDX_MEM = op.BPF_LDX | op.BPF_MEM;
const ST = op.BPF_ST;
const STX = op.BPF_STX;
const JA = op.BPF_JMP | op.BPF_JA;
const LD_W_ABS = op.BPF_LD | op.BPF_W | op.BPF_ABS;
const LD_H_ABS = op.BPF_LD | op.BPF_H | op.BPF_ABS;
const LD_B_ABS = op.BPF_LD | op.BPF_B | op.BPF_ABS;
const RET_K = op.BPF_RET | op.BPF_K;
const RET_A = op.BPF_RET | op.BPF_A;
const JMP = op.BPF_JMP;
const MEMWORDS = op.BPF_MEMWORDS;

/** `SKF_AD_OFF` (-0x1000) as the unsigned k of an absolute load, and the ancillary offsets the kernel knows. */
const SKF_AD_OFF = 0xfffff000;
const SKF_AD_MAX = 64;

const isCondJump = (code: number): boolean => (code & 0x07) === JMP && code !== JA;

const EMPTY: Instruction = { kind: 'unknown', raw: { code: 0, jt: 0, jf: 0, k: 0 } };

function error(index: number, instruction: Instruction, rule: ValidationRule, why: string): ValidationError {
  const where = index < 0 ? 'program' : `instruction ${lineLabel(index)} (${instructionText(instruction, index)})`;
  return { index, instruction, rule, message: `${where}: ${why} [${rule}]` };
}

/** Per-instruction checks of `bpf_check_classic`, in the kernel's order. */
function checkClassic(r: RawInstruction, pc: number, flen: number): [ValidationRule, string] | undefined {
  const { code, k } = r;
  if (!isIn(CLASSIC_CODES, code)) return ['unknown-opcode', `opcode ${hexCode(code)} is not a classic BPF instruction`];
  switch (code) {
    case DIV_K:
    case MOD_K:
      return k === 0 ? ['division-by-zero', 'division by the constant 0'] : undefined;
    case LSH_K:
    case RSH_K:
      return k >= 32 ? ['shift-out-of-range', `shift by ${k} (must be below 32)`] : undefined;
    case LD_MEM:
    case LDX_MEM:
    case ST:
    case STX:
      return k >= MEMWORDS ? ['memory-index', `scratch memory index ${k} (must be below ${MEMWORDS})`] : undefined;
    case JA:
      // The kernel compares k unsigned against the instructions left, so a "negative" k is far out of range.
      return k >= flen - pc - 1
        ? ['jump-out-of-range', flen - pc - 2 < 0
          ? `jump by ${k} from the last instruction`
          : `jump by ${k} past the end of the program (at most ${flen - pc - 2} here)`]
        : undefined;
    case LD_W_ABS:
    case LD_H_ABS:
    case LD_B_ABS:
      return k >= SKF_AD_OFF && (k - SKF_AD_OFF >= SKF_AD_MAX || (k - SKF_AD_OFF) % 4 !== 0)
        ? ['ancillary-load', `unknown ancillary load at offset ${hexCode(k)}`]
        : undefined;
    default:
      if (isCondJump(code) && (pc + r.jt + 1 >= flen || pc + r.jf + 1 >= flen)) {
        return ['jump-out-of-range', `conditional jump (jt=${r.jt}, jf=${r.jf}) past the end of the program`];
      }
      return undefined;
  }
}

const hexCode = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/**
 * `check_load_and_stores`: one pass in order, with a bitmask of initialised slots. A jump ANDs the current mask
 * into its targets and resets the mask to "all", so code reached only by fall-through from a jump starts
 * unconstrained; a RET does not reset it, so the next instruction still inherits the mask from before the RET.
 */
function checkLoadsAndStores(raws: readonly RawInstruction[], program: Program, errors: ValidationError[]): void {
  const flen = raws.length;
  // Only a load from scratch memory can break the rule, and most filters have none: skip the pass (and its array).
  if (!raws.some((r) => r.code === LD_MEM || r.code === LDX_MEM)) return;
  const masks = new Uint16Array(flen).fill(0xffff);
  let memvalid = 0;
  const narrow = (target: number): void => {
    if (target < flen) masks[target] = (masks[target] as number) & memvalid;
  };
  for (let pc = 0; pc < flen; pc++) {
    const r = raws[pc] as RawInstruction;
    memvalid &= masks[pc] as number;
    switch (r.code) {
      case ST:
      case STX:
        if (r.k < 16) memvalid |= 1 << r.k;
        break;
      case LD_MEM:
      case LDX_MEM:
        if (r.k < 16 && !(memvalid & (1 << r.k))) {
          errors.push(error(pc, program[pc] as Instruction, 'memory-uninitialized',
            `mem[${r.k}] is loaded but not stored on every path that reaches it`));
        }
        break;
      case JA:
        narrow(pc + 1 + r.k);
        memvalid = 0xffff;
        break;
      default:
        if (isCondJump(r.code) && isIn(CLASSIC_CODES, r.code)) {
          narrow(pc + 1 + r.jt);
          narrow(pc + 1 + r.jf);
          memvalid = 0xffff;
        }
    }
  }
}

/** `seccomp_check_filter`: the seccomp subset of classic BPF. */
function checkSeccomp(r: RawInstruction): [ValidationRule, string] | undefined {
  if (r.code === LD_W_ABS) {
    return r.k >= SECCOMP_DATA_SIZE || (r.k & 3) !== 0
      ? ['seccomp-load', `load at offset ${r.k}: seccomp filters load only aligned 32-bit words inside seccomp_data (0..60)`]
      : undefined;
  }
  if (isIn(SECCOMP_CODES, r.code)) return undefined;
  return ['seccomp-opcode', `${opcodeName(r.code)} is not allowed in seccomp filters`];
}

function opcodeName(code: number): string {
  const cls = op.bpfClass(code);
  if (cls === op.BPF_ALU && op.bpfOp(code) === op.BPF_MOD) return 'modulo (BPF_MOD)';
  if (cls === op.BPF_LD || cls === op.BPF_LDX) {
    const mode = op.bpfMode(code);
    if (mode === op.BPF_IND) return 'an indirect load (BPF_IND)';
    if (mode === op.BPF_MSH) return 'BPF_MSH';
    if (mode === op.BPF_ABS) return `a ${op.bpfSize(code) === op.BPF_H ? '16' : '8'}-bit load`;
  }
  return `opcode ${hexCode(code)}`;
}

/** Checks a program against every rule the kernel applies to a seccomp filter. */
export function validate(program: Program): ValidationResult {
  const flen = program.length;
  if (flen === 0) return { ok: false, errors: [error(-1, EMPTY, 'length', 'a filter needs at least one instruction')] };
  if (flen > op.BPF_MAXINSNS) {
    const at = op.BPF_MAXINSNS;
    return {
      ok: false,
      errors: [error(at, program[at] as Instruction, 'length', `${flen} instructions (at most ${op.BPF_MAXINSNS})`)],
    };
  }
  const raws = program.map(toRaw);
  const errors: ValidationError[] = [];
  raws.forEach((r, pc) => {
    const broken = checkClassic(r, pc, flen);
    if (broken) errors.push(error(pc, program[pc] as Instruction, ...broken));
  });
  const lastCode = (raws[flen - 1] as RawInstruction).code;
  if (lastCode !== RET_K && lastCode !== RET_A) {
    errors.push(error(flen - 1, program[flen - 1] as Instruction, 'last-not-return', 'the last instruction must be a return'));
  }
  checkLoadsAndStores(raws, program, errors);
  raws.forEach((r, pc) => {
    if (!isIn(CLASSIC_CODES, r.code)) return; // already reported as unknown
    const broken = checkSeccomp(r);
    if (broken) errors.push(error(pc, program[pc] as Instruction, ...broken));
  });
  return errors.length === 0 ? { ok: true } : { ok: false, errors };
}

/** Throws {@link InvalidProgramError} unless the kernel would accept `program` as a seccomp filter. */
export function assertValid(program: Program): void {
  const result = validate(program);
  if (!result.ok) throw new InvalidProgramError(result.errors);
}
