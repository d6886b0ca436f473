/**
 * Sampling: for the parts of a filter that cannot be summarised exactly, run the filter on many inputs and
 * report what it returned, with the confidence such a sample gives.
 */
import type { Program } from '../bpf/instructions.js';
import { prepareFilter } from '../emulator/executor.js';
import { boundaryValues, biasedWord, programConstants, seededRandom } from './constants.js';
import type { Segment } from './partition.js';
import { actionText } from './verdict-text.js';

/** What sampling found for a part of a filter that could not be summarised exactly. */
export interface SampleSummary {
  readonly samples: number;
  /** Verdicts observed, most frequent first. */
  readonly verdicts: readonly { readonly verdict: number; readonly action: string; readonly count: number }[];
  /**
   * What the sample shows: a verdict never observed covers, with 95% confidence, less than this fraction of
   * inputs drawn the same way (the "rule of three": 3 / samples).
   */
  readonly unseenBelow: number;
}

export interface SampleOptions {
  readonly samples: number;
  readonly seed: number;
}

const cache = new WeakMap<Program, { run: (w: Uint32Array) => number; boundaries: number[] }>();

function prepared(program: Program) {
  let p = cache.get(program);
  if (!p) {
    const compiled = prepareFilter(program);
    p = { run: (w) => compiled.runWords(w), boundaries: boundaryValues(programConstants(program)) };
    cache.set(program, p);
  }
  return p;
}

/** Runs the filter on `samples` inputs of one segment (its arch values and numbers, biased arguments). */
export function sampleSegment(program: Program, segment: Segment, options: SampleOptions): SampleSummary {
  const { run, boundaries } = prepared(program);
  const random = seededRandom(options.seed);
  const counts = new Map<number, number>();
  const words = new Uint32Array(16);
  for (let i = 0; i < options.samples; i++) {
    // A foreign-arch segment stands for a range of arch values: draw from all of it, not from one.
    const archRange = segment.archRange;
    words[1] = archRange === undefined || i === 0 ? segment.arch
      : (archRange[0] + Math.floor(random() * (archRange[1] - archRange[0] + 1))) >>> 0;
    const span = segment.hi - segment.lo;
    words[0] = i === 0 ? segment.lo : i === 1 ? segment.hi : (segment.lo + Math.floor(random() * (span + 1))) >>> 0;
    for (let w = 2; w < 16; w++) words[w] = biasedWord(random, boundaries);
    const raw = run(words) >>> 0;
    counts.set(raw, (counts.get(raw) ?? 0) + 1);
  }
  const verdicts = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([verdict, count]) => ({ verdict, action: actionText(verdict), count }));
  return { samples: options.samples, verdicts, unseenBelow: Math.min(1, 3 / options.samples) };
}
