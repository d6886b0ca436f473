/**
 * The reference interpreter: runs a seccomp filter on one `seccomp_data` exactly as Linux does, one instruction
 * at a time, and can record every step.
 */
import type { Instruction, JumpCond, Program } from '../bpf/instructions.js';
import { BPF_MEMWORDS } from '../bpf/opcodes.js';
import { SECCOMP_DATA_SIZE } from '../bpf/seccomp-data.js';
import { decodeAction, type Action } from '../syscalls/actions.js';
import { formatAction } from '../syscalls/action-text.js';
import { seccompData, type SeccompData, type SeccompDataInput } from './data.js';
import { admit } from './admit.js';
import { aluResult } from './semantics.js';

/** What a filter decided: the raw 32-bit return value and the action it means to the kernel. */
export interface Verdict {
  /** The filter's return value, unsigned 32-bit. */
  readonly raw: number;
  readonly action: Action;
}

/** One executed instruction and the machine state right after it. */
export interface Step {
  readonly pc: number;
  readonly instruction: Instruction;
  readonly a: number;
  readonly x: number;
  /** The 16 scratch memory words. */
  readonly mem: readonly number[];
}

/** Whether `interpret` records a trace of every step. */
export interface InterpretOptions {
  /** Record every executed instruction with the registers after it. */
  readonly trace?: boolean;
}

/** A filter's verdict with the instructions executed and, when asked, the trace. */
export interface Interpretation extends Verdict {
  /** Instructions executed, the final RET included. */
  readonly executed: number;
  /** Present when `trace` was requested. */
  readonly trace?: readonly Step[];
}

/** The input of a run: a laid-out `seccomp_data`, its 16 words, or a description to lay out. */
export type DataLike = SeccompData | SeccompDataInput | Uint32Array;

/** The 16 words a filter loads from, for any accepted form of input. */
export function dataWords(data: DataLike): Uint32Array {
  if (data instanceof Uint32Array) {
    if (data.length !== SECCOMP_DATA_SIZE / 4) {
      throw new RangeError(`seccomp_data is ${SECCOMP_DATA_SIZE / 4} words, got ${data.length}`);
    }
    return data;
  }
  return 'words' in data ? data.words : seccompData(data).words;
}

/** A verdict (or a raw return value) as text: `ALLOW`, `ERRNO(EPERM)`, `TRAP(5)`, `KILL_PROCESS`, ... */
export function formatVerdict(verdict: Verdict | number): string {
  return formatAction(typeof verdict === 'number' ? decodeAction(verdict >>> 0) : verdict.action);
}

/** Makes a verdict out of a raw return value. */
export function verdictOf(raw: number): Verdict {
  const r = raw >>> 0;
  return { raw: r, action: decodeAction(r) };
}

export function jumpTaken(cond: JumpCond, a: number, v: number): boolean {
  switch (cond) {
    case 'jeq': return a === v;
    case 'jgt': return a > v;
    case 'jge': return a >= v;
    case 'jset': return (a & v) !== 0;
  }
}

/**
 * Runs `program` on `data`. Throws a `ProgramRejectedError` (from the validator) for a program the kernel
 * would refuse to load: its behaviour is not defined, so there is no verdict to give.
 */
export function interpret(program: Program, data: DataLike, options: InterpretOptions = {}): Interpretation {
  const admitted = admit(program);
  const trace: Step[] | undefined = options.trace ? [] : undefined;
  const end = execute(admitted, dataWords(data), trace);
  const raw = end.raw >>> 0;
  const action = decodeAction(raw);
  return trace ? { raw, action, executed: end.executed, trace } : { raw, action, executed: end.executed };
}

/** The run itself, on an admitted program. No closures here: this loop is the interpreter's hot path. */
function execute(program: Program, words: Uint32Array, trace: Step[] | undefined): { raw: number; executed: number } {
  const mem = new Uint32Array(BPF_MEMWORDS);
  let a = 0;
  let x = 0;
  let pc = 0;
  let executed = 0;
  for (;;) {
    const insn = program[pc];
    if (insn === undefined) throw new Error(`instruction ${pc}: ran past the end of the program`);
    executed++;
    let next = pc + 1;
    let ret = -1;
    switch (insn.kind) {
      case 'ld_abs':
        if (insn.size !== 4 || insn.offset % 4 !== 0 || insn.offset >= SECCOMP_DATA_SIZE) {
          throw new Error(`instruction ${pc}: load of ${insn.size} bytes at offset ${insn.offset} is not admitted`);
        }
        a = words[insn.offset >>> 2] as number;
        break;
      case 'ld_len':
        if (insn.dst === 'A') a = SECCOMP_DATA_SIZE; else x = SECCOMP_DATA_SIZE;
        break;
      case 'ld_imm':
        if (insn.dst === 'A') a = insn.value >>> 0; else x = insn.value >>> 0;
        break;
      case 'ld_mem': {
        if (insn.slot < 0 || insn.slot >= BPF_MEMWORDS) throw new Error(`instruction ${pc}: scratch slot ${insn.slot} does not exist`);
        const v = mem[insn.slot] as number;
        if (insn.dst === 'A') a = v; else x = v;
        break;
      }
      case 'st':
        if (insn.slot < 0 || insn.slot >= BPF_MEMWORDS) throw new Error(`instruction ${pc}: scratch slot ${insn.slot} does not exist`);
        mem[insn.slot] = insn.src === 'A' ? a : x;
        break;
      case 'alu': {
        const r = aluResult(insn.op, a, insn.src === 'X' ? x : insn.value >>> 0);
        if (r === undefined) ret = 0;
        else a = r;
        break;
      }
      case 'neg':
        a = -a >>> 0;
        break;
      case 'ja':
        next = pc + 1 + insn.offset;
        break;
      case 'jmp':
        next = pc + 1 + (jumpTaken(insn.cond, a, insn.src === 'X' ? x : insn.value >>> 0) ? insn.jt : insn.jf);
        break;
      case 'ret':
        ret = insn.src === 'A' ? a : insn.value >>> 0;
        break;
      case 'tax':
        x = a;
        break;
      case 'txa':
        a = x;
        break;
      case 'ld_ind':
      case 'ldx_msh':
      case 'unknown':
        throw new Error(`instruction ${pc}: '${insn.kind}' is not admitted in a seccomp filter`);
    }
    if (trace) trace.push({ pc, instruction: insn, a, x, mem: Array.from(mem) });
    if (ret >= 0) return { raw: ret, executed };
    pc = next;
  }
}
