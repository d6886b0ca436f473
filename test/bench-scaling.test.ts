/**
 * The scaling chart of bench/scaling.ts is a short hand-written SVG: kept because it stays short and is tested
 * here (well-formed, three panels, one line per series with data, points inside their panel).
 */
import { describe, expect, it } from 'vitest';
import { scalingSvg, type ScalingPoint } from '../bench/scaling.js';

const figures = (n: number, k: number) => ({ compileMs: n / 100 * k, instructions: 30 + n * k, meanExecuted: 5 + Math.log10(n) * k, maxExecuted: 9 + k });
const points: ScalingPoint[] = [10, 100, 1000, 10_000].map((rules) => ({
  rules,
  ours: figures(rules, 1),
  ...(rules < 10_000 ? { libseccompTree: figures(rules, 3), libseccompLinear: figures(rules, 9) } : { libseccompError: 'timed out' }),
}));

describe('scalingSvg', () => {
  const svg = scalingSvg(points);

  it('is one well-formed SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    // Every element is self-closed or closed: open text/svg tags balance their closing tags.
    for (const tag of ['svg', 'text']) {
      expect((svg.match(new RegExp(`<${tag}[ >]`, 'g')) ?? []).length).toBe((svg.match(new RegExp(`</${tag}>`, 'g')) ?? []).length);
    }
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('draws three panels, a line per series with data, every point inside the drawing', () => {
    for (const title of ['compile time (ms, log)', 'filter size (instructions, log)', 'mean executed per syscall']) expect(svg).toContain(title);
    const lines = svg.match(/<polyline /g) ?? [];
    expect(lines.length).toBe(3 * 3);
    const width = Number(/width="(\d+)"/.exec(svg)![1]);
    const height = Number(/height="(\d+)"/.exec(svg)![1]);
    for (const m of svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)) {
      expect(Number(m[1])).toBeGreaterThan(0);
      expect(Number(m[1])).toBeLessThan(width);
      expect(Number(m[2])).toBeGreaterThan(0);
      expect(Number(m[2])).toBeLessThan(height);
    }
    // libseccomp has no 10,000-rule point here: its lines have three points, ours four.
    expect((svg.match(/<circle /g) ?? []).length).toBe(3 * (4 + 3 + 3));
  });
});
