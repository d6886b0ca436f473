/**
 * C source: `struct sock_filter filter[] = { BPF_STMT(…), BPF_JUMP(…) };` with symbolic `BPF_*` opcodes,
 * `offsetof(struct seccomp_data, …)` offsets, `AUDIT_ARCH_*` and `SECCOMP_RET_*` constants, and the reading of
 * each instruction in a comment. It compiles as is (with the kernel's uapi headers) and reads back here.
 * Reading also accepts plain `{ code, jt, jf, k }` initialisers (as `tcpdump -dd` prints) and simple constant
 * expressions (`| + - << >> & ~`, parentheses, `offsetof`, `sizeof(struct seccomp_data)`, `__NR_*` on x86_64).
 */
import { analyzeFlow } from './flow.js';
import { textError } from './format-error.js';
import { fromRaw, toRaw, type Instruction, type Program, type RawInstruction } from './instructions.js';
import * as op from './opcodes.js';
import { ARCH_CONSTANTS, archConstantName } from './names.js';
import { disassembleLines } from './disasm.js';
import { fieldAt, SECCOMP_DATA_SIZE } from './seccomp-data.js';
import { ACTION_CODES, ERRNO, SECCOMP_RET_ACTION_FULL, SECCOMP_RET_DATA, X32_SYSCALL_BIT, lookupSyscall } from '../syscalls/index.js';
import { hex } from './text.js';

const CLASS = ['BPF_LD', 'BPF_LDX', 'BPF_ST', 'BPF_STX', 'BPF_ALU', 'BPF_JMP', 'BPF_RET', 'BPF_MISC'];
const SIZE: Record<number, string> = { [op.BPF_W]: 'BPF_W', [op.BPF_H]: 'BPF_H', [op.BPF_B]: 'BPF_B' };
const MODE: Record<number, string> = {
  [op.BPF_IMM]: 'BPF_IMM', [op.BPF_ABS]: 'BPF_ABS', [op.BPF_IND]: 'BPF_IND', [op.BPF_MEM]: 'BPF_MEM',
  [op.BPF_LEN]: 'BPF_LEN', [op.BPF_MSH]: 'BPF_MSH',
};
const ALU: Record<number, string> = {
  [op.BPF_ADD]: 'BPF_ADD', [op.BPF_SUB]: 'BPF_SUB', [op.BPF_MUL]: 'BPF_MUL', [op.BPF_DIV]: 'BPF_DIV',
  [op.BPF_OR]: 'BPF_OR', [op.BPF_AND]: 'BPF_AND', [op.BPF_LSH]: 'BPF_LSH', [op.BPF_RSH]: 'BPF_RSH',
  [op.BPF_NEG]: 'BPF_NEG', [op.BPF_MOD]: 'BPF_MOD', [op.BPF_XOR]: 'BPF_XOR',
};
const JMP: Record<number, string> = {
  [op.BPF_JA]: 'BPF_JA', [op.BPF_JEQ]: 'BPF_JEQ', [op.BPF_JGT]: 'BPF_JGT', [op.BPF_JGE]: 'BPF_JGE', [op.BPF_JSET]: 'BPF_JSET',
};

/** `BPF_LD | BPF_W | BPF_ABS` for 0x20; any bits without a name are added as a number. */
export function codeName(code: number): string {
  if (code > 0xff) return hex(code);
  const cls = op.bpfClass(code);
  const parts = [CLASS[cls] as string];
  let rest = code & ~0x07;
  const take = (mask: number, names: Record<number, string>): void => {
    const name = names[code & mask];
    if (name !== undefined) { parts.push(name); rest &= ~mask; }
  };
  switch (cls) {
    case op.BPF_LD:
    case op.BPF_LDX:
      take(0x18, SIZE); take(0xe0, MODE); break;
    case op.BPF_ALU:
      take(0xf0, ALU); take(0x08, { [op.BPF_K]: 'BPF_K', [op.BPF_X]: 'BPF_X' }); break;
    case op.BPF_JMP:
      take(0xf0, JMP);
      if ((code & 0xf0) !== op.BPF_JA || (code & 0x08) !== 0) take(0x08, { [op.BPF_K]: 'BPF_K', [op.BPF_X]: 'BPF_X' });
      break;
    case op.BPF_RET:
      take(0x18, { [op.BPF_K]: 'BPF_K', [op.BPF_X]: 'BPF_X', [op.BPF_A]: 'BPF_A' }); break;
    case op.BPF_MISC:
      take(0xf8, { [op.BPF_TAX]: 'BPF_TAX', [op.BPF_TXA]: 'BPF_TXA' }); break;
    default:
      break;
  }
  if (rest !== 0) parts.push(hex(rest));
  return parts.join(' | ');
}

