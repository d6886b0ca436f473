/**
 * The playground's budgets: the built page's size gzipped (every file, budget 400 KB) and the time until it is
 * ready to use on docker-default in headless Chromium (budget 1 s): from navigation start to the first complete
 * render of `#profile:docker-default` (compiled, disassembled, emulated), as the page marks it. The floor is a
 * static page with no script loaded from the same server in the same run. Needs /usr/bin/chromium.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildPlayground, chromiumMissing, launchChromium } from '../test/support/browser.js';
import { serveStatic } from '../test/support/static-server.js';

const ROOT = join(import.meta.dirname, '..');
export const SIZE_BUDGET_GZIP_BYTES = 400 * 1024;
export const READY_BUDGET_MS = 1000;

export interface PlaygroundResult {
  readonly files: readonly { readonly path: string; readonly bytes: number; readonly gzipBytes: number }[];
  readonly totalBytes: number;
  readonly totalGzipBytes: number;
  readonly sizeBudgetGzipBytes: number;
  readonly sizeWithinBudget: boolean;
  readonly runs: number;
  /** Navigation start to the page's `playground-ready` mark, milliseconds. */
  readonly readyMs: { readonly median: number; readonly min: number; readonly max: number };
  /** Navigation start to the load event of a page with no script, milliseconds (median). */
  readonly floorMs: number;
  readonly readyBudgetMs: number;
  readonly readyWithinBudget: boolean;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

export async function benchPlayground(options: { quick?: boolean } = {}): Promise<PlaygroundResult> {
  const missing = chromiumMissing();
  if (missing !== undefined) throw new Error(`bench playground: ${missing}`);
  const work = mkdtempSync(join(tmpdir(), 'seccomp-ts-bench-playground-'));
  const out = join(work, 'dist-web');
  try {
    buildPlayground(ROOT, out);
    const sizes = files(out).sort().map((path) => {
      const data = readFileSync(path);
      return { path: relative(out, path), bytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length };
    });
    writeFileSync(join(out, 'floor.html'), '<!doctype html><html lang="en"><title>floor</title><link rel="icon" href="data:,"><p>floor</p></html>\n');
    const server = await serveStatic(out);
    const browser = await launchChromium();
    const runs = options.quick ? 3 : 7;
    const ready: number[] = [];
    const floor: number[] = [];
    try {
      for (let i = 0; i < runs; i++) {
        const page = await browser.context.newPage();
        await page.goto(`${server.origin}/floor.html`, { waitUntil: 'load' });
        floor.push(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventStart));
        await page.goto(`${server.origin}/#profile:docker-default`);
        await page.waitForSelector('body[data-state=ready]', { timeout: 30_000 });
        ready.push(await page.evaluate(() => performance.getEntriesByName('playground-ready')[0]!.startTime));
        await page.close();
      }
    } finally {
      await browser.close();
      await server.close();
    }
    const totalGzipBytes = sizes.reduce((n, f) => n + f.gzipBytes, 0);
    const readyMs = { median: median(ready), min: Math.min(...ready), max: Math.max(...ready) };
    return {
      files: sizes, totalBytes: sizes.reduce((n, f) => n + f.bytes, 0), totalGzipBytes,
      sizeBudgetGzipBytes: SIZE_BUDGET_GZIP_BYTES, sizeWithinBudget: totalGzipBytes <= SIZE_BUDGET_GZIP_BYTES,
      runs, readyMs, floorMs: median(floor), readyBudgetMs: READY_BUDGET_MS, readyWithinBudget: readyMs.median <= READY_BUDGET_MS,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The result for people. */
export function playgroundText(r: PlaygroundResult): string {
  const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;
  return [
    `built page: ${kb(r.totalBytes)}, ${kb(r.totalGzipBytes)} gzipped (budget ${kb(r.sizeBudgetGzipBytes)}: ${r.sizeWithinBudget ? 'within' : 'OVER'})`,
    ...r.files.map((f) => `  ${f.path.padEnd(36)} ${kb(f.bytes).padStart(10)} ${kb(f.gzipBytes).padStart(10)} gz`),
    `ready on #profile:docker-default, ${r.runs} loads: median ${r.readyMs.median.toFixed(0)} ms (min ${r.readyMs.min.toFixed(0)}, max ${r.readyMs.max.toFixed(0)}; ` +
      `budget ${r.readyBudgetMs} ms: ${r.readyWithinBudget ? 'within' : 'OVER'}); a page with no script loads in ${r.floorMs.toFixed(0)} ms`,
  ].join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchPlayground({ quick: process.argv.includes('--quick') });
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(r, null, 2)}\n` : playgroundText(r));
}
