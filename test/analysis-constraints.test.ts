import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANY_WORD, admits, solve, withAtom, type WordConstraint } from '../src/analysis/constraints.js';
import { complement, intersect, normalize, union, type Interval } from '../src/analysis/intervals.js';

/** Constraints on the low 12 bits with everything above forced to 0: small enough to check by brute force. */
const small = fc.record({
  ranges: fc.array(fc.tuple(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 4095 })), { minLength: 1, maxLength: 3 }),
  atoms: fc.array(fc.record({
    mask: fc.integer({ min: 0, max: 4095 }),
    set: fc.array(fc.tuple(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 4095 })), { minLength: 1, maxLength: 2 }),
  }), { maxLength: 4 }),
}).map(({ ranges, atoms }) => {
  let c: WordConstraint = withAtom(ANY_WORD, 0xffffffff, normalize(ranges.map(([a, b]): Interval => [Math.min(a, b), Math.max(a, b)])));
  for (const a of atoms) c = withAtom(c, a.mask, normalize(a.set.map(([x, y]): Interval => [Math.min(x, y), Math.max(x, y)])));
  return c;
});

describe('word constraint solver', () => {
  it('finds the smallest value or proves there is none (checked by brute force)', () => {
    fc.assert(fc.property(small, (c) => {
      let first: number | undefined;
      for (let v = 0; v < 4096 && first === undefined; v++) if (admits(c, v)) first = v;
      const s = solve(c);
      if (first === undefined) expect(s).toBe('none');
      else expect(s).toEqual({ value: first });
    }), { numRuns: 2000 });
  });

  it('decides contradictory bit tests with free high bits quickly', () => {
    // (w & 1) == 1 and (w & 0xf) == 0: no value, whatever the 28 bits no test looks at.
    const c = withAtom(withAtom(ANY_WORD, 1, [[1, 1]]), 0xf, [[0, 0]]);
    expect(solve(c, 2000)).toBe('none');
    const d = withAtom(withAtom(withAtom(ANY_WORD, 0xffffffff, [[0x10000000, 0xffffffff]]), 0x100, [[0x100, 0x100]]), 0xff, [[7, 7]]);
    expect(solve(d, 2000)).toEqual({ value: 0x10000107 });
  });

  it('decides contradictions on low bits beside a wide mask that sees the free high bits', () => {
    // From a policy with masked_eq tests on one argument: (w & 31) == 0, (w & 1) != 0, (w & 0x7fffffff) != 0.
    // Failed prefixes must be shared across the 2^26 high-bit prefixes the wide mask tells apart.
    const c = withAtom(withAtom(withAtom(ANY_WORD, 31, [[0, 0]]), 1, [[1, 0xffffffff]]), 0x7fffffff, [[1, 0xffffffff]]);
    expect(solve(c, 2000)).toBe('none');
  });

  it('decides full-width mask tests of the kind policies compile to, within the default budget', () => {
    const mask = fc.oneof(fc.constantFrom(1, 31, 0xff, 0x7fffffff, 0xffff0000, 0x80000000, 0xfffffffe), fc.integer({ min: 1, max: 0xffffffff }));
    const atom = fc.tuple(mask, fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom('eq', 'ne', 'ge', 'lt'));
    fc.assert(fc.property(fc.array(atom, { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 0xffffffff }), (atoms, probe) => {
      let c: WordConstraint = ANY_WORD;
      for (const [m, v, kind] of atoms) {
        const k = (v & m) >>> 0;
        const set: Interval[] = kind === 'eq' ? [[k, k]] : kind === 'ne' ? complement([[k, k]]).slice() : kind === 'ge' ? [[k, 0xffffffff]] : k === 0 ? [] : [[0, k - 1]];
        c = withAtom(c, m, set);
      }
      const s = solve(c);
      expect(s).not.toBe('unknown');
      if (s === 'none') expect(admits(c, probe)).toBe(false);
      else if (s !== 'unknown') expect(admits(c, s.value)).toBe(true);
    }), { numRuns: 2000 });
  });

  it('interval sets obey the set laws', () => {
    const set = fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })), { maxLength: 4 })
      .map((xs) => normalize(xs.map(([a, b]): Interval => [Math.min(a, b), Math.max(a, b)])));
    fc.assert(fc.property(set, set, fc.integer({ min: 0, max: 0xffffffff }), (a, b, v) => {
      const inA = admits({ range: a, atoms: [] }, v);
      const inB = admits({ range: b, atoms: [] }, v);
      expect(admits({ range: intersect(a, b), atoms: [] }, v)).toBe(inA && inB);
      expect(admits({ range: union(a, b), atoms: [] }, v)).toBe(inA || inB);
      expect(admits({ range: complement(a), atoms: [] }, v)).toBe(!inA);
    }), { numRuns: 1000 });
  });
});
