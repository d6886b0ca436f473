/**
 * One filter that equals a stack of filters. The kernel runs every installed filter on each call, newest first,
 * and keeps a filter's value only when its action is strictly lower as a signed 32-bit number (KILL_PROCESS
 * beats everything; among equal actions the newest filter's data wins; the start is ALLOW). `stackPrograms`
 * writes that loop out in classic BPF: each program runs in turn from A = X = 0, its returns become jumps to a
 * short block that keeps the stricter value in a scratch slot, and the last block returns what was kept.
 */
import { BuildError, ProgramBuilder, type Label } from './builder.js';
import { ins, type Instruction, type Program } from './instructions.js';
import { SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW } from '../syscalls/actions.js';

/** The stack cannot be written as one filter (no free scratch slots, or more than 4,096 instructions). */
export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackError';
  }
}

/** Scratch slots no program of the stack touches, highest first. */
function freeSlots(programs: readonly Program[]): number[] {
  const used = new Set<number>();
  for (const p of programs) for (const i of p) if (i.kind === 'st' || i.kind === 'ld_mem') used.add(i.slot);
  return Array.from({ length: 16 }, (_, i) => 15 - i).filter((s) => !used.has(s));
}

const dividesByX = (i: Instruction): boolean => i.kind === 'alu' && i.src === 'X' && (i.op === 'div' || i.op === 'mod');

/**
 * A program whose verdict, for every input, is the kernel's verdict for `programs` installed in this order
 * (oldest first), as `combineVerdicts` computes it. Throws {@link StackError} when the programs leave fewer
 * than the scratch slots the combination needs (two, three with a division by X) or the result is too long.
 */
export function stackPrograms(programs: readonly Program[]): Instruction[] {
  return combinePrograms(programs, 'strictest');
}

/**
 * A program whose verdict, for every input, is the least restrictive of the programs' verdicts: the action of
 * highest value in the kernel's order (ALLOW over LOG over TRACE … over KILL_PROCESS), the first program's
 * data among equal actions. It lets a call through when any program does.
 */
export function loosestOf(programs: readonly Program[]): Instruction[] {
  return combinePrograms(programs, 'loosest');
}

function combinePrograms(programs: readonly Program[], mode: 'strictest' | 'loosest'): Instruction[] {
  if (programs.length === 0) throw new StackError('no filters to combine');
  const needsGuard = programs.some((p) => p.some(dividesByX));
  const free = freeSlots(programs);
  if (free.length < (needsGuard ? 3 : 2)) {
    throw new StackError(`the filters use ${16 - free.length} of the 16 scratch slots; combining them needs ${needsGuard ? 3 : 2} free`);
  }
  const [kept, current, saved] = free as [number, number, number];
  const b = new ProgramBuilder();
  // The kernel starts from ALLOW and walks newest first; ties keep the value already kept (the newer filter's).
  // The loosest starts from the first program's value and walks in the given order (ties: the earlier's).
  if (mode === 'strictest') {
    b.emit(ins.loadConst(SECCOMP_RET_ALLOW));
    b.emit(ins.store(kept));
  }
  const order = programs.map((_, i) => (mode === 'strictest' ? programs.length - 1 - i : i));
  for (const n of order) {
    const program = programs[n]!;
    const combine = b.newLabel(`combine filter ${n + 1}`);
    const at: Label[] = program.map((_, i) => b.newLabel(`filter ${n + 1} instruction ${i}`));
    b.emit(ins.loadConst(0));
    b.emit(ins.loadConst(0, 'X'));
    program.forEach((insn, i) => {
      b.bind(at[i]!);
      const next = (offset: number): Label => at[i + 1 + offset]!;
      switch (insn.kind) {
        case 'ret':
          if (insn.src === 'K') b.emit(ins.loadConst(insn.value));
          b.jump(combine);
          return;
        case 'ja':
          b.jump(next(insn.offset));
          return;
        case 'jmp':
          if (insn.src === 'X') b.jumpIfX(insn.cond, next(insn.jt), next(insn.jf));
          else b.jumpIf(insn.cond, insn.value, next(insn.jt), next(insn.jf));
          return;
        default:
          if (dividesByX(insn)) {
            // The kernel ends a filter dividing by a zero X with 0 (KILL_THREAD): that value joins the combination.
            const divide = b.newLabel();
            const byZero = b.newLabel();
            b.emit(ins.store(saved));
            b.emit(ins.txa());
            b.jumpIf('jeq', 0, byZero, divide);
            b.bind(byZero);
            b.emit(ins.loadConst(0));
            b.jump(combine);
            b.bind(divide);
            b.emit(ins.loadMem(saved));
          }
          b.emit(insn);
      }
    });
    // A holds this filter's value: keep it when its action is strictly lower, as signed numbers (the sign bit
    // flipped makes the unsigned comparison of BPF order them the same way).
    b.bind(combine);
    if (mode === 'loosest' && n === order[0]) {
      // The first value is kept as it is: nothing to compare it with yet.
      b.emit(ins.store(kept));
      continue;
    }
    const take = b.newLabel();
    const keep = b.newLabel();
    b.emit(ins.store(current));
    b.emit(ins.alu('and', SECCOMP_RET_ACTION_FULL));
    b.emit(ins.alu('xor', 0x8000_0000));
    b.emit(ins.tax());
    b.emit(ins.loadMem(kept));
    b.emit(ins.alu('and', SECCOMP_RET_ACTION_FULL));
    b.emit(ins.alu('xor', 0x8000_0000));
    // A holds the kept key, X the new one: the strictest takes a strictly lower key, the loosest a higher one.
    if (mode === 'strictest') b.jumpIfX('jgt', take, keep);
    else b.jumpIfX('jge', keep, take);
    b.bind(take);
    b.emit(ins.loadMem(current));
    b.emit(ins.store(kept));
    b.bind(keep);
  }
  b.emit(ins.loadMem(kept));
  b.emit(ins.retA());
  try {
    return b.build();
  } catch (err) {
    if (err instanceof BuildError) throw new StackError(`the combined filter cannot be built: ${err.message}`);
    throw err;
  }
}
