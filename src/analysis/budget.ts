/**
 * Time limit and progress reports of a long analysis. The analysis calls `tick` in its inner loops; the clock
 * is read only every few hundred ticks, so a tick costs next to nothing.
 */

/** What a progress report says: the phase and how far it got. */
export interface AnalysisProgress {
  /** `diagram` (building the decision diagram), `cases` (listing its cases), `summary` (per-syscall text). */
  readonly phase: 'diagram' | 'cases' | 'summary';
  /** Milliseconds since the analysis started. */
  readonly elapsedMs: number;
  /** Work done in this phase: diagram states, cases or segments. */
  readonly count: number;
}

/** Limits and progress reporting for a long analysis. */
export interface BudgetOptions {
  /** Give up with `AnalysisTimeout` after this many milliseconds (default: no limit). */
  readonly timeoutMs?: number;
  /** Called about once a second (first after one second) while the analysis runs. */
  readonly onProgress?: (progress: AnalysisProgress) => void;
  /** The clock, in milliseconds (default `performance.now`); tests pass a fake one. */
  readonly now?: () => number;
}

/** The analysis ran past its time limit. */
export class AnalysisTimeout extends Error {
  constructor(readonly timeoutMs: number, readonly progress: AnalysisProgress) {
    super(`analysis gave up after ${formatSeconds(timeoutMs)} (time limit reached during the ${progress.phase} phase, `
      + `${progress.count} ${unitOf(progress.phase)} done)`);
    this.name = 'AnalysisTimeout';
  }
}

const unitOf = (phase: AnalysisProgress['phase']): string =>
  phase === 'diagram' ? 'states' : phase === 'cases' ? 'cases' : 'segments';

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${s >= 10 ? s.toFixed(1).replace(/\.0$/, '') : String(Number(s.toPrecision(3)))} s`;
}

/** One progress report as a line of text: `explain: 3.0 s, building the decision diagram (120000 states)`. */
export function progressText(command: string, p: AnalysisProgress): string {
  const what = p.phase === 'diagram' ? 'building the decision diagram' : p.phase === 'cases' ? 'listing cases' : 'summarising syscalls';
  return `${command}: ${formatSeconds(Math.round(p.elapsedMs / 100) * 100)}, ${what} (${p.count} ${unitOf(p.phase)})`;
}

const CHECK_EVERY = 256;
const PROGRESS_EVERY_MS = 1000;

/** The time limit and progress reports of one analysis run. */
export class Budget {
  private readonly now: () => number;
  private readonly start: number;
  private ticks = 0;
  private nextReport: number;

  constructor(private readonly options: BudgetOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.start = this.now();
    this.nextReport = this.start + PROGRESS_EVERY_MS;
  }

  /** Counts one unit of work; throws `AnalysisTimeout` once the limit is past. */
  tick(phase: AnalysisProgress['phase'], count: number): void {
    if (++this.ticks % CHECK_EVERY !== 0) return;
    this.check(phase, count);
  }

  /** Reads the clock now (at the end of a phase, or before an expensive step). */
  check(phase: AnalysisProgress['phase'], count: number): void {
    const t = this.now();
    const elapsedMs = t - this.start;
    const { timeoutMs, onProgress } = this.options;
    if (timeoutMs !== undefined && elapsedMs > timeoutMs) throw new AnalysisTimeout(timeoutMs, { phase, elapsedMs, count });
    if (onProgress && t >= this.nextReport) {
      this.nextReport = t + PROGRESS_EVERY_MS;
      onProgress({ phase, elapsedMs, count });
    }
  }
}
