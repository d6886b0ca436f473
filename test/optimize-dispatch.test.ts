import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ins } from '../src/bpf/instructions.js';
import { ProgramBuilder, type Label } from '../src/bpf/builder.js';
import { interpret } from '../src/emulator/interpreter.js';
import { linearDispatch, type DispatchSection, type DispatchStrategy } from '../src/compiler/dispatch/index.js';
import { dispatchRuns, rangeDispatch, rangeTreeDispatch, type RangeDispatchOptions } from '../src/compiler/dispatch/index.js';
import { optimizeProgram } from '../src/compiler/optimize/index.js';
import { syscallTable } from '../src/syscalls/resolve.js';
import type { ArchName } from '../src/syscalls/arch.js';

const ALLOW = 0x7fff0000;
const ENOSYS = 0x00050026;
const DOMAINS: Record<ArchName, { min: number; max: number }> = {
  x86_64: { min: 0, max: 0x3fffffff },
  x32: { min: 0x40000000, max: 0xffffffff },
  i386: { min: 0, max: 0xffffffff },
};

interface SectionSpec {
  arch: ArchName;
  cases: { nr: number; key: number }[];
  /** Per key: its return value, and whether the body is a single RET (a constant). */
  bodies: { value: number; constant: boolean }[];
  defaultValue: number;
  enosysAbove?: number;
}

const specArb: fc.Arbitrary<SectionSpec> = fc.constantFrom<ArchName>('x86_64', 'x32', 'i386').chain((arch) => {
  const table = syscallTable(arch).map((e) => e.nr as number);
  const { min, max } = DOMAINS[arch];
  const nr = fc.oneof(fc.constantFrom(...table), fc.integer({ min, max }), fc.integer({ min, max: Math.min(max, min + 600) }));
  return fc.record({
    arch: fc.constant(arch),
    cases: fc.uniqueArray(fc.record({ nr, key: fc.nat({ max: 4 }) }), { selector: (c) => c.nr, maxLength: 120 })
      .map((cs) => cs.sort((a, b) => a.nr - b.nr)),
    bodies: fc.array(fc.record({ value: fc.constantFrom(ALLOW, 0x00050001, 0x80000000, 0x00030000, 0x7ffc0000), constant: fc.boolean() }),
      { minLength: 5, maxLength: 5 }),
    defaultValue: fc.constantFrom(ALLOW, 0x00050001, 0x80000000),
    enosysAbove: fc.option(fc.integer({ min, max: Math.min(max, min + 500) }), { nil: undefined }),
  });
});

/** A complete program: load nr, dispatch, then one RET per body. Non-constant bodies get a distinct value. */
function build(spec: SectionSpec, strategy: DispatchStrategy) {
  const b = new ProgramBuilder();
  const bodyValue = (key: number) => {
    const body = spec.bodies[key]!;
    return body.constant ? body.value : (0x00050100 + key) >>> 0;
  };
  const bodyLabels = spec.bodies.map(() => b.newLabel());
  const defaultLabel = b.newLabel();
  const enosysLabel = b.newLabel();
  const section: DispatchSection<Label> = {
    arch: spec.arch,
    domain: DOMAINS[spec.arch],
    cases: spec.cases.map((c) => ({
      nr: c.nr, target: bodyLabels[c.key]!, key: `k${c.key}`,
      ...(spec.bodies[c.key]!.constant && { constant: bodyValue(c.key) }),
    })),
    defaultTarget: defaultLabel,
    defaultConstant: spec.defaultValue,
    ...(spec.enosysAbove !== undefined && { enosys: { above: spec.enosysAbove, target: enosysLabel, constant: ENOSYS } }),
  };
  b.emit(ins.loadWord(0));
  strategy.emit(b, section);
  spec.bodies.forEach((_, k) => { b.bind(bodyLabels[k]!); b.emit(ins.ret(bodyValue(k))); });
  b.bind(defaultLabel);
  b.emit(ins.ret(spec.defaultValue));
  b.bind(enosysLabel);
  b.emit(ins.ret(ENOSYS));
  const expected = (nr: number): number => {
    const c = spec.cases.find((x) => x.nr === nr);
    if (c) return bodyValue(c.key);
    if (spec.enosysAbove !== undefined && nr > spec.enosysAbove) return ENOSYS;
    return spec.defaultValue;
  };
  return { program: b.build(), expected };
}

function probes(spec: SectionSpec, extra: readonly number[]): number[] {
  const { min, max } = DOMAINS[spec.arch];
  const around = spec.cases.flatMap((c) => [c.nr - 1, c.nr, c.nr + 1]);
  const guard = spec.enosysAbove === undefined ? [] : [spec.enosysAbove, spec.enosysAbove + 1];
  return [...new Set([min, max, ...around, ...guard, ...extra])].filter((n) => n >= min && n <= max);
}