const ACTION_NAME = new Map(Object.entries(ACTION_CODES).map(([kind, code]) => [code >>> 0, `SECCOMP_RET_${kind}`]));

function kText(insn: Instruction, r: RawInstruction, aHolds: string | undefined): string {
  if (insn.kind === 'ld_abs' && insn.size === 4) {
    const f = fieldAt(insn.offset);
    if (f) {
      const member = f.field === 'arg' ? `args[${f.index}]` : f.field;
      return `offsetof(struct seccomp_data, ${member})${'half' in f && f.half === 'hi' ? ' + 4' : ''}`;
    }
  }
  if (insn.kind === 'ret' && insn.src === 'K') {
    const name = ACTION_NAME.get((r.k & SECCOMP_RET_ACTION_FULL) >>> 0);
    if (name !== undefined) {
      const data = r.k & SECCOMP_RET_DATA;
      return data === 0 ? name : `${name} | ${data}`;
    }
  }
  if (insn.kind === 'jmp' && insn.src === 'K' && aHolds === 'arch') {
    const name = archConstantName(r.k);
    if (name !== undefined) return `AUDIT_${name}`;
  }
  if (insn.kind === 'jmp' && insn.cond !== 'jset' && aHolds === 'nr' && r.k < X32_SYSCALL_BIT) return String(r.k);
  return r.k < 10 ? String(r.k) : hex(r.k);
}

/** The program as C source defining `struct sock_filter NAME[]`. */
export function formatC(program: Program, name = 'filter'): string {
  const facts = analyzeFlow(program);
  const lines = disassembleLines(program);
  const rows = program.map((insn, i) => {
    const r = toRaw(insn);
    const k = kText(insn, r, facts[i]?.reachable ? facts[i]?.a : undefined);
    const body = r.jt !== 0 || r.jf !== 0 || (op.bpfClass(r.code) === op.BPF_JMP && r.code !== (op.BPF_JMP | op.BPF_JA))
      ? `BPF_JUMP(${codeName(r.code)}, ${k}, ${r.jt}, ${r.jf})`
      : `BPF_STMT(${codeName(r.code)}, ${k})`;
    const text = (lines[i]?.text ?? '').replace(/\*\//g, '* /');
    return `\t/* ${String(i).padStart(4, '0')} */ ${body}, /* ${text} */`;
  });
  return [
    '#include <stddef.h>',
    '#include <linux/audit.h>',
    '#include <linux/filter.h>',
    '#include <linux/seccomp.h>',
    '',
    `struct sock_filter ${name}[] = {`,
    ...rows,
    '};',
    '',
  ].join('\n');
}

// ---- reading -------------------------------------------------------------------------------------------------

type CToken = { readonly text: string; readonly kind: 'ident' | 'num' | 'punct'; readonly line: number; readonly col: number };

function tokenizeC(text: string): CToken[] {
  const out: CToken[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  let atLineStart = true;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '\n') { line++; lineStart = i + 1; i++; atLineStart = true; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw textError('unterminated comment', line, i - lineStart + 1);
      for (let j = i; j < end; j++) if (text[j] === '\n') { line++; lineStart = j + 1; }
      i = end + 2;
      continue;
    }
    if (text.startsWith('//', i) || (c === '#' && atLineStart)) {
      // Comments and preprocessor lines (with backslash continuations).
      while (i < text.length && text[i] !== '\n') {
        if (text[i] === '\\' && text[i + 1] === '\n') { i += 2; line++; lineStart = i; continue; }
        i++;
      }
      continue;
    }
    atLineStart = false;
    const rest = text.slice(i);
    const col = i - lineStart + 1;
    const m = /^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*/.exec(rest) ?? /^[A-Za-z_]\w*/.exec(rest) ?? /^(<<|>>|[|&^~+\-*/()[\]{},;=.])/.exec(rest);
    if (!m) throw textError(`unexpected character "${c}" in C source`, line, col);
    const kind = /^\d/.test(m[0]) ? 'num' : /^[A-Za-z_]/.test(m[0]) ? 'ident' : 'punct';
    out.push({ text: m[0], kind, line, col });
    i += m[0].length;
  }
  return out;
}

