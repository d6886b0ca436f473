/**
 * Differential test: our validator against the running kernel, on thousands of programs, valid and invalid,
 * many of them built to sit right at the edge of one rule. Every program must get the same accept/refuse answer,
 * and every refusal must be EINVAL (the only error both checkers return).
 */
import { describe, expect } from 'vitest';
import fc from 'fast-check';
import { disassemble } from '../src/bpf/disasm.js';
import { fromRaw, toRaw, type Instruction, type RawInstruction } from '../src/bpf/instructions.js';
import { validate } from '../src/bpf/validator.js';
import { kernelAccepts, oracleMissing } from './support/oracle.js';
import { itWhen } from './support/require.js';
import { anyProgram, validProgram } from './bpf-arbitraries.js';

const seed = Number(process.env.BPF_SEED ?? Math.floor(Math.random() * 2 ** 31));
const R = (code: number, k = 0, jt = 0, jf = 0): RawInstruction => ({ code, jt, jf, k: k >>> 0 });
const RET_ALLOW = R(0x06, 0x7fff0000);

interface Case { readonly family: string; readonly raws: readonly RawInstruction[] }

/** Every 16-bit-relevant opcode with k values at the edges of the per-opcode checks. */
function opcodeEdges(): Case[] {
  const ks = [0, 1, 3, 4, 15, 16, 31, 32, 60, 61, 62, 63, 64, 0xfffff000, 0xfffff03c, 0xfffff040, 0xffffffff];
  const out: Case[] = [];
  const codes = [...Array.from({ length: 256 }, (_, c) => c), 0x100, 0x120, 0x8020, 0xffff];
  for (const code of codes) {
    for (const k of ks) out.push({ family: 'opcode × k edge', raws: [R(code, k), RET_ALLOW] });
    out.push({ family: 'opcode as last instruction', raws: [R(0x00, 0), R(code, 0)] });
    out.push({ family: 'opcode with jt/jf set', raws: [R(code, 4, 1, 0), RET_ALLOW, RET_ALLOW] });
  }
  return out;
}

/** Jumps exactly in range and one past, for programs of many lengths. */
function jumpEdges(): Case[] {
  const out: Case[] = [];
  const conds = [0x15, 0x25, 0x35, 0x45, 0x1d, 0x2d, 0x3d, 0x4d];
  for (const len of [2, 3, 4, 5, 17, 100, 255, 256, 257, 258, 300]) {
    const pad = (n: number): RawInstruction[] => Array.from({ length: n }, () => RET_ALLOW);
    for (const at of [0, 1, len - 2, len - 1].filter((a) => a >= 0 && a < len - 1)) {
      const left = len - at - 1; // instructions after the jump
      for (const k of [left - 1, left, left + 1, 0xffffffff, 0x80000000, 0xfffffffe]) {
        out.push({ family: 'JA k edge', raws: [...pad(at), R(0x05, k), ...pad(left)] });
      }
      for (const off of [left - 1, left, Math.min(255, left + 1)].filter((o) => o >= 0 && o <= 255)) {
        const code = conds[(len + at + off) % conds.length] as number;
        out.push({ family: 'jt edge', raws: [...pad(at), R(code, 7, off, 0), ...pad(left)] });
        out.push({ family: 'jf edge', raws: [...pad(at), R(code, 7, 0, off), ...pad(left)] });
      }
    }
  }
  return out;
}

function lengthEdges(): Case[] {
  const rets = (n: number): RawInstruction[] => Array.from({ length: n }, () => RET_ALLOW);
  return [0, 1, 2, 4095, 4096, 4097, 5000].map((n) => ({ family: 'length edge', raws: rets(n) }));
}

/** Small programs over stores, loads, jumps and RETs on 3 slots: the check_load_and_stores rule. */
const memoryProgram: fc.Arbitrary<RawInstruction[]> = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.tuple(...Array.from({ length: n }, (_, i) => {
    const room = n - i - 1;
    const slot = fc.integer({ min: 0, max: 2 });
    const choices: fc.Arbitrary<RawInstruction>[] = [
      slot.map((s) => R(0x02, s)), slot.map((s) => R(0x03, s)), slot.map((s) => R(0x60, s)), slot.map((s) => R(0x61, s)),
      fc.constant(RET_ALLOW), fc.constant(R(0x20, 0)),
    ];
    if (room > 0) {
      choices.push(
        fc.tuple(fc.integer({ min: 0, max: room - 1 }), fc.integer({ min: 0, max: room - 1 })).map(([t, f]) => R(0x15, 1, t, f)),
        fc.integer({ min: 0, max: room - 1 }).map((k) => R(0x05, k)),
      );
    }
    return fc.oneof(...choices);
  })).map((raws) => {
    const last = raws[raws.length - 1] as RawInstruction;
    return last.code === 0x06 ? raws : [...raws.slice(0, -1), RET_ALLOW];
  }));

