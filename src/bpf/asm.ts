/**
 * The assembler: reads the disassembler's text (with or without its index and raw-field columns) plus labels
 * (`kill:` on a line, `goto kill`), and gives back the program. For every program, `assemble(disassemble(p))`
 * encodes to the same bytes as `p`: ignored raw fields travel in `{jt=… jf=… k=…}`.
 *
 * Jump targets: a label, or a number. A number names the instruction carrying that index label (`0010:`) when
 * the text has one, else the instruction at that absolute index. Conditional jumps must land 0..255 ahead:
 * the assembler never inserts instructions (use `ProgramBuilder` for that).
 * Syscall names need the architecture: qualified (`x32:read`) anywhere, plain (`read`) where every path has
 * checked `arch` with a `JEQ` (the same flow analysis the disassembler uses). Argument halves are placed in the
 * byte order those architectures share: `args[0] >> 32` is offset 20 on x86_64 and offset 16 on s390x.
 */
import { analyzeFlow } from './flow.js';
import { textError, type ProgramFormatError } from './format-error.js';
import { fromRaw, type AluOp, type Instruction, type JumpCond, type RawInstruction } from './instructions.js';
import * as op from './opcodes.js';
import { actionValue, archConstantValue, syscallNumberIn } from './names.js';
import { quoteName } from '../syscalls/index.js';
import type { Endian } from '../syscalls/arch.js';
import { ALU_SYMBOL, dataFieldText } from './text.js';

type Token = { readonly text: string; readonly col: number; readonly kind: 'ident' | 'num' | 'punct' };

const PUNCT = ['<<=', '>>=', '==', '!=', '>=', '<=', '+=', '-=', '*=', '/=', '|=', '&=', '%=', '^=', '>>',
  '>', '<', '&', '!', '(', ')', '[', ']', '{', '}', '=', '+', '-', '*', ':', ',', '|'];

function tokenize(line: string, lineNo: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (/\s/.test(c)) { i++; continue; }
    const rest = line.slice(i);
    const num = /^(0x[0-9a-fA-F]+|\d+)/.exec(rest);
    if (num) {
      if (/^[\w]/.test(rest.slice(num[0].length))) throw textError(`malformed number "${/^\w+/.exec(rest)?.[0]}"`, lineNo, i + 1);
      out.push({ text: num[0], col: i + 1, kind: 'num' });
      i += num[0].length;
      continue;
    }
    // Identifiers, including `.insn` and ABI-qualified syscall names (`x32:read`).
    const id = /^\.?[A-Za-z_]\w*(?::[A-Za-z_]\w*)?/.exec(rest);
    if (id) {
      out.push({ text: id[0], col: i + 1, kind: 'ident' });
      i += id[0].length;
      continue;
    }
    const p = PUNCT.find((s) => rest.startsWith(s));
    if (!p) throw textError(`unexpected character "${c}"`, lineNo, i + 1);
    out.push({ text: p, col: i + 1, kind: 'punct' });
    i += p.length;
  }
  return out;
}

function parseNumber(text: string): number {
  return text.startsWith('0x') || text.startsWith('0X') ? Number.parseInt(text.slice(2), 16) : Number(text);
}

interface PendingTarget { readonly name: string; readonly line: number; readonly col: number }
interface PendingName { readonly name: string; readonly line: number; readonly col: number }

/** One parsed instruction before its jump targets and syscall names are resolved. */
interface Parsed {
  raw: RawInstruction;
  readonly line: number;
  readonly col: number;
  /** Conditional: [true target, false target] (undefined = next); JA: [target]. */
  readonly targets?: readonly (PendingTarget | undefined)[];
  readonly syscall?: PendingName;
  /** A 64-bit field's half (`args[0] >> 32`), placed by the byte order known where it loads. */
  readonly field?: string;
}

