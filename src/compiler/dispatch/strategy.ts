/**
 * Syscall dispatch: the part of a compiled filter that, with `A = seccomp_data.nr`, jumps to the code that
 * decides one syscall. The compiler lowers each ABI of a policy to a {@link DispatchSection} (sorted cases,
 * each with the label of its body, plus the default) and hands it to a {@link DispatchStrategy}, which emits
 * the search. Strategies are pluggable: {@link linearDispatch} is the simple, obviously correct one.
 */
import type { Instruction, JumpCond } from '../../bpf/instructions.js';
import type { LinuxArchName } from '../../syscalls/arch.js';

/**
 * The part of a program builder a strategy may use. `ProgramBuilder` (src/bpf/builder.ts) satisfies it;
 * `L` is its label type.
 */
export interface DispatchEmitter<L> {
  newLabel(): L;
  /** Places `label` at the next instruction to be emitted. */
  bind(label: L): void;
  emit(instruction: Instruction): void;
  /** `if (A cond value) goto ifTrue else goto ifFalse`; the builder resolves distances and long jumps. */
  jumpIf(cond: JumpCond, value: number, ifTrue: L, ifFalse: L): void;
  jump(label: L): void;
}

/** One syscall number that has its own body. */
export interface DispatchCase<L> {
  /** The number exactly as `seccomp_data.nr` holds it (x32: including the 0x40000000 bit). */
  readonly nr: number;
  /** Where the body deciding this syscall starts. */
  readonly target: L;
  /**
   * Identifies the body's meaning: cases with equal keys decide identically and share one target,
   * so runs of neighbouring numbers with the same key may be merged into ranges.
   */
  readonly key: string;
  /**
   * The raw return value when the body is a single `RET` (no argument is read on its path), else undefined.
   * Lets a strategy keep constant-verdict syscalls on paths the kernel's action cache understands.
   */
  readonly constant?: number;
}

/** Everything a strategy needs to dispatch one ABI. */
export interface DispatchSection<L> {
  readonly arch: LinuxArchName;
  /**
   * The values `A` (the syscall number) can hold on entry: every number in `[min, max]` may arrive and no
   * other does (x86_64: 0..0x3fffffff, x32: 0x40000000..0xffffffff, i386: 0..0xffffffff).
   */
  readonly domain: { readonly min: number; readonly max: number };
  /** Sorted by `nr`, ascending, each number at most once, all inside `domain`. */
  readonly cases: readonly DispatchCase<L>[];
  /** Where every number without a case goes (unless `enosys` claims it). */
  readonly defaultTarget: L;
  /** Raw return value of the default target (it is always a single `RET`). */
  readonly defaultConstant: number;
  /**
   * ENOSYS guard: numbers greater than `above` that have no case go to `target` (a `RET ERRNO(ENOSYS)`)
   * instead of the default. Cases always win over the guard.
   */
  readonly enosys?: { readonly above: number; readonly target: L; readonly constant: number };
  /**
   * Numbers above `domain.max` that reach this search too (ascending ranges up to 0xffffffff), each with its
   * target, an `id` equal for ranges that decide alike, and the ABI whose calls they are when they go on to
   * another section. Given only to strategies that fold such a split into their search (`foldsBeyond`).
   */
  readonly beyond?: readonly { readonly lo: number; readonly hi: number; readonly target: L; readonly id: string; readonly abi?: LinuxArchName }[];
}

/**
 * Emits the nr → body search for one section. On entry `A` holds `seccomp_data.nr`; a strategy may reload
 * it (`ld [0]`) but must not read arguments or write scratch memory. Every path it emits must end in a jump
 * to a case target, the default target or the ENOSYS target: exactly the one the section's meaning gives
 * for the number in `A`.
 */
export interface DispatchStrategy {
  readonly name: string;
  /**
   * The strategy searches `beyond` ranges with the section's own numbers: x86_64's split from x32 numbers then
   * costs a call only where the search puts it, not one test up front.
   */
  readonly foldsBeyond?: boolean;
  emit<L>(out: DispatchEmitter<L>, section: DispatchSection<L>): void;
}

/** Compares `A` with each case in order, then applies the ENOSYS guard, then the default. */
export const linearDispatch: DispatchStrategy = {
  name: 'linear',
  emit<L>(out: DispatchEmitter<L>, section: DispatchSection<L>): void {
    for (const c of section.cases) {
      const next = out.newLabel();
      out.jumpIf('jeq', c.nr, c.target, next);
      out.bind(next);
    }
    const { enosys } = section;
    if (enosys !== undefined && enosys.above < section.domain.max) {
      out.jumpIf('jgt', enosys.above >>> 0, enosys.target, section.defaultTarget);
    } else {
      out.jump(section.defaultTarget);
    }
  },
};
