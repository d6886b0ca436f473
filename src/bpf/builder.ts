/**
 * Emits a program with symbolic jump targets and resolves them. Conditional jumps reach at most 255
 * instructions ahead (8-bit jt/jf); a target further away goes through a trampoline placed right after the
 * jump (a `JA`, or a copy of the target when it is a `RET`), or through an identical `RET` already in reach.
 * Offsets are checked before they are written, so they can never wrap, and the finished program is run through
 * the validator before it is returned.
 */
import type { Instruction, JumpCond, Operand, RawInstruction } from './instructions.js';
import { toRaw } from './instructions.js';
import { BPF_MAXINSNS } from './opcodes.js';
import { validate } from './validator.js';

/** A jump target; bind it to the next emitted instruction with {@link ProgramBuilder.bind}. */
export type Label = { readonly id: number };

/** The program cannot be built: an unbound or twice-bound label, a backward jump, or too many instructions. */
export class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildError';
  }
}

/** Largest jt/jf offset. */
const MAX_COND_OFFSET = 255;

type Item =
  | { readonly kind: 'plain'; readonly insn: Instruction }
  | { readonly kind: 'cond'; readonly cond: JumpCond; readonly src: Operand; readonly value: number; readonly t: Label; readonly f: Label }
  | { readonly kind: 'ja'; readonly target: Label };

/** How a conditional edge reaches its target in the final layout. */
type Route = { readonly via: 'direct' } | { readonly via: 'trampoline'; readonly owner: number; readonly slot: number } | { readonly via: 'ret'; readonly item: number };
const DIRECT: Route = { via: 'direct' };

/** Emits a program with symbolic jump targets and resolves them, trampolines included. */
export class ProgramBuilder {
  private readonly items: Item[] = [];
  private readonly names: (string | undefined)[] = [];
  /** The item each label is bound to, by label id; undefined while unbound (ids are dense: an array, not a map). */
  private readonly bound: (number | undefined)[] = [];
  private readonly problems: string[] = [];

  /** A fresh label; `name` only makes error messages clearer. */
  newLabel(name?: string): Label {
    this.names.push(name);
    const id = this.names.length - 1;
    if (this.bound.length === id) this.bound.push(undefined);
    return { id };
  }

  /** Marks the next emitted instruction as the label's target. */
  bind(label: Label): void {
    if (this.bound[label.id] !== undefined) {
      this.problems.push(`label ${this.labelName(label)} is bound twice`);
      return;
    }
    this.bound[label.id] = this.items.length;
  }

  /** Appends a non-jump instruction. */
  emit(instruction: Instruction): void {
    if (instruction.kind === 'ja' || instruction.kind === 'jmp') {
      throw new BuildError(`emit() takes no jumps (got ${instruction.kind}); use jump(), jumpIf() or jumpIfX()`);
    }
    this.items.push({ kind: 'plain', insn: instruction });
  }

  /** `if (A cond value) goto ifTrue else goto ifFalse`. */
  jumpIf(cond: JumpCond, value: number, ifTrue: Label, ifFalse: Label): void {
    this.checkForward(ifTrue);
    this.checkForward(ifFalse);
    this.items.push({ kind: 'cond', cond, src: 'K', value: value >>> 0, t: ifTrue, f: ifFalse });
  }

  /** `if (A cond X) goto ifTrue else goto ifFalse`. */
  jumpIfX(cond: JumpCond, ifTrue: Label, ifFalse: Label): void {
    this.checkForward(ifTrue);
    this.checkForward(ifFalse);
    this.items.push({ kind: 'cond', cond, src: 'X', value: 0, t: ifTrue, f: ifFalse });
  }

  /** Unconditional `JA` to `target`. */
  jump(target: Label): void {
    this.checkForward(target);
    this.items.push({ kind: 'ja', target });
  }

  /** Instructions emitted so far (trampolines not counted). */
  get length(): number {
    return this.items.length;
  }