/** One targeted mutation of a valid program: pushes exactly one field to or past an edge. */
const mutated: fc.Arbitrary<RawInstruction[]> = fc.tuple(validProgram(20), fc.nat(), fc.nat(), fc.constantFrom(
  'k+1', 'k-1', 'jt+1', 'jf+1', 'code^bit', 'k=edge', 'drop-last', 'swap-code',
)).map(([p, at, bit, how]) => {
  const raws = p.map(toRaw);
  const i = at % raws.length;
  const r = raws[i] as RawInstruction;
  const edge = [0, 4, 16, 32, 60, 64, 0xffffffff][bit % 7] as number;
  const next: RawInstruction = (() => {
    switch (how) {
      case 'k+1': return { ...r, k: (r.k + 1) >>> 0 };
      case 'k-1': return { ...r, k: (r.k - 1) >>> 0 };
      case 'jt+1': return { ...r, jt: Math.min(255, r.jt + 1) };
      case 'jf+1': return { ...r, jf: Math.min(255, r.jf + 1) };
      case 'code^bit': return { ...r, code: r.code ^ (1 << (bit % 8)) };
      case 'k=edge': return { ...r, k: edge };
      case 'swap-code': return { ...r, code: [0x94, 0x28, 0x30, 0x40, 0xb1, 0x0e, 0x8c, 0x07, 0x87][bit % 9] as number };
      default: return r;
    }
  })();
  if (how === 'drop-last') return raws.length > 1 ? raws.slice(0, -1) : raws;
  const out = [...raws];
  out[i] = next;
  return out;
});

describe('validator against the kernel', () => {
  itWhen(oracleMissing(), `accepts and refuses exactly what the kernel does (seed ${seed})`, () => {
    const cases: Case[] = [
      ...opcodeEdges(),
      ...jumpEdges(),
      ...lengthEdges(),
      ...fc.sample(validProgram(40), { numRuns: 1500, seed }).map((p) => ({ family: 'random valid', raws: p.map(toRaw) })),
      ...fc.sample(mutated, { numRuns: 2000, seed: seed + 1 }).map((raws) => ({ family: 'one-edge mutation of valid', raws })),
      ...fc.sample(memoryProgram, { numRuns: 2500, seed: seed + 2 }).map((raws) => ({ family: 'scratch memory paths', raws })),
      ...fc.sample(anyProgram(12), { numRuns: 1500, seed: seed + 3 }).map((p) => ({ family: 'random raw', raws: p.map(toRaw) })),
    ];
    const answers = kernelAccepts(cases.map((c) => c.raws));
    const stats = new Map<string, { accepted: number; refused: number }>();
    const mismatches: string[] = [];
    const rulesSeen = new Set<string>();
    cases.forEach((c, i) => {
      const kernel = answers[i];
      if (!kernel) throw new Error(`no kernel answer for case ${i}`);
      const program: Instruction[] = c.raws.map(fromRaw);
      const ours = validate(program);
      if (!ours.ok) for (const e of ours.errors) rulesSeen.add(e.rule);
      const s = stats.get(c.family) ?? { accepted: 0, refused: 0 };
      if (kernel.accepted) s.accepted++;
      else s.refused++;
      stats.set(c.family, s);
      if (!kernel.accepted) expect(kernel.errno).toBe(22);
      if (kernel.accepted !== ours.ok && mismatches.length < 5) {
        mismatches.push(`${c.family}: kernel ${kernel.accepted ? 'accepts' : 'refuses'}, validator says ` +
          `${ours.ok ? 'valid' : ours.errors.map((e) => e.message).join('; ')}\n${c.raws.length <= 40 ? disassemble(program) : `(${c.raws.length} instructions)`}`);
      }
    });
    const total = [...stats.values()].reduce((n, s) => n + s.accepted + s.refused, 0);
    const accepted = [...stats.values()].reduce((n, s) => n + s.accepted, 0);
    console.log(`[bpf kernel differential] seed ${seed}: ${total} programs, ${accepted} accepted, ${total - accepted} refused`);
    for (const [family, s] of stats) console.log(`  ${family.padEnd(30)} accepted ${String(s.accepted).padStart(5)}  refused ${String(s.refused).padStart(5)}`);
    console.log(`  rules hit: ${[...rulesSeen].sort().join(', ')}`);
    expect(mismatches).toEqual([]);
    expect(total).toBeGreaterThan(10_000);
    // Both answers occur in quantity, and every rule the validator knows was exercised.
    expect(accepted).toBeGreaterThan(2000);
    expect(total - accepted).toBeGreaterThan(2000);
    expect([...rulesSeen].sort()).toEqual([
      'ancillary-load', 'division-by-zero', 'jump-out-of-range', 'last-not-return', 'length', 'memory-index',
      'memory-uninitialized', 'seccomp-load', 'seccomp-opcode', 'shift-out-of-range', 'unknown-opcode',
    ]);
  });
});
