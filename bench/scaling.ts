/**
 * How cost grows with work: synthetic policies of 10 to 10,000 rules with argument conditions, and the chart
 * of the results (hand-written SVG, three panels: compile time, filter size, mean executed instructions).
 *
 * Rule i allows syscall number (i mod 200) of the x86_64 table when arg0 == 3·⌊i/200⌋ + (i mod 3): every
 * syscall gets ⌈n/200⌉ distinct values, and three different value sets occur (so some, not all, argument
 * blocks are alike). Everything else is ERRNO(EPERM).
 */
import type { Policy, Rule } from '../src/policy/types.js';
import { syscallTable } from '../src/syscalls/resolve.js';

export const SCALING_SIZES = [10, 100, 1000, 10_000] as const;
const SYSCALLS = 200;

export interface ScalingFigures {
  readonly compileMs: number;
  readonly instructions: number;
  readonly meanExecuted: number;
  readonly maxExecuted: number;
}

export interface ScalingPoint {
  readonly rules: number;
  readonly ours?: ScalingFigures;
  readonly oursError?: string;
  readonly libseccompTree?: ScalingFigures;
  readonly libseccompLinear?: ScalingFigures;
  readonly libseccompError?: string;
}

export function scalingPolicy(n: number): Policy {
  const names = syscallTable('x86_64').slice(0, SYSCALLS).map((e) => e.name);
  const rules: Rule[] = [];
  for (let i = 0; i < n; i++) {
    const value = 3 * Math.floor(i / SYSCALLS) + (i % 3);
    rules.push({ syscalls: [names[i % SYSCALLS] as string], action: { kind: 'ALLOW' }, conditions: [{ arg: 0, op: 'eq', value: BigInt(value) }] });
  }
  return { defaultAction: { kind: 'ERRNO', data: 1 }, arches: ['x86_64'], badArchAction: { kind: 'KILL_PROCESS' }, rules };
}

type Series = { readonly name: string; readonly color: string; readonly pick: (p: ScalingPoint) => ScalingFigures | undefined };
const SERIES: readonly Series[] = [
  { name: 'seccomp-ts', color: '#1f6feb', pick: (p) => p.ours },
  { name: 'libseccomp tree', color: '#d9730d', pick: (p) => p.libseccompTree },
  { name: 'libseccomp linear', color: '#8b949e', pick: (p) => p.libseccompLinear },
];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** One panel: x = rules (log scale), y = the metric (log or linear scale). */
function panel(points: readonly ScalingPoint[], x0: number, title: string, metric: (f: ScalingFigures) => number, logY: boolean): string {
  const W = 300;
  const H = 220;
  const left = x0 + 50;
  const top = 40;
  const values = points.flatMap((p) => SERIES.map((s) => s.pick(p)).filter((f): f is ScalingFigures => f !== undefined).map(metric))
    .filter((v) => Number.isFinite(v) && (!logY || v > 0));
  if (values.length === 0) return '';
  const tx = (v: number) => (logY ? Math.log10(v) : v);
  let lo = Math.min(...values.map(tx));
  let hi = Math.max(...values.map(tx));
  if (logY) { lo = Math.floor(lo); hi = Math.ceil(hi); } else { lo = 0; hi = hi * 1.1 || 1; }
  if (hi === lo) hi = lo + 1;
  const xs = points.map((p) => Math.log10(p.rules));
  const xlo = Math.min(...xs);
  const xhi = Math.max(...xs);
  const px = (r: number) => left + ((Math.log10(r) - xlo) / (xhi - xlo || 1)) * W;
  const py = (v: number) => top + H - ((tx(v) - lo) / (hi - lo)) * H;
  const parts: string[] = [];
  parts.push(`<text x="${left + W / 2}" y="${top - 14}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`);
  parts.push(`<rect x="${left}" y="${top}" width="${W}" height="${H}" fill="none" stroke="#ccc"/>`);
  for (const p of points) {
    parts.push(`<line x1="${px(p.rules)}" y1="${top}" x2="${px(p.rules)}" y2="${top + H}" stroke="#eee"/>`);
    parts.push(`<text x="${px(p.rules)}" y="${top + H + 16}" text-anchor="middle">${p.rules.toLocaleString('en')}</text>`);
  }
  const ticks = logY ? Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i)) : Array.from({ length: 5 }, (_, i) => (hi * i) / 4);
  for (const t of ticks) {
    parts.push(`<line x1="${left}" y1="${py(t)}" x2="${left + W}" y2="${py(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${left - 6}" y="${py(t) + 4}" text-anchor="end">${t >= 1 || t === 0 ? Number(t.toPrecision(3)).toLocaleString('en') : t.toPrecision(1)}</text>`);
  }
  for (const s of SERIES) {
    const pts = points.map((p) => [p.rules, s.pick(p)] as const).filter((x): x is readonly [number, ScalingFigures] => x[1] !== undefined)
      .map(([r, f]) => [px(r), py(metric(f))] as const).filter(([, y]) => Number.isFinite(y));
    if (pts.length === 0) continue;
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of pts) parts.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${s.color}"/>`);
  }
  parts.push(`<text x="${left + W / 2}" y="${top + H + 34}" text-anchor="middle">rules</text>`);
  return parts.join('\n');
}

/** The three-panel chart as a standalone SVG document. */
export function scalingSvg(points: readonly ScalingPoint[]): string {
  const width = 3 * 400 + 20;
  const height = 340;
  const legend = SERIES.map((s, i) =>
    `<rect x="${60 + i * 200}" y="${height - 24}" width="14" height="4" fill="${s.color}"/><text x="${80 + i * 200}" y="${height - 18}">${esc(s.name)}</text>`).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel(points, 0, 'compile time (ms, log)', (f) => f.compileMs, true),
    panel(points, 400, 'filter size (instructions, log)', (f) => f.instructions, true),
    panel(points, 800, 'mean executed per syscall', (f) => f.meanExecuted, false),
    legend,
    '</svg>',
    '',
  ].join('\n');
}