const COND_OPS: Readonly<Record<string, { cond: JumpCond; negated: boolean }>> = {
  '==': { cond: 'jeq', negated: false }, '!=': { cond: 'jeq', negated: true },
  '>': { cond: 'jgt', negated: false }, '<=': { cond: 'jgt', negated: true },
  '>=': { cond: 'jge', negated: false }, '<': { cond: 'jge', negated: true },
  '&': { cond: 'jset', negated: false },
};
const ALU_BY_SYMBOL = new Map(Object.entries(ALU_SYMBOL).map(([name, sym]) => [sym, name as AluOp]));
/** Absolute-load field texts (`arch`, `args[1] >> 32`, …) back to offsets, in each byte order. */
const fieldOffsets = (endian: Endian): ReadonlyMap<string, number> => new Map<string, number>(
  Array.from({ length: 16 }, (_, i) => [dataFieldText(i * 4, endian) as string, i * 4] as const),
);
const FIELD_OFFSETS: Readonly<Record<Endian, ReadonlyMap<string, number>>> = { little: fieldOffsets('little'), big: fieldOffsets('big') };

class LineParser {
  private pos = 0;
  constructor(private readonly tokens: Token[], private readonly line: number, private readonly source: string) {}

  peek(offset = 0): Token | undefined { return this.tokens[this.pos + offset]; }
  atEnd(): boolean { return this.pos >= this.tokens.length; }

  fail(message: string, tok = this.peek()): ProgramFormatError {
    return textError(message, this.line, tok ? tok.col : this.source.trimEnd().length + 1);
  }

  next(what: string): Token {
    const t = this.peek();
    if (!t) throw this.fail(`expected ${what} at the end of the line`);
    this.pos++;
    return t;
  }

  expect(text: string): Token {
    const t = this.peek();
    if (!t || t.text !== text) throw this.fail(`expected "${text}"${t ? `, found "${t.text}"` : ''}`);
    this.pos++;
    return t;
  }

  accept(text: string): boolean {
    if (this.peek()?.text === text) { this.pos++; return true; }
    return false;
  }

  number(what: string, max = 0xffffffff): number {
    const t = this.next(what);
    if (t.kind !== 'num') throw this.fail(`expected ${what}, found "${t.text}"`, t);
    const v = parseNumber(t.text);
    if (!(v >= 0 && v <= max)) throw this.fail(`${what} ${t.text} is out of range (0..${max})`, t);
    return v;
  }

  target(): PendingTarget {
    const t = this.next('a jump target');
    if (t.kind === 'punct') throw this.fail(`expected a jump target, found "${t.text}"`, t);
    return { name: t.kind === 'num' ? String(parseNumber(t.text)) : t.text, line: this.line, col: t.col };
  }

  /** The remaining source text before a `{` (for action texts). */
  restText(): string {
    const start = this.peek();
    if (!start) return '';
    let end = this.tokens.length;
    for (let i = this.pos; i < this.tokens.length; i++) if ((this.tokens[i] as Token).text === '{') { end = i; break; }
    const stop = end < this.tokens.length ? (this.tokens[end] as Token).col - 1 : this.source.length;
    this.pos = end;
    return this.source.slice(start.col - 1, stop).trim();
  }
}

function u32Of(p: LineParser, t: Token): number {
  const v = parseNumber(t.text);
  if (!(v >= 0 && v <= 0xffffffff)) throw p.fail(`constant ${t.text} does not fit 32 bits`, t);
  return v;
}

const raw = (code: number, k = 0, jt = 0, jf = 0): RawInstruction => ({ code, jt, jf, k: k >>> 0 });
const LD_A = (mode: number, size = op.BPF_W): number => op.BPF_LD | size | mode;
const LD_X = (mode: number): number => op.BPF_LDX | op.BPF_W | mode;

function parseStatement(p: LineParser, line: number, col: number): Parsed {
  const first = p.next('an instruction');
  const done = (r: RawInstruction, extra: Partial<Parsed> = {}): Parsed => ({ raw: r, line, col, ...extra });
  switch (first.text) {
    case 'return': {
      if (p.peek()?.text === 'A' && (p.peek(1) === undefined || p.peek(1)?.text === '{')) {
        p.next('A');
        return done(raw(op.BPF_RET | op.BPF_A));
      }
      if (p.peek()?.kind === 'num' && (p.peek(1) === undefined || p.peek(1)?.text === '{')) {
        return done(raw(op.BPF_RET | op.BPF_K, p.number('a return value')));
      }
      const at = p.peek();
      const text = p.restText();
      if (text === '') throw p.fail('expected a return value or action after "return"', at);
      const v = actionValue(text);
      if (typeof v === 'string') throw p.fail(v, at);
      return done(raw(op.BPF_RET | op.BPF_K, v));
    }
    case 'goto':
      return done(raw(op.BPF_JMP | op.BPF_JA), { targets: [p.target()] });
    case 'if':
      return parseIf(p, done);
    case 'mem': {
      p.expect('[');
      const slot = p.number('a scratch slot');
      p.expect(']');
      p.expect('=');
      const src = p.next('A or X');
      if (src.text !== 'A' && src.text !== 'X') throw p.fail(`expected A or X, found "${src.text}"`, src);
      return done(raw(src.text === 'A' ? op.BPF_ST : op.BPF_STX, slot));
    }
    case '.insn': {
      const code = p.number('a code', 0xffff);
      const jt = p.number('jt', 0xff);
      const jf = p.number('jf', 0xff);
      const k = p.number('k');
      return done(raw(code, k, jt, jf));
    }
    case 'A':
    case 'X':
      return parseAssignment(p, first.text, done);
    default:
      throw p.fail(`unknown instruction "${first.text}"`, first);
  }
}

