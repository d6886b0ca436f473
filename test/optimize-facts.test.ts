/**
 * The facts the optimizer carries along edges: whatever a refinement or a join claims must hold for a real
 * state that took that edge, and `implies` must never claim more than it can show.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ins, type Instruction, type JumpIf } from '../src/bpf/instructions.js';
import { implies, join, rangeOfA, refine, transfer, TOP, type Facts, type Range } from '../src/compiler/optimize/facts.js';

const VALUES = [0, 1, 2, 3, 7, 0xfffffffe, 0xffffffff];
const valueArb = fc.oneof(fc.constantFrom(...VALUES), fc.integer({ min: 0, max: 0xffffffff }));
const wordsArb = fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...VALUES) }, { weight: 1, arbitrary: valueArb }),
  { minLength: 16, maxLength: 16 });

/** A straight-line step or a test whose outcome the concrete state decides. */
const stepArb: fc.Arbitrary<Instruction> = fc.oneof(
  fc.constantFrom(0, 4, 16, 20, 60).map((offset) => ins.loadWord(offset)),
  valueArb.map((v) => ins.loadConst(v)),
  fc.tuple(fc.constantFrom('jeq', 'jgt', 'jge' as const), valueArb).map(([c, v]) => ins.jump(c, v, 0, 0)),
);

interface State { readonly words: readonly number[]; readonly a: number }

/** Runs the steps on a concrete state, refining the facts with each test's real outcome. */
function walk(words: readonly number[], steps: readonly Instruction[]): { facts: Facts; state: State } {
  let facts = TOP;
  let a = 0;
  for (const step of steps) {
    if (step.kind === 'jmp') {
      const j = step as JumpIf;
      const k = j.value >>> 0;
      const outcome = j.cond === 'jeq' ? a === k : j.cond === 'jgt' ? a > k : a >= k;
      const next = refine(facts, j, outcome);
      expect(next, 'the edge a real state takes is feasible').toBeDefined();
      facts = next as Facts;
    } else {
      if (step.kind === 'ld_abs') a = words[step.offset / 4] as number;
      else if (step.kind === 'ld_imm') a = step.value;
      facts = transfer(facts, step);
    }
  }
  return { facts, state: { words, a } };
}

const inRange = (v: number, r: Range) => v >= r.lo && v <= r.hi && !r.excl.includes(v);

/** Whether a concrete state is one the facts allow. */
function holds(state: State, f: Facts): boolean {
  if (f.a !== null && state.words[f.a / 4] !== state.a) return false;
  for (let slot = 0; slot < 16; slot++) {
    const r = f.ranges[slot];
    if (r !== undefined && !inRange(state.words[slot] as number, r)) return false;
  }
  return inRange(state.a, rangeOfA(f));
}

const walkArb = fc.tuple(wordsArb, fc.array(stepArb, { maxLength: 10 })).map(([w, s]) => walk(w, s));

describe('optimizer facts', () => {
  it('hold for the state that took the edges, and after a join for either side', () => {
    fc.assert(fc.property(walkArb, walkArb, (x, y) => {
      expect(holds(x.state, x.facts)).toBe(true);
      const both = join(x.facts, y.facts);
      expect(holds(x.state, both)).toBe(true);
      expect(holds(y.state, both)).toBe(true);
    }), { numRuns: 2000 });
  });

  it('implies: every facts imply themselves and any join they are part of', () => {
    fc.assert(fc.property(walkArb, walkArb, (x, y) => {
      expect(implies(x.facts, x.facts)).toBe(true);
      expect(implies(x.facts, join(x.facts, y.facts))).toBe(true);
      expect(implies(y.facts, join(x.facts, y.facts))).toBe(true);
      expect(implies(x.facts, TOP)).toBe(true);
    }), { numRuns: 2000 });
  });

  it('implies: a state the first facts allow is one the second allow too', () => {
    // Pairs drawn from the same words make implication common; the second walk is a prefix-sharing variant.
    const pairArb = fc.tuple(wordsArb, fc.array(stepArb, { maxLength: 8 }), fc.array(stepArb, { maxLength: 4 }), fc.nat({ max: 8 }))
      .map(([words, steps, more, cut]) => [walk(words, [...steps, ...more]), walk(words, steps.slice(0, cut))] as const);
    let implied = 0;
    fc.assert(fc.property(pairArb, walkArb, ([x, y], z) => {
      for (const [p, q] of [[x, y], [y, x], [x, z], [z, x]] as const) {
        if (!implies(p.facts, q.facts)) continue;
        implied++;
        expect(holds(p.state, q.facts)).toBe(true);
      }
    }), { numRuns: 3000 });
    expect(implied).toBeGreaterThan(100);
  });

  it('implies: what the accumulator mirrors and each word range matter', () => {
    const nr = ins.loadWord(0);
    const loaded = transfer(TOP, nr);
    expect(implies(loaded, TOP)).toBe(true);
    expect(implies(TOP, loaded)).toBe(false);
    const isRead = refine(loaded, ins.jump('jeq', 0, 0, 0), true) as Facts;
    const isPtrace = refine(loaded, ins.jump('jeq', 101, 0, 0), true) as Facts;
    expect(implies(isRead, isPtrace)).toBe(false);
    expect(implies(isRead, join(isRead, isPtrace))).toBe(true);
    const notRead = refine(loaded, ins.jump('jeq', 0, 0, 0), false) as Facts;
    expect(implies(isPtrace, notRead)).toBe(true);
    expect(implies(isRead, notRead)).toBe(false);
  });
});