const C_CONSTANTS: ReadonlyMap<string, number> = new Map<string, number>([
  ...Object.entries(op as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number'),
  ...[...ARCH_CONSTANTS].map(([n, v]) => [`AUDIT_${n}`, v] as [string, number]),
  ...Object.entries(ACTION_CODES).map(([k, v]) => [`SECCOMP_RET_${k}`, v] as [string, number]),
  ['SECCOMP_RET_KILL', ACTION_CODES.KILL_THREAD],
  ['SECCOMP_RET_ACTION', 0x7fff0000],
  ['SECCOMP_RET_ACTION_FULL', SECCOMP_RET_ACTION_FULL],
  ['SECCOMP_RET_DATA', SECCOMP_RET_DATA],
  ['__X32_SYSCALL_BIT', X32_SYSCALL_BIT],
  ...Object.entries(ERRNO),
]);

class ExprParser {
  constructor(private readonly toks: CToken[], public pos: number) {}
  peek(): CToken | undefined { return this.toks[this.pos]; }
  fail(message: string, t = this.peek() ?? this.toks[this.toks.length - 1]): Error {
    return textError(message, t?.line ?? 1, t?.col ?? 1);
  }
  expect(text: string): CToken {
    const t = this.peek();
    if (t?.text !== text) throw this.fail(`expected "${text}"${t ? `, found "${t.text}"` : ' before the end'}`);
    this.pos++;
    return t;
  }
  accept(text: string): boolean {
    if (this.peek()?.text === text) { this.pos++; return true; }
    return false;
  }
  private binary(ops: readonly string[], next: () => bigint, apply: (o: string, a: bigint, b: bigint) => bigint): bigint {
    let v = next();
    for (let t = this.peek(); t && ops.includes(t.text); t = this.peek()) {
      this.pos++;
      v = apply(t.text, v, next());
    }
    return v;
  }
  expr(): bigint { return this.binary(['|'], () => this.xor(), (_, a, b) => a | b); }
  private xor(): bigint { return this.binary(['^'], () => this.and(), (_, a, b) => a ^ b); }
  private and(): bigint { return this.binary(['&'], () => this.shift(), (_, a, b) => a & b); }
  private shift(): bigint { return this.binary(['<<', '>>'], () => this.sum(), (o, a, b) => (o === '<<' ? a << b : a >> b)); }
  private sum(): bigint { return this.binary(['+', '-'], () => this.product(), (o, a, b) => (o === '+' ? a + b : a - b)); }
  private product(): bigint {
    return this.binary(['*', '/'], () => this.unary(), (o, a, b) => {
      if (o === '/' && b === 0n) throw this.fail('division by zero in a constant');
      return o === '*' ? a * b : a / b;
    });
  }
  private unary(): bigint {
    if (this.accept('~')) return ~this.unary() & 0xffffffffn;
    if (this.accept('-')) return -this.unary();
    if (this.accept('+')) return this.unary();
    return this.primary();
  }
  private primary(): bigint {
    const t = this.peek();
    if (!t) throw this.fail('expected a value before the end');
    this.pos++;
    if (t.kind === 'num') {
      const digits = t.text.replace(/[uUlL]+$/, '');
      if (/^0[0-7]+$/.test(digits)) return BigInt(`0o${digits.slice(1)}`);
      if (/^0\d/.test(digits)) throw this.fail(`malformed octal number "${t.text}"`, t);
      return BigInt(digits);
    }
    if (t.text === '(') {
      const v = this.expr();
      this.expect(')');
      return v;
    }
    if (t.text === 'offsetof') {
      this.expect('(');
      this.expect('struct');
      this.expect('seccomp_data');
      this.expect(',');
      const member = this.peek();
      this.pos++;
      let offset: number;
      if (member?.text === 'nr') offset = 0;
      else if (member?.text === 'arch') offset = 4;
      else if (member?.text === 'instruction_pointer') offset = 8;
      else if (member?.text === 'args') {
        this.expect('[');
        const i = Number(this.expr());
        if (!(i >= 0 && i < 6)) throw this.fail('args index must be 0..5', member);
        this.expect(']');
        offset = 16 + 8 * i;
      } else throw this.fail('expected nr, arch, instruction_pointer or args[i]', member);
      this.expect(')');
      return BigInt(offset);
    }
    if (t.text === 'sizeof') {
      this.expect('(');
      this.expect('struct');
      this.expect('seccomp_data');
      this.expect(')');
      return BigInt(SECCOMP_DATA_SIZE);
    }
    if (t.kind === 'ident') {
      const v = C_CONSTANTS.get(t.text);
      if (v !== undefined) return BigInt(v >>> 0);
      const nr = /^(?:__NR_|SYS_)(\w+)$/.exec(t.text);
      const entry = nr ? lookupSyscall('x86_64', nr[1] as string) : undefined;
      if (entry) return BigInt(entry.nr);
      throw this.fail(`unknown name "${t.text}" in C source`, t);
    }
    throw this.fail(`unexpected "${t.text}" in a constant expression`, t);
  }
}

function fitted(p: ExprParser, v: bigint, max: number, what: string, at: CToken | undefined): number {
  // C truncates to the field type; a negative k such as -1 is the same 32 bits as 0xffffffff.
  if (v < -BigInt(max) - 1n || v > BigInt(max)) throw p.fail(`${what} ${v} does not fit (0..${max})`, at);
  return Number(BigInt.asUintN(max === 0xffffffff ? 32 : max === 0xffff ? 16 : 8, v));
}

/** True when `text` looks like C filter source. */
export const looksLikeC = (text: string): boolean =>
  /\bBPF_(STMT|JUMP)\s*\(|\bsock_filter\b/.test(text) || /\{\s*(0x[0-9a-f]+|\d+)\s*,\s*(0x[0-9a-f]+|\d+)\s*,/i.test(text);

/** Reads every `BPF_STMT`, `BPF_JUMP` and `{code, jt, jf, k}` initialiser, in order. */
export function parseC(text: string): Instruction[] {
  const toks = tokenizeC(text);
  const out: RawInstruction[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i] as CToken;
    if (t.text === 'BPF_STMT' || t.text === 'BPF_JUMP') {
      const p = new ExprParser(toks, i + 1);
      p.expect('(');
      const at = (): CToken | undefined => p.peek();
      const codeTok = at();
      const code = fitted(p, p.expr(), 0xffff, 'code', codeTok);
      p.expect(',');
      const kTok = at();
      const k = fitted(p, p.expr(), 0xffffffff, 'k', kTok);
      let jt = 0;
      let jf = 0;
      if (t.text === 'BPF_JUMP') {
        p.expect(',');
        const jtTok = at();
        jt = fitted(p, p.expr(), 0xff, 'jt', jtTok);
        p.expect(',');
        const jfTok = at();
        jf = fitted(p, p.expr(), 0xff, 'jf', jfTok);
      }
      p.expect(')');
      out.push({ code, jt, jf, k });
      i = p.pos - 1;
    } else if (t.text === '{') {
      // A plain initialiser `{code, jt, jf, k}`. Braces whose first item is no constant expression (the array's
      // own braces, designators, sizeof of a variable) are not instructions and are skipped.
      const p = new ExprParser(toks, i + 1);
      const limits = [0xffff, 0xff, 0xff, 0xffffffff];
      const names = ['code', 'jt', 'jf', 'k'];
      let first: bigint;
      const firstTok = p.peek();
      try {
        first = p.expr();
      } catch {
        continue;
      }
      if (p.peek()?.text !== ',') continue;
      const values = [fitted(p, first, 0xffff, 'code', firstTok)];
      for (let f = 1; f < 4; f++) {
        p.expect(',');
        const tok = p.peek();
        values.push(fitted(p, p.expr(), limits[f] as number, names[f] as string, tok));
      }
      p.accept(',');
      p.expect('}');
      out.push({ code: values[0] as number, jt: values[1] as number, jf: values[2] as number, k: values[3] as number });
      i = p.pos - 1;
    }
  }
  if (out.length === 0) throw textError('no BPF_STMT, BPF_JUMP or {code, jt, jf, k} entries found in the C source', 1, 1);
  return out.map(fromRaw);
}
