/**
 * The fast executor: a filter prepared once as a JavaScript function, straight-line code with no
 * instruction decoding at run time. Classic BPF jumps only forward, so every jump becomes a `break` out of a
 * labelled block that ends right before its target. Where code generation is forbidden (a page whose
 * Content-Security-Policy refuses `eval`), the filter runs on the reference interpreter instead, with the same
 * results.
 */
import type { Instruction, Program } from '../bpf/instructions.js';
import { SECCOMP_DATA_SIZE } from '../bpf/seccomp-data.js';
import { admit } from './admit.js';
import { dataWords, interpret, verdictOf, type DataLike, type Verdict } from './interpreter.js';
import { aluExpression } from './semantics.js';

/** How a prepared filter runs: generated code, or the interpreter when code generation is unavailable. */
export type ExecutionMode = 'generated' | 'interpreter';

/** How `prepareFilter` runs a filter (generated code or the interpreter). */
export interface ExecutorOptions {
  /** Set to false to never generate code (as if forbidden by a Content-Security-Policy). Default true. */
  readonly codeGeneration?: boolean;
}

/** A filter's return value with the number of instructions executed. */
export interface CountedRun {
  readonly raw: number;
  /** Instructions executed, the final RET included. */
  readonly executed: number;
}

/** A filter ready to run many times. */
export interface PreparedFilter {
  readonly program: Program;
  /** What this filter runs on. */
  readonly mode: ExecutionMode;
  /** When `mode` is `interpreter` although code generation was allowed: why generation failed. */
  readonly fallbackReason?: string;
  /** The raw 32-bit return value for `data`. */
  run(data: DataLike): number;
  /** The raw return value for the 16 words of a `seccomp_data` (the fastest entry point). */
  runWords(words: Uint32Array): number;
  /** The raw return value and the number of instructions executed. */
  runCounting(data: DataLike): CountedRun;
  /**
   * Runs the filter on every record of `records` (back-to-back `seccomp_data`, 16 words each) and writes each raw
   * return value to `out` (one per record); returns `out`. The fastest way to evaluate many inputs: the filter
   * body sits inside the loop, with no call per record.
   */
  runBatch(records: Uint32Array, out: Uint32Array): Uint32Array;
  /** `runBatch`, also writing the number of instructions each record executed to `executed`. */
  runBatchCounting(records: Uint32Array, out: Uint32Array, executed: Uint32Array): Uint32Array;
  /** The raw return value decoded. */
  verdict(data: DataLike): Verdict;
}

type WordsFn = (w: Uint32Array) => number;
type CountingFn = (w: Uint32Array, out: Int32Array) => number;
type BatchFn = (r: Uint32Array, out: Uint32Array, executed?: Uint32Array) => void;

/** The shape of generated code: one `seccomp_data` per call, or a loop over back-to-back records. */
export type GeneratedShape = 'single' | 'batch';

const WORDS = SECCOMP_DATA_SIZE / 4;

/**
 * Prepares `program` for fast repeated runs by turning it into a JavaScript function (refusing, like the
 * interpreter, any program the kernel would refuse). "Prepare", not "compile": compiling is policy → BPF.
 */
