/**
 * The page's views as DOM built from the engine's results: no page state here, only the elements for a given
 * result (main.ts decides when and where they go).
 */
import { costChart } from './chart.js';
import type { Download, StatsView, WitnessCall } from './engine.js';

/** A list item with TEXT. */
function item(text: string): HTMLLIElement {
  const li = document.createElement('li');
  li.textContent = text;
  return li;
}

export function warningItems(warnings: readonly string[]): HTMLLIElement[] {
  return warnings.map((w) => item(`warning: ${w}`));
}

/** One item per instruction, carrying its index (the emulated path marks items by index). */
export function disassemblyItems(rows: readonly string[]): HTMLLIElement[] {
  return rows.map((text, i) => {
    const li = item(text);
    li.dataset.index = String(i);
    return li;
  });
}

/**
 * Marks the executed instructions of LIST (the disassembly), the last one apart, and scrolls the list (not the
 * page) so that the return the call reached is in view.
 */
export function highlightPath(list: HTMLElement, path: readonly number[]): void {
  for (const li of list.querySelectorAll('li.hit')) li.classList.remove('hit', 'last');
  const rows = list.children;
  path.forEach((pc, i) => {
    const li = rows[pc];
    li?.classList.add('hit');
    if (i === path.length - 1) li?.classList.add('last');
  });
  const last = path.length > 0 ? (rows[path[path.length - 1]!] as HTMLElement | undefined) : undefined;
  if (last !== undefined && (last.offsetTop < list.scrollTop || last.offsetTop > list.scrollTop + list.clientHeight - last.offsetHeight)) {
    list.scrollTop = Math.max(0, last.offsetTop - list.clientHeight / 2);
  }
}

/** The stats table's rows, one per ABI, as `seccomp-ts stats` reports them. */
export function statsRows(view: StatsView): HTMLTableRowElement[] {
  return view.stats.abis.map((s) => {
    const tr = document.createElement('tr');
    tr.dataset.abi = s.abi;
    const verdicts = Object.entries(s.verdicts).sort((a, b) => b[1] - a[1]).map(([v, n]) => `${v} ${n}`).join(', ');
    const cells = [s.abi, String(s.syscalls), s.meanExecuted.toFixed(2), String(s.maxExecuted), String(s.kernelCached), verdicts];
    cells.forEach((text, i) => {
      const cell = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) cell.setAttribute('scope', 'row');
      cell.textContent = text;
      tr.append(cell);
    });
    return tr;
  });
}

/** The chart of one ABI with its legend, and the text a screen reader gets for it. */
export function chartView(view: StatsView, abi: string): { nodes: Node[]; label: string } {
  const costs = view.costs[abi] ?? [];
  const legend = document.createElement('p');
  legend.className = 'legend';
  for (const [kind, text] of [['allow', ' ALLOW '], ['deny', ' other verdicts '], ['cached', ' kernel-cached (the filter never runs)']]) {
    const swatch = document.createElement('span');
    swatch.className = `swatch ${kind}`;
    legend.append(swatch, text as string);
  }
  const label = `Instructions executed per syscall number on ${abi}: at most ${Math.max(0, ...costs.map((c) => c.executed))}, ` +
    `${costs.filter((c) => c.cached).length} kernel-cached`;
  return { nodes: [costChart(costs, abi), legend], label };
}

/** Saves D through the browser's download (a blob URL: nothing is fetched). */
function save(d: Download): void {
  const url = URL.createObjectURL(new Blob([d.data as BlobPart], { type: d.type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = d.name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const DOWNLOAD_LABELS = {
  raw: 'Raw filter (struct sock_filter[], .bpf)', c: 'C source', oci: 'Docker/OCI profile (JSON)', policy: 'seccomp-ts policy (JSON)',
} as const;

/** A button per download; one that is not offered is disabled, with the reason beside it. */
export function downloadItems(offered: Readonly<Record<keyof typeof DOWNLOAD_LABELS, Download | { unavailable: string }>>): HTMLLIElement[] {
  return (Object.keys(DOWNLOAD_LABELS) as (keyof typeof DOWNLOAD_LABELS)[]).map((key) => {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.id = `download-${key}`;
    button.textContent = DOWNLOAD_LABELS[key];
    const d = offered[key];
    if ('unavailable' in d) {
      button.disabled = true;
      const why = document.createElement('span');
      why.className = 'muted';
      why.textContent = ` (${d.unavailable})`;
      li.append(button, why);
    } else {
      button.addEventListener('click', () => save(d));
      li.append(button, ` ${d.name}`);
    }
    return li;
  });
}

/** The tuning entries in order, each with a button removing it (ON_REMOVE gets its index). */
export function tuningItems(entries: readonly string[], onRemove: (index: number) => void): HTMLLIElement[] {
  return entries.map((entry, i) => {
    const li = item(`${entry} `);
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = '×';
    remove.setAttribute('aria-label', `remove ${entry}`);
    remove.addEventListener('click', () => onRemove(i));
    li.append(remove);
    return li;
  });
}

/** A "Run on A" button per witness of a diff. */
export function witnessItems(witnesses: readonly WitnessCall[], onRun: (w: WitnessCall) => void): HTMLLIElement[] {
  return witnesses.map((w) => {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Run on A';
    button.setAttribute('aria-label', `Run the witness of ${w.label} on A`);
    button.addEventListener('click', () => onRun(w));
    li.append(button, ` ${w.label}`);
    return li;
  });
}
