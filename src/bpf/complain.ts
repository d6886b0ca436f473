/**
 * Complain mode: the same filter with every verdict other than ALLOW turned into LOG, so nothing is denied and
 * everything that would have been is reported by the kernel.
 */
import { SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW, SECCOMP_RET_LOG } from '../syscalls/actions.js';
import { ins, type Instruction, type Program } from './instructions.js';

/** The program cannot be rewritten (a conditional jump would grow past 255 instructions). */
export class ComplainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ComplainError';
  }
}

const isAllow = (value: number): boolean => ((value & SECCOMP_RET_ACTION_FULL) >>> 0) === SECCOMP_RET_ALLOW;

/**
 * `return A` becomes: keep A in X, mask the action, ALLOW returns the kept value, anything else returns LOG.
 * X is free to clobber: the program ends here.
 */
const RETURN_A_COMPLAINING: readonly Instruction[] = [
  ins.tax(),
  ins.alu('and', SECCOMP_RET_ACTION_FULL),
  ins.jump('jeq', SECCOMP_RET_ALLOW, 0, 2),
  ins.txa(),
  ins.retA(),
  ins.ret(SECCOMP_RET_LOG),
];

/** A scratch slot the program never touches, for the division guard; undefined when all 16 are in use. */
function freeSlot(program: Program): number | undefined {
  const used = new Set<number>();
  for (const i of program) if (i.kind === 'st' || i.kind === 'ld_mem') used.add(i.slot);
  for (let slot = 15; slot >= 0; slot--) if (!used.has(slot)) return slot;
  return undefined;
}

/**
 * `A / X` and `A % X` end the program with 0 (KILL_THREAD) when X is 0; the guard returns LOG instead and
 * otherwise restores A from the free slot before dividing.
 */
function divisionGuard(slot: number, division: Instruction): Instruction[] {
  return [ins.store(slot), ins.txa(), ins.jump('jeq', 0, 0, 1), ins.ret(SECCOMP_RET_LOG), ins.loadMem(slot), division];
}

const dividesByX = (i: Instruction): boolean => i.kind === 'alu' && i.src === 'X' && (i.op === 'div' || i.op === 'mod');

/**
 * Returns `program` with every non-ALLOW verdict replaced by LOG: `return k` directly, `return A` through a short
 * test of the action bits, a division by X through a test for zero (jumps over them are lengthened). Verdicts that
 * are ALLOW or LOG keep their exact value. Throws `ComplainError` when a conditional jump would grow past 255 or a
 * division needs a scratch slot and all 16 are in use.
 */
export function complainProgram(program: Program): Instruction[] {
  const slot = program.some(dividesByX) ? freeSlot(program) : undefined;
  const expand = (i: Instruction, index: number): readonly Instruction[] => {
    if (i.kind === 'ret' && i.src === 'A') return RETURN_A_COMPLAINING;
    if (i.kind === 'ret') return [isAllow(i.value) || ((i.value & SECCOMP_RET_ACTION_FULL) >>> 0) === SECCOMP_RET_LOG ? i : ins.ret(SECCOMP_RET_LOG)];
    if (dividesByX(i)) {
      if (slot === undefined) throw new ComplainError(`instruction ${index}: a division by X needs a free scratch slot to guard, and all 16 are used`);
      return divisionGuard(slot, i);
    }
    return [i];
  };
  const expanded = program.map(expand);
  const start: number[] = [];
  let at = 0;
  for (const e of expanded) {
    start.push(at);
    at += e.length;
  }
  start.push(at);
  // Where a jump of the original lands, counted from the end of its own (unexpanded) instruction.
  const target = (from: number, offset: number): number => start[Math.min(from + 1 + offset, program.length)]! - (start[from]! + 1);
  const out: Instruction[] = [];
  program.forEach((i, index) => {
    if (i.kind === 'ja') {
      out.push({ ...i, offset: target(index, i.offset) });
    } else if (i.kind === 'jmp') {
      const jt = target(index, i.jt);
      const jf = target(index, i.jf);
      if (jt > 255 || jf > 255) throw new ComplainError(`instruction ${index}: a conditional jump would need to skip more than 255 instructions`);
      out.push({ ...i, jt, jf });
    } else {
      out.push(...expanded[index]!);
    }
  });
  return out;
}