function parseIf(p: LineParser, done: (r: RawInstruction, extra?: Partial<Parsed>) => Parsed): Parsed {
  p.expect('(');
  let cond: JumpCond;
  let negated: boolean;
  if (p.accept('!')) {
    p.expect('(');
    p.expect('A');
    p.expect('&');
    cond = 'jset';
    negated = true;
  } else {
    p.expect('A');
    const o = p.next('a comparison');
    const known = COND_OPS[o.text];
    if (!known) throw p.fail(`expected ==, !=, >, >=, <, <= or &, found "${o.text}"`, o);
    ({ cond, negated } = known);
  }
  const rhs = p.next('a value, X or a name');
  let src = op.BPF_K;
  let k = 0;
  let syscall: PendingName | undefined;
  if (rhs.text === 'X') src = op.BPF_X;
  else if (rhs.kind === 'num') k = parseNumber(rhs.text);
  else if (rhs.kind === 'ident') {
    const arch = archConstantValue(rhs.text);
    if (arch !== undefined) k = arch;
    else syscall = { name: rhs.text, line: 0, col: rhs.col };
  } else throw p.fail(`expected a value, X or a name, found "${rhs.text}"`, rhs);
  if (!(k >= 0 && k <= 0xffffffff)) throw p.fail(`constant ${rhs.text} does not fit 32 bits`, rhs);
  if (cond === 'jset' && negated) p.expect(')');
  p.expect(')');
  p.expect('goto');
  const first = p.target();
  let second: PendingTarget | undefined;
  if (p.accept('else')) {
    p.expect('goto');
    second = p.target();
  }
  const code = op.BPF_JMP | { jeq: op.BPF_JEQ, jgt: op.BPF_JGT, jge: op.BPF_JGE, jset: op.BPF_JSET }[cond] | src;
  const targets = negated ? [second, first] : [first, second];
  const parsed = done(raw(code, k), { targets });
  return syscall ? { ...parsed, syscall: { ...syscall, line: parsed.line } } : parsed;
}

