import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BuildError, ProgramBuilder, type Label } from '../src/bpf/builder.js';
import { ins, type Instruction, type JumpCond } from '../src/bpf/instructions.js';
import { validate } from '../src/bpf/validator.js';

const ALLOW = 0x7fff0000;
const KILL = 0x80000000;

/** Follows a built program for a given A value sequence: returns the RET value reached. */
function run(program: readonly Instruction[], nr: number): number {
  let pc = 0;
  let a = 0;
  for (;;) {
    const i = program[pc];
    if (!i) throw new Error(`fell off at ${pc}`);
    switch (i.kind) {
      case 'ld_abs': a = nr; pc++; break;
      case 'ja': pc += 1 + i.offset; break;
      case 'jmp': pc += 1 + ((i.cond === 'jeq' ? a === i.value : i.cond === 'jgt' ? a > i.value : i.cond === 'jge' ? a >= i.value : (a & i.value) !== 0) ? i.jt : i.jf); break;
      case 'ret': if (i.src === 'K') return i.value; throw new Error('ret a');
      default: pc++;
    }
  }
}

describe('ProgramBuilder', () => {
  it('resolves near jumps directly', () => {
    const b = new ProgramBuilder();
    const allow = b.newLabel('allow');
    const kill = b.newLabel('kill');
    b.emit(ins.loadWord(0));
    b.jumpIf('jeq', 59, kill, allow);
    b.bind(allow);
    b.emit(ins.ret(ALLOW));
    b.bind(kill);
    b.emit(ins.ret(KILL));
    expect(b.length).toBe(4);
    expect(b.build()).toEqual([ins.loadWord(0), ins.jump('jeq', 59, 1, 0), ins.ret(ALLOW), ins.ret(KILL)]);
  });

  /** `nr == 1` jumps to `target`, 300 loads past the ALLOW that every other number reaches. */
  function farJump(target: Instruction[]): { b: ProgramBuilder; p: Instruction[] } {
    const b = new ProgramBuilder();
    const far = b.newLabel('far');
    const next = b.newLabel();
    b.emit(ins.loadWord(0));
    b.jumpIf('jeq', 1, far, next);
    b.bind(next);
    for (let i = 0; i < 300; i++) b.emit(ins.loadConst(i));
    b.emit(ins.ret(ALLOW));
    b.bind(far);
    target.forEach((t) => b.emit(t));
    return { b, p: b.build() };
  }

  it.each([
    ['a JA for a target that is not a RET', [ins.loadConst(7), ins.ret(KILL)], ins.ja(301)],
    ['a copy of a RET target: as long as a JA, one instruction less on the way', [ins.ret(KILL)], ins.ret(KILL)],
  ])('a target 300 instructions away goes through a trampoline right after the jump: %s', (_, target, trampoline) => {
    const { b, p } = farJump(target);
    expect(p.length).toBe(b.length + 1);
    expect(p[1]).toEqual(ins.jump('jeq', 1, 0, 1));
    expect(p[2]).toEqual(trampoline);
    expect(validate(p)).toEqual({ ok: true });
    expect(run(p, 1)).toBe(KILL);
    expect(run(p, 2)).toBe(ALLOW);
  });

  it('refuses a program of more than 4096 instructions', () => {
    const big = new ProgramBuilder();
    for (let i = 0; i < 4096; i++) big.emit(ins.loadConst(i));
    big.emit(ins.ret(0));
    expect(() => big.build()).toThrow(/4097 instructions.*at most 4096/);
  });

  it('re-uses an identical RET in reach instead of a trampoline', () => {
    const b = new ProgramBuilder();
    const kill = b.newLabel('kill');
    const n1 = b.newLabel();
    b.emit(ins.loadWord(0));
    b.jumpIf('jeq', 1, kill, n1);
    b.bind(n1);
    b.emit(ins.ret(KILL)); // the near copy
    for (let i = 0; i < 400; i++) b.emit(ins.ret(ALLOW));
    b.bind(kill);
    b.emit(ins.ret(KILL));
    const p = b.build();
    expect(p.length).toBe(b.length);
    expect(p[1]).toEqual(ins.jump('jeq', 1, 0, 0));
  });

  it('shares trampolines between many far jumps to the same target, and reaches across ~4000 instructions', () => {
    const b = new ProgramBuilder();
    const far = b.newLabel('far');
    b.emit(ins.loadWord(0));
    for (let i = 0; i < 600; i++) {
      const next = b.newLabel();
      b.jumpIf('jeq', i, far, next);
      b.bind(next);
    }
    for (let i = 0; i < 3300; i++) b.emit(ins.loadConst(i, 'X'));
    b.emit(ins.ret(ALLOW));
    b.bind(far);
    b.emit(ins.txa());
    b.emit(ins.ret(KILL));
    const p = b.build();
    expect(validate(p)).toEqual({ ok: true });
    const trampolines = p.length - b.length;
    expect(trampolines).toBeGreaterThan(0);
    expect(trampolines).toBeLessThan(20); // shared, not one per jump
    for (const nr of [0, 1, 299, 599]) expect(run(p, nr)).toBe(KILL);
    expect(run(p, 600)).toBe(ALLOW);
  });

  it('refuses unbound, twice-bound, backward and past-the-end labels, and jumps given to emit()', () => {
    const unbound = new ProgramBuilder();
    unbound.jump(unbound.newLabel('nowhere'));
    expect(() => unbound.build()).toThrow(BuildError);
    expect(() => unbound.build()).toThrow(/'nowhere'.*never bound/);

    const twice = new ProgramBuilder();
    const l = twice.newLabel('x');
    twice.bind(l);
    twice.bind(l);
    twice.emit(ins.ret(0));
    expect(() => twice.build()).toThrow(/bound twice/);

    const back = new ProgramBuilder();
    const top = back.newLabel('top');
    back.bind(top);
    back.emit(ins.loadWord(0));
    back.jump(top);
    back.emit(ins.ret(0));
    expect(() => back.build()).toThrow(/backwards/);

    const self = new ProgramBuilder();
    const me = self.newLabel('me');
    const end = self.newLabel('end');
    self.bind(me);
    self.jumpIf('jeq', 0, me, end);
    self.bind(end);
    self.emit(ins.ret(0));
    expect(() => self.build()).toThrow(/backwards/);

    const past = new ProgramBuilder();
    const after = past.newLabel('after');
    past.jump(after);
    past.emit(ins.ret(0));
    past.bind(after);
    expect(() => past.build()).toThrow(/after the last instruction/);

    expect(() => new ProgramBuilder().emit(ins.ja(0))).toThrow(BuildError);
  });

  it('property: random label programs, with jumps spanning thousands of instructions, build into valid filters that decide like the source', () => {
    const conds: JumpCond[] = ['jeq', 'jgt', 'jge', 'jset'];
    // A "source" program: a list of blocks; each block is either padding, a RET, or a conditional with symbolic targets.
    const block = fc.oneof(
      fc.record({ t: fc.constant('pad' as const), n: fc.integer({ min: 1, max: 400 }) }),
      fc.record({ t: fc.constant('ret' as const), v: fc.constantFrom(ALLOW, KILL, 0x50001, 0x50002) }),
      fc.record({ t: fc.constant('cond' as const), c: fc.constantFrom(...conds), k: fc.integer({ min: 0, max: 8 }), a: fc.nat(), b: fc.nat() }),
      fc.record({ t: fc.constant('ja' as const), a: fc.nat() }),
    );
    let built = 0;
    let withTrampolines = 0;
    fc.assert(fc.property(fc.array(block, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 9 }), (blocks, nr) => {
      const b = new ProgramBuilder();
      // Labels: one per block start, plus a final RET.
      const labels: Label[] = blocks.map((_, i) => b.newLabel(`b${i}`));
      const end = b.newLabel('end');
      const pick = (from: number, x: number): Label => {
        const choices = blocks.length - from - 1;
        return x % (choices + 1) === choices ? end : (labels[from + 1 + (x % (choices + 1))] as Label);
      };
      // Reference semantics computed alongside.
      b.emit(ins.loadWord(0));
      blocks.forEach((blk, i) => {
        b.bind(labels[i] as Label);
        if (blk.t === 'pad') for (let j = 0; j < blk.n; j++) b.emit(ins.loadConst(j, 'X'));
        else if (blk.t === 'ret') b.emit(ins.ret(blk.v));
        else if (blk.t === 'cond') b.jumpIf(blk.c, blk.k, pick(i, blk.a), pick(i, blk.b));
        else b.jump(pick(i, blk.a));
      });
      b.bind(end);
      b.emit(ins.ret(0x50003));
      const expected = (() => {
        let i = 0;
        const lbl = (l: Label): number => (l === end ? blocks.length : labels.indexOf(l));
        while (i < blocks.length) {
          const blk = blocks[i] as (typeof blocks)[number];
          if (blk.t === 'ret') return blk.v >>> 0;
          if (blk.t === 'pad') { i++; continue; }
          if (blk.t === 'ja') { i = lbl(pick(i, blk.a)); continue; }
          const ok = blk.c === 'jeq' ? nr === blk.k : blk.c === 'jgt' ? nr > blk.k : blk.c === 'jge' ? nr >= blk.k : (nr & blk.k) !== 0;
          i = lbl(pick(i, ok ? blk.a : blk.b));
        }
        return 0x50003;
      })();
      let p: Instruction[];
      try {
        p = b.build();
      } catch (e) {
        // Only a too-long program may be refused.
        expect((e as Error).message).toMatch(/at most 4096/);
        return;
      }
      expect(validate(p)).toEqual({ ok: true });
      expect(run(p, nr)).toBe(expected);
      built++;
      if (p.length > b.length) withTrampolines++;
    }), { numRuns: 300 });
    expect(built).toBeGreaterThan(100);
    expect(withTrampolines).toBeGreaterThan(20);
  });
});
