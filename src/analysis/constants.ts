/**
 * The constants a filter compares against: the values worth testing it with (each one and its neighbours).
 */
import type { Program } from '../bpf/instructions.js';

/** Distinct 32-bit constants of a program's conditional jumps and ALU operations, ascending. */
export function programConstants(program: Program): number[] {
  const out = new Set<number>();
  for (const ins of program) {
    if (ins.kind === 'jmp' && ins.src === 'K') out.add(ins.value >>> 0);
    if (ins.kind === 'alu' && ins.src === 'K') out.add(ins.value >>> 0);
    if (ins.kind === 'ld_imm') out.add(ins.value >>> 0);
  }
  return [...out].sort((a, b) => a - b);
}

/** Each constant with its neighbours c-1 and c+1 (wrapping in 32 bits), plus 0 and 0xffffffff. */
export function boundaryValues(constants: readonly number[]): number[] {
  const out = new Set<number>([0, 0xffffffff]);
  for (const c of constants) {
    out.add((c - 1) >>> 0);
    out.add(c >>> 0);
    out.add((c + 1) >>> 0);
  }
  return [...out].sort((a, b) => a - b);
}

/** A small seeded generator (mulberry32): reproducible sampling without global state. */
export function seededRandom(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random 32-bit word biased toward a filter's boundaries: a boundary value, a constant's high bits or mask
 * pattern, 0 or all ones, or a uniformly random word.
 */
export function biasedWord(random: () => number, boundaries: readonly number[]): number {
  const pick = random();
  const u32 = (): number => Math.floor(random() * 4294967296) >>> 0;
  if (boundaries.length > 0 && pick < 0.55) return boundaries[Math.floor(random() * boundaries.length)] as number;
  if (boundaries.length > 0 && pick < 0.7) {
    // Masks: a constant with some bits dropped or added.
    const c = boundaries[Math.floor(random() * boundaries.length)] as number;
    return random() < 0.5 ? (c & u32()) >>> 0 : (c | u32()) >>> 0;
  }
  if (pick < 0.8) return random() < 0.5 ? 0 : 0xffffffff;
  return u32();
}