function parseAssignment(p: LineParser, dst: string, done: (r: RawInstruction, extra?: Partial<Parsed>) => Parsed): Parsed {
  const opTok = p.next('"=" or an operator');
  const alu = ALU_BY_SYMBOL.get(opTok.text);
  if (alu !== undefined) {
    if (dst !== 'A') throw p.fail('arithmetic works on A only', opTok);
    const code = op.BPF_ALU | ({ add: op.BPF_ADD, sub: op.BPF_SUB, mul: op.BPF_MUL, div: op.BPF_DIV, or: op.BPF_OR,
      and: op.BPF_AND, lsh: op.BPF_LSH, rsh: op.BPF_RSH, mod: op.BPF_MOD, xor: op.BPF_XOR } as const)[alu];
    if (p.accept('X')) return done(raw(code | op.BPF_X));
    return done(raw(code | op.BPF_K, p.number('a constant')));
  }
  if (opTok.text !== '=') throw p.fail(`expected "=" or an operator such as "+=", found "${opTok.text}"`, opTok);
  const t = p.next('a value');
  const mem = (): number => { p.expect('['); const s = p.number('a scratch slot'); p.expect(']'); return s; };
  if (dst === 'X') {
    if (t.kind === 'num' && parseNumber(t.text) === 4 && p.accept('*')) {
      p.expect('(');
      p.expect('data8');
      p.expect('[');
      const k = p.number('an offset');
      p.expect(']');
      p.expect('&');
      const mask = p.next('0xf');
      if (mask.kind !== 'num' || parseNumber(mask.text) !== 0xf) throw p.fail('expected 0xf', mask);
      p.expect(')');
      return done(raw(op.BPF_LDX | op.BPF_B | op.BPF_MSH, k));
    }
    if (t.kind === 'num') return done(raw(LD_X(op.BPF_IMM), u32Of(p, t)));
    switch (t.text) {
      case 'len': return done(raw(LD_X(op.BPF_LEN)));
      case 'mem': return done(raw(LD_X(op.BPF_MEM), mem()));
      case 'A': return done(raw(op.BPF_MISC | op.BPF_TAX));
    }
    throw p.fail(`expected len, mem[i], A, a number or 4 * (data8[k] & 0xf), found "${t.text}"`, t);
  }
  if (t.kind === 'num') {
    if (t.text === '4' && p.peek()?.text === '*') throw p.fail('the MSH load writes X, not A', t);
    return done(raw(LD_A(op.BPF_IMM), u32Of(p, t)));
  }
  switch (t.text) {
    case 'len': return done(raw(LD_A(op.BPF_LEN)));
    case 'mem': return done(raw(LD_A(op.BPF_MEM), mem()));
    case 'X': return done(raw(op.BPF_MISC | op.BPF_TXA));
    case '-': p.expect('A'); return done(raw(op.BPF_ALU | op.BPF_NEG));
    case 'data': case 'data16': case 'data8': {
      const size = t.text === 'data' ? op.BPF_W : t.text === 'data16' ? op.BPF_H : op.BPF_B;
      p.expect('[');
      if (p.accept('X')) {
        p.expect('+');
        const k = p.number('an offset');
        p.expect(']');
        return done(raw(LD_A(op.BPF_IND, size), k));
      }
      const k = p.number('an offset');
      p.expect(']');
      return done(raw(LD_A(op.BPF_ABS, size), k));
    }
    case 'sys_number': return done(raw(LD_A(op.BPF_ABS), 0));
    case 'arch': return done(raw(LD_A(op.BPF_ABS), 4));
    case 'instruction_pointer':
    case 'args': {
      let field: string = t.text;
      if (t.text === 'args') {
        p.expect('[');
        const i = p.number('an argument index', 5);
        p.expect(']');
        field = `args[${i}]`;
      }
      if (p.accept('>>')) {
        const shift = p.next('32');
        if (shift.text !== '32') throw p.fail(`only ">> 32" (the high half) can follow ${field}`, shift);
        field += ' >> 32';
      }
      return done(raw(LD_A(op.BPF_ABS), FIELD_OFFSETS.little.get(field) as number), { field });
    }
  }
  throw p.fail(`expected a seccomp_data field, data[k], len, mem[i], X, -A or a number, found "${t.text}"`, t);
}

/** Parses `{jt=1 jf=2 k=0x5}` and overlays the fields, refusing ones the instruction reads. */
function applyIgnored(p: LineParser, parsed: Parsed): void {
  if (!p.accept('{')) return;
  const kind = fromRaw(parsed.raw);
  let r = { ...parsed.raw };
  while (!p.accept('}')) {
    const name = p.next('jt=, jf= or k=');
    if (name.text !== 'jt' && name.text !== 'jf' && name.text !== 'k') throw p.fail(`expected jt, jf or k, found "${name.text}"`, name);
    p.expect('=');
    const v = p.number(name.text, name.text === 'k' ? 0xffffffff : 0xff);
    const readsK = !(kind.kind === 'ld_len' || kind.kind === 'neg' || kind.kind === 'tax' || kind.kind === 'txa' ||
      (kind.kind === 'ret' && kind.src === 'A') || ((kind.kind === 'alu' || kind.kind === 'jmp') && kind.src === 'X'));
    const readsJumps = kind.kind === 'jmp' || kind.kind === 'unknown';
    if ((name.text === 'k' && readsK) || (name.text !== 'k' && readsJumps)) {
      throw p.fail(`${name.text} is not an ignored field of this instruction; write it in the instruction itself`, name);
    }
    r = { ...r, [name.text]: v };
    p.accept(',');
  }
  parsed.raw = r;
}