export function prepareFilter(given: Program, options: ExecutorOptions = {}): PreparedFilter {
  const program = admit(given);
  let fast: WordsFn | undefined;
  let fallbackReason: string | undefined;
  if (options.codeGeneration !== false) {
    try {
      fast = generate(program, false) as WordsFn;
    } catch (err) {
      fallbackReason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
  }
  if (fast === undefined) return interpreted(program, fallbackReason);
  const runWords = fast;
  let counting: CountingFn | undefined;
  const out = new Int32Array(1);
  const runCounting = (data: DataLike): CountedRun => {
    counting ??= generate(program, true) as CountingFn;
    const raw = counting(dataWords(data), out);
    return { raw, executed: out[0] as number };
  };
  // Generated on first use: a program prepared for single runs pays nothing for the batch entry points.
  let batch: BatchFn | undefined;
  let batchCounting: BatchFn | undefined;
  return {
    program,
    mode: 'generated',
    run: (data) => runWords(dataWords(data)),
    // The generated function itself, which checks the length: no wrapper call on the hot path.
    runWords,
    runCounting,
    runBatch: (records, results) => {
      checkBatch(records, results);
      batch ??= generate(program, false, 'batch') as BatchFn;
      batch(records, results);
      return results;
    },
    runBatchCounting: (records, results, executed) => {
      checkBatch(records, results, executed);
      batchCounting ??= generate(program, true, 'batch') as BatchFn;
      batchCounting(records, results, executed);
      return results;
    },
    verdict: (data) => verdictOf(runWords(dataWords(data))),
  };
}

/** Fails unless `records` holds whole records and each output array has one slot per record. */
function checkBatch(records: Uint32Array, out: Uint32Array, executed?: Uint32Array): void {
  if (records.length % WORDS !== 0) {
    throw new RangeError(`records: seccomp_data records are 16 words each, got ${records.length} words`);
  }
  const n = records.length / WORDS;
  if (out.length !== n) throw new RangeError(`out: ${n} records need ${n} results, got ${out.length}`);
  if (executed !== undefined && executed.length !== n) {
    throw new RangeError(`executed: ${n} records need ${n} counts, got ${executed.length}`);
  }
}

function interpreted(program: Program, fallbackReason: string | undefined): PreparedFilter {
  const runCounting = (data: DataLike): CountedRun => {
    const r = interpret(program, data);
    return { raw: r.raw, executed: r.executed };
  };
  const eachRecord = (records: Uint32Array, each: (i: number, words: Uint32Array) => void): void => {
    for (let i = 0; i < records.length / WORDS; i++) each(i, records.subarray(i * WORDS, (i + 1) * WORDS));
  };
  return {
    program,
    mode: 'interpreter',
    ...(fallbackReason !== undefined && { fallbackReason }),
    run: (data) => interpret(program, data).raw,
    runWords: (words) => interpret(program, words).raw,
    runCounting,
    runBatch: (records, out) => {
      checkBatch(records, out);
      eachRecord(records, (i, words) => { out[i] = interpret(program, words).raw; });
      return out;
    },
    runBatchCounting: (records, out, executed) => {
      checkBatch(records, out, executed);
      eachRecord(records, (i, words) => {
        const r = interpret(program, words);
        out[i] = r.raw;
        executed[i] = r.executed;
      });
      return out;
    },
    verdict: (data) => verdictOf(interpret(program, data).raw),
  };
}

/** Absolute index a jump instruction lands on, for each way it can go. */
function jumpTargets(insn: Instruction, pc: number): number[] {
  if (insn.kind === 'ja') return [pc + 1 + insn.offset];
  if (insn.kind === 'jmp') return [pc + 1 + insn.jt, pc + 1 + insn.jf];
  return [];
}

const COND_OP = { jeq: '===', jgt: '>', jge: '>=' } as const;

/**
 * Up to this many jump targets, each becomes a labelled block (the fastest shape). Beyond it the blocks would
 * nest too deeply for JavaScript parsers, so the code becomes a `switch` over jump targets inside a loop: one
 * dispatch per taken jump, still no decoding.
 */
const MAX_NESTED_LABELS = 1000;

/**
 * JavaScript source of the filter's body; `counting` adds an executed-instruction counter. The `single` shape is
 * the body of `(w, out)`: it returns the raw value for the words `w` (and stores the count in `out[0]`). The
 * `batch` shape is the body of `(r, out, executed)`: a loop over the records of `r`, 16 words each, that stores
 * each raw value in `out` (and each count in `executed`); the caller checks the lengths.
 */
export function filterSource(program: Program, counting: boolean, shape: GeneratedShape = 'single'): string {
  const labels = new Set<number>();
  program.forEach((insn, pc) => {
    for (const t of jumpTargets(insn, pc)) if (t !== pc + 1) labels.add(t);
  });
  const nested = labels.size <= MAX_NESTED_LABELS;
  const slots = new Set<number>();
  for (const insn of program) if (insn.kind === 'st' || insn.kind === 'ld_mem') slots.add(insn.slot);
  const batch = shape === 'batch';
  const lines: string[] = ['"use strict";'];
  if (!batch && !counting) lines.push(`if (w.length !== ${WORDS}) throw new RangeError(\`seccomp_data is ${WORDS} words, got \${w.length}\`);`);
  // One iteration per record: a RET stores the value and goes on with the next record. The indices stay small
  // integers (`| 0`), so that the loop and the loads keep to int32 arithmetic.
  if (batch) lines.push('const n = out.length;', 'next: for (let i = 0, o = 0; i < n; i = i + 1 | 0, o = o + 16 | 0) {');
  lines.push('let A = 0, X = 0;');
  if (counting) lines.push('let c = 0;');
  if (slots.size > 0) lines.push(`let ${[...slots].sort((a, b) => a - b).map((s) => `m${s} = 0`).join(', ')};`);
  const ret = (value: string): string => {
    if (batch) return counting ? `{ out[i] = ${value}; executed[i] = c; continue next; }` : `{ out[i] = ${value}; continue next; }`;
    return counting ? `{ out[0] = c; return ${value}; }` : `return ${value};`;
  };
  const load = (word: number): string => (batch ? (word === 0 ? 'r[o]' : `r[o + ${word}]`) : `w[${word}]`);
  const goto = (pc: number, t: number): string => {
    if (t === pc + 1) return '';
    return nested ? `break L${t};` : `{ pc = ${t}; continue; }`;
  };
  if (nested) {
    const opened = [...labels].sort((a, b) => b - a);
    if (opened.length > 0) lines.push(opened.map((t) => `L${t}: {`).join(' '));
  } else {
    lines.push('let pc = 0;', 'for (;;) switch (pc) {', 'case 0:');
  }
  program.forEach((insn, pc) => {
    if (labels.has(pc)) lines.push(nested ? `} // ${pc}` : `case ${pc}:`);
    if (counting) lines.push('c++;');
    lines.push(statement(insn, pc, ret, goto, load));
  });
  if (!nested) lines.push('}');
  if (batch) lines.push('}');
  return lines.join('\n');
}

function statement(
  insn: Instruction,
  pc: number,
  ret: (value: string) => string,
  goto: (pc: number, target: number) => string,
  load: (word: number) => string,
): string {
  switch (insn.kind) {
    case 'ld_abs': return `A = ${load(insn.offset / 4)};`;
    case 'ld_len': return `${insn.dst} = ${SECCOMP_DATA_SIZE};`;
    case 'ld_imm': return `${insn.dst} = ${insn.value >>> 0};`;
    case 'ld_mem': return `${insn.dst} = m${insn.slot};`;
    case 'st': return `m${insn.slot} = ${insn.src};`;
    case 'alu': {
      const v = insn.src === 'X' ? 'X' : String(insn.value >>> 0);
      const guard = insn.src === 'X' && (insn.op === 'div' || insn.op === 'mod') ? `if (X === 0) ${ret('0')} ` : '';
      return `${guard}A = ${aluExpression(insn.op, 'A', v)};`;
    }
    case 'neg': return 'A = -A >>> 0;';
    case 'ja': return goto(pc, pc + 1 + insn.offset);
    case 'jmp': {
      const v = insn.src === 'X' ? 'X' : String(insn.value >>> 0);
      const cond = insn.cond === 'jset' ? `(A & ${v}) !== 0` : `A ${COND_OP[insn.cond]} ${v}`;
      const t = goto(pc, pc + 1 + insn.jt);
      const f = goto(pc, pc + 1 + insn.jf);
      if (t === f) return t;
      if (t === '') return `if (!(${cond})) ${f}`;
      if (f === '') return `if (${cond}) ${t}`;
      return `if (${cond}) ${t} else ${f}`;
    }
    case 'ret': return ret(insn.src === 'A' ? 'A' : String(insn.value >>> 0));
    case 'tax': return 'X = A;';
    case 'txa': return 'A = X;';
    case 'ld_ind':
    case 'ldx_msh':
    case 'unknown':
      throw new Error(`instruction ${pc}: '${insn.kind}' is not admitted in a seccomp filter`);
  }
}

function generate(program: Program, counting: boolean, shape: GeneratedShape = 'single'): WordsFn | CountingFn | BatchFn {
  const source = filterSource(program, counting, shape);
  // Throws EvalError where a Content-Security-Policy forbids code generation.
  if (shape === 'batch') return new Function('r', 'out', 'executed', source) as BatchFn;
  return (counting ? new Function('w', 'out', source) : new Function('w', source)) as WordsFn | CountingFn;
}
