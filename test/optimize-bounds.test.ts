import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalFormOptimum, runEntropy, type WeightedPoint } from '../bench/bounds.js';

/**
 * The least total weighted number of tests of any decision tree over the points (positions 0..n-1) built from
 * `JGE k` and `JEQ k` tests, by exhaustive search over the subsets a node can hold.
 */
function bruteForceOptimum(points: readonly WeightedPoint[]): number {
  const n = points.length;
  const memo = new Map<number, number>();
  const weight = (set: number): number => points.reduce((s, p, i) => (set & (1 << i) ? s + p.weight : s), 0);
  const solve = (set: number): number => {
    const known = memo.get(set);
    if (known !== undefined) return known;
    const ids = new Set(points.filter((_, i) => set & (1 << i)).map((p) => p.id));
    let best = 0;
    if (ids.size > 1) {
      best = Infinity;
      const w = weight(set);
      for (let k = 0; k < n; k++) {
        const ge = set & ~((1 << k) - 1);
        const eq = set & (1 << k);
        for (const yes of [ge, eq]) {
          const no = set & ~yes;
          if (yes === 0 || no === 0) continue;
          best = Math.min(best, w + solve(yes) + solve(no));
        }
      }
    }
    memo.set(set, best);
    return best;
  };
  return solve((1 << n) - 1);
}

const pointsArb = (weights: fc.Arbitrary<number>) =>
  fc.array(fc.record({ id: fc.constantFrom('a', 'b', 'c'), weight: weights }), { minLength: 1, maxLength: 9 });

describe('dispatch bounds (bench/bounds.ts)', () => {
  it('the normal-form optimum is the optimum of every JGE/JEQ tree when all points weigh the same', () => {
    fc.assert(fc.property(pointsArb(fc.constant(1)), (points) => {
      expect(normalFormOptimum(points)).toBeCloseTo(bruteForceOptimum(points), 9);
    }), { numRuns: 300 });
  });

  it('is never below the optimum of every tree, whatever the weights (it is the best of a subset of trees)', () => {
    fc.assert(fc.property(pointsArb(fc.integer({ min: 0, max: 5 })), (points) => {
      expect(normalFormOptimum(points)).toBeGreaterThanOrEqual(bruteForceOptimum(points) - 1e-9);
    }), { numRuns: 300 });
  });

  it('with unequal weights it is no bound: a JEQ above a range test can beat every normal form', () => {
    const points: WeightedPoint[] = [{ id: 'b', weight: 0 }, { id: 'a', weight: 0 }, { id: 'b', weight: 0 }, { id: 'b', weight: 2 }, { id: 'a', weight: 1 }];
    expect(normalFormOptimum(points)).toBeGreaterThan(bruteForceOptimum(points));
  });

  it('run entropy: zero for one run, one bit for two runs of equal weight', () => {
    expect(runEntropy([{ id: 'a', weight: 1 }, { id: 'a', weight: 1 }])).toBe(0);
    expect(runEntropy([{ id: 'a', weight: 1 }, { id: 'b', weight: 1 }])).toBeCloseTo(1, 12);
  });
});