  /** Resolves every label and returns the program; throws {@link BuildError} if it cannot be a valid filter. */
  build(): Instruction[] {
    if (this.problems.length > 0) throw new BuildError(this.problems.join('; '));
    const items = this.items;
    for (let i = 0; i < items.length; i++) {
      const it = items[i] as Item;
      if (it.kind === 'cond') {
        this.targetOf(it.t, i);
        this.targetOf(it.f, i);
      } else if (it.kind === 'ja') {
        this.targetOf(it.target, i);
      }
    }

    // Trampolines per jump item: the labels they jump to, placed right after the item in this order.
    const tramps = new Map<number, Label[]>();
    let start: number[] = [];
    let routes: Route[][] = [];
    for (let changed = true; changed;) {
      changed = false;
      start = this.layout(tramps);
      routes = [];
      // Later jumps first, so earlier ones can share the trampolines they placed.
      for (let i = items.length - 1; i >= 0; i--) {
        const it = items[i] as Item;
        if (it.kind !== 'cond') continue;
        const from = (start[i] as number) + 1;
        const r: Route[] = [];
        for (let side = 0; side < 2; side++) {
          const label = side === 0 ? it.t : it.f;
          const route = this.route(label, from, start, tramps, i);
          if (route !== undefined) {
            r.push(route);
            continue;
          }
          changed = true;
          const list = tramps.get(i) ?? [];
          if (!list.some((l) => l.id === label.id)) list.push(label);
          tramps.set(i, list);
        }
        routes[i] = r;
      }
    }

    const total = start[items.length] as number;
    if (total > BPF_MAXINSNS) {
      throw new BuildError(`program needs ${total} instructions (with jump trampolines); the kernel accepts at most ${BPF_MAXINSNS}`);
    }
    const out: Instruction[] = [];
    const bound = this.bound;
    const labelAt = (l: Label): number => start[bound[l.id] as number] as number;
    for (let i = 0; i < items.length; i++) {
      const it = items[i] as Item;
      const pos = start[i] as number;
      if (it.kind === 'plain') out.push(it.insn);
      else if (it.kind === 'ja') out.push({ kind: 'ja', offset: labelAt(it.target) - pos - 1 });
      else {
        const [rt, rf] = routes[i] as [Route, Route];
        const where = (route: Route, l: Label): number =>
          route.via === 'direct' ? labelAt(l)
            : route.via === 'ret' ? (start[route.item] as number)
              : (start[route.owner] as number) + 1 + route.slot;
        const jt = where(rt, it.t) - pos - 1;
        const jf = where(rf, it.f) - pos - 1;
        if (jt < 0 || jt > MAX_COND_OFFSET || jf < 0 || jf > MAX_COND_OFFSET) {
          throw new BuildError(`internal: jump offset out of range at instruction ${pos}`);
        }
        out.push({ kind: 'jmp', cond: it.cond, src: it.src, value: it.value, jt, jf });
      }
      const list = tramps.size === 0 ? undefined : tramps.get(i);
      // A trampoline to a RET is that RET: as long, and the jumps through it execute one instruction less.
      if (list !== undefined) list.forEach((l, s) => out.push(this.retOf(l) ?? { kind: 'ja', offset: labelAt(l) - (pos + 1 + s) - 1 }));
    }
    const result = validate(out);
    if (!result.ok) {
      const more = result.errors.length > 3 ? ` (and ${result.errors.length - 3} more)` : '';
      throw new BuildError(`built program is not a valid filter: ${result.errors.slice(0, 3).map((e) => e.message).join('; ')}${more}`);
    }
    return out;
  }

  /** Final position of every item (and of the end, at `items.length`), given the trampolines. */
  private layout(tramps: ReadonlyMap<number, Label[]>): number[] {
    const start = new Array<number>(this.items.length + 1);
    let pos = 0;
    for (let i = 0; i < this.items.length; i++) {
      start[i] = pos;
      pos += tramps.size === 0 ? 1 : 1 + (tramps.get(i)?.length ?? 0);
    }
    start[this.items.length] = pos;
    return start;
  }

  /** A way from position `from` (the instruction after the jump) to `label` within 255, if one exists now. */
  private route(label: Label, from: number, start: readonly number[], tramps: ReadonlyMap<number, Label[]>, owner: number): Route | undefined {
    const targetItem = this.bound[label.id] as number;
    const target = start[targetItem] as number;
    if (target - from <= MAX_COND_OFFSET) return DIRECT;
    // An identical RET within reach returns the same value as the far one.
    const want = this.retKey(targetItem);
    if (want !== undefined) {
      for (let j = owner + 1; j < this.items.length && (start[j] as number) - from <= MAX_COND_OFFSET; j++) {
        if (this.retKey(j) === want) return { via: 'ret', item: j };
      }
    }
    // A trampoline to the same label, this jump's own or a later jump's, in reach.
    for (let j = owner; j < this.items.length && (start[j] as number) + 1 - from <= MAX_COND_OFFSET; j++) {
      const list = tramps.get(j);
      if (list === undefined) continue;
      for (let slot = 0; slot < list.length; slot++) {
        const pos = (start[j] as number) + 1 + slot;
        if ((list[slot] as Label).id === label.id && pos >= from && pos - from <= MAX_COND_OFFSET) {
          return { via: 'trampoline', owner: j, slot };
        }
      }
    }
    return undefined;
  }

  /** The RET instruction a label is bound to, if it is bound to one. */
  private retOf(label: Label): Instruction | undefined {
    const it = this.items[this.bound[label.id] as number] as Item;
    return it.kind === 'plain' && it.insn.kind === 'ret' ? it.insn : undefined;
  }

  private readonly retKeys = new Map<number, string | undefined>();

  /** A key equal for identical RET instructions; undefined for any other item. */
  private retKey(item: number): string | undefined {
    if (!this.retKeys.has(item)) {
      const it = this.items[item] as Item;
      this.retKeys.set(item, it.kind === 'plain' && it.insn.kind === 'ret' ? rawKey(toRaw(it.insn)) : undefined);
    }
    return this.retKeys.get(item);
  }

  private targetOf(label: Label, from: number): number {
    const at = this.bound[label.id];
    if (at === undefined) throw new BuildError(`label ${this.labelName(label)} is used but never bound`);
    if (at <= from) throw new BuildError(`jump from instruction ${from} to label ${this.labelName(label)} goes backwards`);
    if (at >= this.items.length) throw new BuildError(`label ${this.labelName(label)} is bound after the last instruction`);
    return at;
  }

  private checkForward(label: Label): void {
    if (label.id < 0 || label.id >= this.names.length) throw new BuildError(`label #${label.id} does not belong to this builder`);
  }

  private labelName(label: Label): string {
    const name = this.names[label.id];
    return name === undefined ? `#${label.id}` : `'${name}' (#${label.id})`;
  }
}

const rawKey = (r: RawInstruction): string => `${r.code}:${r.jt}:${r.jf}:${r.k}`;
