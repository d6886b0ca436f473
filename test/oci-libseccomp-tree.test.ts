/**
 * The model of libseccomp 2.5.4's per-syscall decision tree (src/policy/oci/libseccomp-tree.ts) and its writing as
 * policy rules (tree-rules.ts), without libseccomp: the rules decide every call as the modelled filter does, the
 * example of issue 11 depends on the rule order as libseccomp's does, and libseccomp's hang and EEXIST are
 * recognised. test/oci-random-differential.test.ts compares the whole import with libseccomp itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import { buildSyscallTree, TreeConflict, TreeHang, treeVerdict, type TreeRule } from '../src/policy/oci/libseccomp-tree.js';
import { importProfile } from '../src/policy/oci/index.js';
import { treeRules, TreeNotExpressible } from '../src/policy/oci/tree-rules.js';
import type { ArgCondition, Policy } from '../src/policy/types.js';
import { decodeAction, encodeAction } from '../src/syscalls/actions.js';

const DEFAULT = 0x00050063; // ERRNO(99), an action no rule has
const CODES = [0x80000000, 0, 0x00030000, 0x00050001, 0x00050002, 0x7ff00000, 0x7ffc0000, 0x7fff0000];
const constant = fc.oneof(
  fc.bigInt({ min: 0n, max: 300n }),
  fc.constantFrom(0xffffffffn, 0x100000000n, 0x100000001n, 1n << 40n, (1n << 64n) - 1n),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);
const condition: fc.Arbitrary<ArgCondition> = fc.oneof(
  fc.record({ arg: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>, op: fc.constantFrom('eq', 'ne', 'lt', 'le', 'gt', 'ge') as fc.Arbitrary<'eq'>, value: constant }),
  fc.record({ arg: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>, mask: fc.constantFrom(1n, 3n, 0xf0n, 0x100000000n, 0x100000001n), value: constant })
    .map(({ arg, mask, value }): ArgCondition => ({ arg, op: 'masked_eq', mask, value: value & mask })),
);
/** A rule as runc hands it to libseccomp: at most one test per argument. */
const rule: fc.Arbitrary<TreeRule> = fc.record({
  code: fc.constantFrom(...CODES),
  conditions: fc.uniqueArray(condition, { minLength: 1, maxLength: 3, selector: (c) => c.arg }),
});

const narrow = (r: TreeRule): TreeRule => ({
  code: r.code,
  conditions: r.conditions
    .map((c): ArgCondition => (c.op === 'masked_eq' ? { ...c, mask: c.mask & 0xffffffffn, value: c.value & 0xffffffffn } : { ...c, value: c.value & 0xffffffffn }))
    .filter((c) => c.op !== 'masked_eq' || c.mask !== 0n),
});

/** Argument values near the rules' constants, their halves, and random ones. */
function argumentsFor(rules: readonly TreeRule[], seed: number, count: number): bigint[][] {
  const pool = [0n, 1n, 0xffffffffn, 1n << 32n, (1n << 64n) - 1n];
  for (const r of rules) {
    for (const c of r.conditions) {
      for (const v of [c.value, c.value + 1n, c.value - 1n, c.value & 0xffffffffn, c.value >> 32n, (c.value & 0xffffffffn) | (7n << 32n)]) pool.push(BigInt.asUintN(64, v));
    }
  }
  const out: bigint[][] = [];
  let s = BigInt(seed) + 1n;
  const next = (): bigint => (s = BigInt.asUintN(64, s * 6364136223846793005n + 1442695040888963407n));
  for (let i = 0; i < count; i++) {
    out.push([0, 1, 2].map(() => (next() % 4n === 0n ? next() : pool[Number(next() % BigInt(pool.length))]!)));
  }
  return out;
}