/** Assembles text into a program. Throws `ProgramFormatError` naming line and column. */
export function assemble(text: string): Instruction[] {
  const parsed: Parsed[] = [];
  const labels = new Map<string, { index: number; line: number; col: number }>();
  const lines = text.split(/\r?\n/);
  lines.forEach((source, li) => {
    const lineNo = li + 1;
    const clean = source.replace(/(#|\/\/).*$/, '');
    if (/^\s*line\s+CODE\s+JT\s+JF\s+K\s*$/.test(clean) || /^\s*=+\s*$/.test(clean)) return;
    const tokens = tokenize(clean, lineNo);
    const p = new LineParser(tokens, lineNo, clean);
    // Labels: `name:` or the disassembler's `0012:` (then its raw columns, which are ignored).
    while ((p.peek()?.kind === 'ident' || p.peek()?.kind === 'num') && p.peek(1)?.text === ':') {
      const t = p.next('a label');
      p.next(':');
      const name = t.kind === 'num' ? String(parseNumber(t.text)) : t.text;
      const earlier = labels.get(name);
      if (earlier) throw textError(`label "${t.text}" is already defined on line ${earlier.line}`, lineNo, t.col);
      labels.set(name, { index: parsed.length, line: lineNo, col: t.col });
      if (t.kind === 'num' && p.peek()?.kind === 'num') for (let i = 0; i < 4; i++) p.number('a raw field');
    }
    if (p.atEnd()) return;
    const start = p.peek() as Token;
    const insn = parseStatement(p, lineNo, start.col);
    applyIgnored(p, insn);
    if (!p.atEnd()) throw p.fail(`unexpected "${p.peek()?.text}" after the instruction`);
    parsed.push(insn);
  });

  const n = parsed.length;
  for (const [name, at] of labels) {
    if (at.index >= n) throw textError(`label "${name}" marks no instruction`, at.line, at.col);
  }
  const resolve = (t: PendingTarget, from: number, max: number): number => {
    const label = labels.get(t.name);
    let index: number;
    if (label) index = label.index;
    else if (/^\d+$/.test(t.name)) index = Number(t.name);
    else throw textError(`unknown label ${quoteName(t.name)}`, t.line, t.col);
    const offset = index - from - 1;
    if (offset < 0) throw textError(`jump to ${t.name} goes backwards (jumps only go forward)`, t.line, t.col);
    if (offset > max) {
      throw textError(`jump to ${t.name} is ${offset + 1} instructions ahead; a conditional jump reaches at most ${max + 1} (use goto through a nearer instruction)`, t.line, t.col);
    }
    return offset;
  };
  parsed.forEach((insn, i) => {
    if (!insn.targets) return;
    if (insn.raw.code === (op.BPF_JMP | op.BPF_JA)) {
      insn.raw = { ...insn.raw, k: resolve(insn.targets[0] as PendingTarget, i, 0xffffffff) };
      return;
    }
    const [t, f] = insn.targets;
    insn.raw = { ...insn.raw, jt: t ? resolve(t, i, 255) : 0, jf: f ? resolve(f, i, 255) : 0 };
  });

  // Loads of 64-bit halves never change what the flow analysis tracks (nr and arch), so their offsets can be
  // placed after it: on a path whose architectures are big-endian, `args[0] >> 32` is offset 16.
  const pending = parsed.filter((p) => p.syscall || p.field);
  if (pending.length > 0) {
    const facts = analyzeFlow(parsed.map((p) => fromRaw(p.raw)));
    parsed.forEach((insn, i) => {
      const f = facts[i];
      if (insn.field !== undefined && f?.reachable && f.endian === 'big') {
        insn.raw = { ...insn.raw, k: FIELD_OFFSETS.big.get(insn.field) as number };
      }
    });
    parsed.forEach((insn, i) => {
      const s = insn.syscall;
      if (!s) return;
      const f = facts[i];
      if (f?.a === 'arch') throw textError(`"${s.name}" is a syscall name but A holds the architecture here`, s.line, s.col);
      const nr = syscallNumberIn(f?.reachable ? f.arch : undefined, s.name);
      if (typeof nr === 'string') throw textError(nr, s.line, s.col);
      insn.raw = { ...insn.raw, k: nr };
    });
  }
  return parsed.map((p) => fromRaw(p.raw));
}