const words = (nr: number) => {
  const w = new Uint32Array(16);
  w[0] = nr;
  return w;
};

const OPTIONS: RangeDispatchOptions[] = [{}, { shape: 'balanced' }, { hot: [0, 1, 3, 0x40000001, 231] }];

describe('range-tree dispatch', () => {
  it('sends every number where the section says, like the linear search, in fewer tests', () => {
    fc.assert(fc.property(specArb, fc.constantFrom(...OPTIONS), fc.array(fc.nat(), { maxLength: 20 }),
      (spec, options, randoms) => {
        const ours = build(spec, rangeDispatch(options));
        const linear = build(spec, linearDispatch);
        const { min, max } = DOMAINS[spec.arch];
        const extra = randoms.map((r) => min + (r % (max - min + 1)));
        for (const nr of probes(spec, extra)) {
          const got = interpret(ours.program, words(nr)).raw;
          expect(got).toBe(ours.expected(nr));
          expect(interpret(linear.program, words(nr)).raw).toBe(got);
          expect(interpret(optimizeProgram(ours.program), words(nr)).raw).toBe(got);
        }
      }), { numRuns: 300 });
  });

  it('only ever tests nr, and never needs more tests than the tree has levels', () => {
    fc.assert(fc.property(specArb, (spec) => {
      const { program } = build(spec, rangeTreeDispatch);
      for (const x of program.slice(1)) expect(x.kind === 'ld_abs' || x.kind === 'ld_mem').toBe(false);
      const runs = dispatchRuns({ ...sectionShape(spec) });
      // An optimal tree over r runs is no deeper than r - 1 and no shallower than log2(r).
      const worst = Math.max(...probes(spec, []).map((nr) => interpret(program, words(nr)).executed));
      expect(worst).toBeLessThanOrEqual(Math.max(runs.length - 1, 0) + 3);
    }), { numRuns: 100 });
  });

  it('merges neighbouring numbers that decide alike into one run, constants across keys included', () => {
    const runs = dispatchRuns(sectionShape({
      arch: 'x86_64',
      cases: [{ nr: 0, key: 0 }, { nr: 1, key: 0 }, { nr: 2, key: 1 }, { nr: 3, key: 2 }, { nr: 5, key: 0 }],
      bodies: [{ value: ALLOW, constant: true }, { value: ALLOW, constant: true }, { value: ALLOW, constant: false },
        { value: 0, constant: false }, { value: 0, constant: false }],
      defaultValue: 0x00050001,
    }));
    expect(runs.map((r) => [r.lo, r.hi])).toEqual([[0, 2], [3, 3], [4, 4], [5, 5], [6, 0x3fffffff]]);
  });

  it('lets holes of the numbering join a neighbour only when asked, and never above the table', () => {
    const table = syscallTable('x86_64').map((e) => e.nr as number);
    const holes: number[] = [];
    for (let n = 0; n < table[table.length - 1]!; n++) if (!table.includes(n)) holes.push(n);
    expect(holes.length).toBeGreaterThan(0);
    const spec: SectionSpec = {
      arch: 'x86_64',
      cases: table.filter((n) => n % 3 !== 0 || n > 300).map((nr) => ({ nr, key: 0 })),
      bodies: Array.from({ length: 5 }, () => ({ value: ALLOW, constant: true })),
      defaultValue: 0x00050001,
    };
    const exact = dispatchRuns(sectionShape(spec));
    const free = dispatchRuns(sectionShape(spec), { freeHoles: true });
    expect(free.length).toBeLessThan(exact.length);
    const last = free[free.length - 1]!;
    expect(last.lo).toBe(table[table.length - 1]! + 1);
    expect(last.out?.id).toBe('ret:327681');
    // Under the ENOSYS guard every number keeps its meaning.
    const guarded = { ...spec, enosysAbove: table[table.length - 1]! };
    expect(dispatchRuns(sectionShape(guarded), { freeHoles: true })).toEqual(dispatchRuns(sectionShape(guarded)));
  });
});

function sectionShape(spec: SectionSpec): DispatchSection<string> {
  return {
    arch: spec.arch,
    domain: DOMAINS[spec.arch],
    cases: spec.cases.map((c) => ({
      nr: c.nr, target: `k${c.key}`, key: `k${c.key}`,
      ...(spec.bodies[c.key]!.constant && { constant: spec.bodies[c.key]!.value }),
    })),
    defaultTarget: 'default',
    defaultConstant: spec.defaultValue,
    ...(spec.enosysAbove !== undefined && { enosys: { above: spec.enosysAbove, target: 'enosys', constant: ENOSYS } }),
  };
}