describe("libseccomp's tree written as policy rules", () => {
  for (const wide of [true, false]) {
    it(`the rules decide every call as the modelled filter (${wide ? 'x86_64, 64-bit' : 'i386, 32-bit'} comparisons) (property)`, () => {
      const stats = { compared: 0, refused: 0, notExpressible: 0 };
      fc.assert(fc.property(fc.array(rule, { minLength: 2, maxLength: 5 }), fc.nat(1000), (raw, seed) => {
        const rules = wide ? raw : raw.map(narrow);
        let tree;
        try {
          tree = buildSyscallTree(rules, wide);
        } catch (err) {
          if (!(err instanceof TreeConflict) && !(err instanceof TreeHang)) throw err;
          stats.refused++;
          return;
        }
        let written;
        try {
          written = treeRules(tree, 0, DEFAULT);
        } catch (err) {
          if (!(err instanceof TreeNotExpressible)) throw err;
          stats.notExpressible++;
          return;
        }
        const abi = wide ? 'x86_64' : 'i386';
        const policy: Policy = {
          defaultAction: decodeAction(DEFAULT), arches: [abi],
          rules: written.map((w) => ({ syscalls: [{ arch: abi, nr: wide ? 0 : 3 }], action: decodeAction(w.code), conditions: w.conditions })),
        };
        for (const args of argumentsFor(rules, seed, 300)) {
          const expected = treeVerdict(tree, args)?.code ?? DEFAULT;
          const got = encodeAction(evaluatePolicy(policy, { arch: abi, nr: wide ? 0 : 3, args }));
          if (got !== expected) throw new Error(`args ${args.map((a) => `0x${a.toString(16)}`).join(', ')}: rules 0x${got.toString(16)}, tree 0x${expected.toString(16)}`);
        }
        stats.compared++;
      }), { numRuns: 300 });
      expect(stats.compared).toBeGreaterThan(150);
      expect(stats.notExpressible).toBeLessThan(60);
    });
  }

  it('the example of issue 11: the verdict for a2 = 2^40 follows the order the rules are added', () => {
    const rules: Record<string, TreeRule> = {
      e5: { code: 0x00050005, conditions: [{ arg: 2, op: 'gt', value: 100n }] },
      e6: { code: 0x00050006, conditions: [{ arg: 2, op: 'gt', value: 200n }] },
      kill: { code: 0, conditions: [{ arg: 2, op: 'lt', value: 50n }] },
    };
    const orders = [['e5', 'e6', 'kill'], ['e5', 'kill', 'e6'], ['e6', 'e5', 'kill'], ['e6', 'kill', 'e5'], ['kill', 'e5', 'e6'], ['kill', 'e6', 'e5']];
    const verdicts = orders.map((o) => treeVerdict(buildSyscallTree(o.map((k) => rules[k]!), true), [0n, 0n, 1n << 40n])?.code);
    expect(verdicts).toEqual([0x00050006, 0x00050006, 0x00050006, 0x00050006, 0x00050006, 0x00050005]);
    // Whatever the order, calls below 50 are killed and calls between 101 and 200 get ERRNO(5).
    for (const o of orders) {
      const tree = buildSyscallTree(o.map((k) => rules[k]!), true);
      expect(treeVerdict(tree, [0n, 0n, 10n])?.code).toBe(0);
      expect(treeVerdict(tree, [0n, 0n, 150n])?.code).toBe(0x00050005);
      expect(treeVerdict(tree, [0n, 0n, 60n])).toBeUndefined();
    }
  });

  it('rules libseccomp never finishes adding, and rules it refuses (EEXIST), are recognised', () => {
    const allow = 0x7fff0000;
    expect(() => buildSyscallTree([
      { code: allow, conditions: [{ arg: 0, op: 'ne', value: 1n }, { arg: 1, op: 'ne', value: 2n }] },
      { code: allow, conditions: [{ arg: 0, op: 'ne', value: 1n }, { arg: 2, op: 'ne', value: 3n }] },
    ], true)).toThrow(TreeHang);
    expect(() => buildSyscallTree([
      { code: allow, conditions: [{ arg: 0, op: 'eq', value: 1n }] },
      { code: 0x00030000, conditions: [{ arg: 0, op: 'eq', value: 1n }] },
    ], true)).toThrow(TreeConflict);
    // Through the import: one-line errors naming both entries.
    const hang = `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
      {"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_NE"},{"index":1,"value":2,"op":"SCMP_CMP_NE"}]},
      {"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_NE"},{"index":2,"value":3,"op":"SCMP_CMP_NE"}]},
      {"names":["read"],"action":"SCMP_ACT_KILL","args":[{"index":3,"value":5,"op":"SCMP_CMP_GT"}]}]}`;
    expect(() => importProfile(hang)).toThrow("syscalls[1]: libseccomp 2.5.4 never finishes adding the rule ALLOW for 'read' after the rule " +
      "ALLOW for 'read' at syscalls[0] (it loops merging their tests), so runc hangs: make their conditions disjoint");
  });
});

describe('ways no call takes', () => {
  it('a word that must equal a value it must also differ from gives no rule (found by the i386 property)', () => {
    const rules: TreeRule[] = [
      { code: 0x80000000, conditions: [{ arg: 1, op: 'lt', value: 0xffffffffn }] },
      { code: 0x80000000, conditions: [{ arg: 0, op: 'masked_eq', mask: 1n, value: 1n }] },
      { code: 0x00030000, conditions: [{ arg: 1, op: 'eq', value: 0xffffffffn }] },
    ];
    const tree = buildSyscallTree(rules, false);
    const written = treeRules(tree, 3, DEFAULT);
    const args = [0x2eaa45453438784bn, 0xffffffffn, 0n];
    expect(treeVerdict(tree, args)?.code).toBe(0x00030000);
    const policy: Policy = {
      defaultAction: decodeAction(DEFAULT), arches: ['i386'],
      rules: written.map((w) => ({ syscalls: [{ arch: 'i386', nr: 3 }], action: decodeAction(w.code), conditions: w.conditions })),
    };
    expect(encodeAction(evaluatePolicy(policy, { arch: 'i386', nr: 3, args }))).toBe(0x00030000);
  });
});
