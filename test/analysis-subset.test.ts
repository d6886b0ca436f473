/**
 * `subsetOf` / `seccomp-ts subset`: A allows nothing B denies. Checked against brute force on random policies
 * (calls biased toward the policies' own numbers and constants), witnesses run on both filters, and on the
 * built-in profiles.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { letsThrough, subsetOf } from '../src/analysis/subset.js';
import { compilePolicy } from '../src/compiler/index.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { seccompData } from '../src/emulator/data.js';
import { prepareFilter } from '../src/emulator/executor.js';
import { getProfile } from '../src/policy/profiles/index.js';
import { tunePolicy } from '../src/policy/tune.js';
import type { Policy } from '../src/policy/types.js';
import { isUnfiltered } from '../src/syscalls/unfiltered.js';
import { COMMON_SYSCALLS, policyArb } from '../src/testing/index.js';
import { callArb } from './compiler-arbitraries.js';
import { cli } from './support/cli.js';

const seed = Number(process.env.SECCOMP_TS_SEED ?? Date.now() % 2 ** 31);
const compiled = (p: Policy) => compilePolicy(p, performanceCompileOptions()).program;

describe('subsetOf', () => {
  it('agrees with brute force on random policies, and every witness breaks the inclusion', () => {
    const pair = fc.tuple(
      policyArb({ syscalls: COMMON_SYSCALLS.slice(0, 6), arches: ['x86_64', 'i386'], maxRules: 5 }),
      policyArb({ syscalls: COMMON_SYSCALLS.slice(0, 6), arches: ['x86_64', 'i386'], maxRules: 5 }),
    );
    let subsets = 0;
    let violations = 0;
    fc.assert(fc.property(pair, fc.integer({ min: 0, max: 3 }), ([a, b0], same) => {
      // Often make B a loosening or a copy of A, so that inclusions hold as well as fail.
      const b = same === 0 ? a : same === 1 ? { ...b0, rules: [...a.rules, ...b0.rules], defaultAction: { kind: 'ALLOW' as const } } : b0;
      const pa = compiled(a);
      const pb = compiled(b);
      const r = subsetOf(pa, pb);
      expect(r.exhaustive).toBe(true);
      const fa = prepareFilter(pa);
      const fb = prepareFilter(pb);
      for (const v of r.violations) {
        expect(letsThrough(fa.run(v.witness.words))).toBe(true);
        expect(letsThrough(fb.run(v.witness.words))).toBe(false);
      }
      const calls = fc.sample(fc.oneof(callArb(a), callArb(b)), { numRuns: 300, seed });
      const broken = calls.filter((c) => c.auditArch === undefined && !isUnfiltered(c.arch, c.nr)).find((c) => {
        const data = seccompData({ arch: c.arch, nr: c.nr, args: c.args });
        return letsThrough(fa.run(data)) && !letsThrough(fb.run(data));
      });
      if (broken !== undefined) expect(r.subset).toBe(false);
      if (same === 0) expect(r.subset).toBe(true);
      if (r.subset) subsets++;
      else violations++;
    }), { seed, numRuns: 60 });
    expect(subsets).toBeGreaterThan(5);
    expect(violations).toBeGreaterThan(5);
  });

  it('on the built-ins: a tuned-down profile is a subset of its base, not the other way round', () => {
    const dd = getProfile('docker-default');
    const tighter = tunePolicy(dd, ['deny:mkdir', 'deny:ptrace']);
    expect(subsetOf(compiled(tighter), compiled(dd)).subset).toBe(true);
    const back = subsetOf(compiled(dd), compiled(tighter));
    expect(back.subset).toBe(false);
    expect(new Set(back.violations.flatMap((v) => v.syscalls.map((s) => s.name)))).toEqual(new Set(['mkdir', 'ptrace']));
    // hardened allows what docker-default denies (mount, for one), and the reverse holds for some socket families.
    expect(subsetOf(compiled(getProfile('hardened')), compiled(dd)).violations.some((v) => v.syscalls.some((s) => s.name === 'mount'))).toBe(true);
  });

  it('ignores calls Linux never filters', () => {
    const allowAll: Policy = { defaultAction: { kind: 'ALLOW' }, arches: ['x86_64'], rules: [] };
    const denyUprobes: Policy = { defaultAction: { kind: 'ALLOW' }, arches: ['x86_64'], rules: [{ syscalls: ['uprobe', 'uretprobe'], action: { kind: 'ERRNO', data: 1 } }] };
    expect(subsetOf(compiled(allowAll), compiled(denyUprobes)).subset).toBe(true);
  });
});

describe('seccomp-ts subset', () => {
  it('exit 0 with one line, 1 with witnesses in the diff style, 2 on bad input', async () => {
    const yes = await cli(['subset', 'profile:docker-default', 'profile:docker-default']);
    expect([yes.code, yes.stdout]).toEqual([0, 'subset: profile:docker-default allows nothing that profile:docker-default denies\n']);
    const no = await cli(['subset', 'profile:hardened', 'profile:docker-default', '--arch', 'x86_64', '--json']);
    expect(no.code).toBe(1);
    const json = JSON.parse(no.stdout) as { subset: boolean; violations: { a: { action: string }; b: { action: string }; witness: { nr: number } }[] };
    expect(json.subset).toBe(false);
    expect(json.violations.every((v) => v.a.action === 'ALLOW' && v.b.action !== 'ALLOW')).toBe(true);
    const text = await cli(['subset', 'profile:hardened', 'profile:docker-default', '--arch', 'x86_64']);
    expect(text.stdout).toMatch(/^not a subset: profile:hardened allows \d+ classes of calls that profile:docker-default denies\n/);
    expect(text.stdout).toContain('    witness: x86_64 nr=');
    const bad = await cli(['subset', 'profile:hardened']);
    expect([bad.code, bad.stderr]).toEqual([2, 'seccomp-ts: subset: name two filters or policies A and B\n']);
  });
});
