/**
 * The stats chart: one bar per syscall number of an ABI, its height the instructions the filter executes for
 * that call, bars the kernel's action cache lets through (the filter never runs) drawn apart. Inline SVG.
 */
import type { SyscallCost } from './engine.js';

const SVG = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The chart of COSTS as an SVG element that scales to its container's width. */
export function costChart(costs: readonly SyscallCost[], abi: string): SVGSVGElement {
  const height = 160;
  const left = 34;
  const bottom = 20;
  const barWidth = 2;
  const width = left + Math.max(costs.length, 1) * barWidth + 4;
  const max = Math.max(1, ...costs.map((c) => c.executed));
  const scale = (height - bottom - 8) / max;
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', 'aria-hidden': 'true' });
  for (const tick of [0, Math.round(max / 2), max]) {
    const y = height - bottom - tick * scale;
    svg.append(el('line', { x1: left - 3, x2: width, y1: y, y2: y, class: 'grid' }));
    svg.append(el('text', { x: left - 5, y: y + 3, 'text-anchor': 'end', class: 'tick' }, String(tick)));
  }
  costs.forEach((c, i) => {
    const h = Math.max(1, c.executed * scale);
    const bar = el('rect', {
      x: left + i * barWidth, y: height - bottom - h, width: barWidth, height: h,
      class: c.cached ? 'bar cached' : c.verdict === 'ALLOW' ? 'bar allow' : 'bar deny',
      'data-syscall': c.name,
    });
    bar.append(el('title', {}, `${abi} ${c.name} (${c.nr}): ${c.executed} instructions, ${c.verdict}${c.cached ? ', kernel-cached' : ''}`));
    svg.append(bar);
  });
  svg.append(el('text', { x: left, y: height - 5, class: 'tick' }, `syscall numbers of ${abi} in table order (${costs.length})`));
  return svg;
}
