/**
 * User-namespace ID maps: the kernel model against the running kernel (root and an unprivileged owner),
 * translation, subordinate files, allocation and the `:U` plan, by properties and examples.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  kernelMapWrite, parseSubordinateIds, parseSubordinateStrict, rangesOf, toHost, toContainer, shownInside,
  sharedMap, perContainerMaps, sharedHostIds, outsideRanges, normaliseRanges, toProcLines, toOciMappings,
  parseIdMap, fromOciMappings, dockerRemapView, newIdMapProblem, planChown, IdMapError,
  type IdMap, type IdExtent, type MapWriter,
} from '../src/userns/index.js';
import { kernelMapAnswers, usernsOracleMissing, type MapCase } from './support/userns-oracle.js';
import { itWhen } from './support/require.js';

const seed = Number(process.env.SECCOMP_TS_SEED ?? Date.now() % 2 ** 31);

/** Numbers near every boundary the kernel checks, and some ordinary ones. */
const idValue = fc.oneof(
  fc.constantFrom(0, 1, 2, 1000, 65534, 65535, 65536, 100000, 0xffff_fffe, 0xffff_ffff),
  fc.integer({ min: 0, max: 200 }),
  fc.integer({ min: 0, max: 0xffff_ffff }),
  fc.constant(0x1_0000_0000 + 5), // wraps to 5 in simple_strtoul's u32
);

const separator = fc.oneof(
  { weight: 20, arbitrary: fc.constant(' ') },
  { weight: 1, arbitrary: fc.constantFrom('\t', '   ', '\v', '\f', '\r', '\xa0', '') },
);

/** Map text: mostly well-formed lines, some overlapping, wrapping, junk-laden or empty, occasionally 339-341 lines. */
const mapText = fc.oneof(
  { weight: 10, arbitrary: fc.array(fc.tuple(idValue, idValue, idValue, separator, separator, fc.constantFrom('', '', '', '', '', '', '', '', ' ', 'x', ' 7')), { minLength: 0, maxLength: 5 })
    .chain((lines) => fc.tuple(fc.constant(lines), fc.constantFrom('\n', '', '\n\n', ' \n'), fc.constantFrom('', '', ' ', '\t')))
    .map(([lines, end, lead]) => lines.map(([a, b, c, s1, s2, tail]) => `${lead}${a}${s1}${b}${s2}${c}${tail}`).join('\n') + end) },
  { weight: 5, arbitrary: fc.tuple(fc.integer({ min: 0, max: 100000 }), fc.integer({ min: 0, max: 100000 }), fc.integer({ min: 1, max: 70000 }), fc.integer({ min: 1, max: 70000 }), fc.integer({ min: -3, max: 3 }))
    .map(([a, b, c, d, shift]) => `${a} ${b} ${c}\n${a + c + shift} ${b + shift * 7} ${d}\n`) },
  { weight: 5, arbitrary: fc.tuple(disjointMap(), separator).map(([map, sep]) => map.map((e) => `${e.containerId}${sep}${e.hostId} ${e.size}`).join('\n')) },
  { weight: 1, arbitrary: fc.integer({ min: 338, max: 341 }).map((n) => Array.from({ length: n }, (_, i) => `${i} ${i + 1000} 1`).join('\n') + '\n') },
);

const root: MapWriter = { privileged: true, euid: 0, egid: 0 };

describe('ID maps against the kernel', () => {
  const check = (cases: MapCase[], unprivileged: boolean): void => {
    const { answers, euid, egid } = kernelMapAnswers(cases, unprivileged);
    const writer = (c: MapCase): MapWriter =>
      unprivileged ? { privileged: false, euid, egid, setgroupsDenied: c.denySetgroups === true } : { ...root, euid, egid };
    const disagreements: string[] = [];
    const counts = { accepted: 0, EINVAL: 0, EPERM: 0 };
    cases.forEach((c, i) => {
      const model = kernelMapWrite(new Uint8Array(Buffer.from(c.data, 'latin1')), c.kind, writer(c));
      const kernel = answers[i]!;
      const expected = model.ok ? toProcLines(model.map) : model.errno;
      if (model.ok) counts.accepted++;
      else counts[model.errno]++;
      if (kernel !== expected) disagreements.push(`${c.kind} ${JSON.stringify(c.data)}: kernel ${JSON.stringify(kernel)}, model ${JSON.stringify(model)}`);
    });
    console.log(`[userns] seed ${seed}: ${cases.length} ${unprivileged ? 'unprivileged' : 'root'} map writes, ${JSON.stringify(counts)}, ${disagreements.length} disagreements`);
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(counts.accepted).toBeGreaterThan(cases.length * (unprivileged ? 0.08 : 0.2));
    if (unprivileged) expect(counts.EPERM).toBeGreaterThan(cases.length * 0.1);
    expect(counts.EINVAL).toBeGreaterThan(cases.length / 10);
  };

  itWhen(usernsOracleMissing(), 'accepts and refuses exactly as the kernel does for root (1,000 random maps)', () => {
    const cases = fc.sample(fc.record({ kind: fc.constantFrom('uid' as const, 'gid' as const), data: mapText, denySetgroups: fc.boolean() }), { numRuns: 1000, seed })
      .map((c) => ({ ...c, denySetgroups: c.kind === 'gid' && c.denySetgroups && c.data.length % 5 === 0 }));
    check(cases, false);
  });

  itWhen(usernsOracleMissing(true), 'accepts and refuses exactly as the kernel does for an unprivileged owner (400 maps)', () => {
    const own = fc.constantFrom('0 65534 1', '0 65534 1\n', '5 65534 1\n', '0 65534 2\n', '0 65533 1\n', '0 65534 1\n1 100000 1\n', '4294967295 65534 1\n');
    const cases = fc.sample(fc.record({ kind: fc.constantFrom('uid' as const, 'gid' as const), data: fc.oneof(own, mapText), denySetgroups: fc.boolean() }), { numRuns: 400, seed: seed + 1 })
      .map((c) => ({ ...c, denySetgroups: c.kind === 'gid' && c.denySetgroups }));
    check(cases, true);
  });
});

/** The kernel's rules stated plainly over extents, as a second model for maps written in canonical form. */
function referenceVerdict(map: readonly IdExtent[]): 'ok' | 'EINVAL' {
  if (map.length === 0 || map.length > 340) return 'EINVAL';
  for (const [i, e] of map.entries()) {
    if (e.size === 0 || e.containerId === 0xffff_ffff || e.hostId === 0xffff_ffff) return 'EINVAL';
    if (e.containerId + e.size > 0xffff_ffff || e.hostId + e.size > 0xffff_ffff) return 'EINVAL';
    for (const p of map.slice(0, i)) {
      const meets = (a: number, b: number): boolean => a < b + p.size && b < a + e.size;
      if (meets(e.containerId, p.containerId) || meets(e.hostId, p.hostId)) return 'EINVAL';
    }
  }
  return 'ok';
}

describe('kernel map model', () => {
  it('names the line and the reason of a refusal', () => {
    expect(kernelMapWrite('0 100000 65536\n10 200000 5\n', 'uid', root)).toMatchObject({ ok: false, errno: 'EINVAL', line: 2, reason: 'inside range overlaps line 1' });
    expect(kernelMapWrite('0 4294967295 1', 'uid', root)).toMatchObject({ ok: false, errno: 'EINVAL', line: 1 });
    expect(kernelMapWrite('0 1000 1', 'uid', { privileged: false, euid: 1000, egid: 1000 })).toMatchObject({ ok: true });
    expect(kernelMapWrite('0 1000 1', 'gid', { privileged: false, euid: 1000, egid: 1000 })).toMatchObject({ ok: false, errno: 'EPERM', reason: expect.stringContaining('setgroups') });
    expect(kernelMapWrite('0 0 1', 'uid', { privileged: true, canSetFcap: false, euid: 0, egid: 0 })).toMatchObject({ ok: false, errno: 'EPERM', reason: expect.stringContaining('CAP_SETFCAP') });
    const parent: IdMap = [{ containerId: 0, hostId: 100000, size: 65536 }];
    expect(kernelMapWrite('0 65000 1000', 'uid', { ...root, parentMap: parent })).toMatchObject({ ok: false, errno: 'EPERM', line: 1 });
    expect(kernelMapWrite('0 1000 1000', 'uid', { ...root, parentMap: parent })).toMatchObject({ ok: true });
  });

  it('agrees with a plain statement of the rules on random extents near the boundaries', () => {
    const edge = fc.oneof(fc.constantFrom(0, 1, 0xffff_fffe, 0xffff_ffff, 0x8000_0000), fc.integer({ min: 0, max: 300 }), fc.nat(0xffff_ffff));
    const extent = fc.record({ containerId: edge, hostId: edge, size: edge });
    fc.assert(fc.property(fc.array(extent, { minLength: 1, maxLength: 6 }), (map) => {
      const model = kernelMapWrite(toProcLines(map), 'uid', root);
      expect(model.ok ? 'ok' : model.errno).toBe(referenceVerdict(map));
    }), { seed, numRuns: 2000 });
  });

  it('accepts every map of disjoint extents a runtime would write, and keeps their order', () => {
    fc.assert(fc.property(disjointMap(), (map) => {
      const verdict = kernelMapWrite(toProcLines(map), 'uid', root);
      expect(verdict).toEqual({ ok: true, map });
    }), { seed, numRuns: 300 });
  });
});

/** Random maps of 1-8 extents with disjoint inside and outside ranges. */
function disjointMap(maxExtents = 8): fc.Arbitrary<IdExtent[]> {
  return fc.array(fc.tuple(fc.integer({ min: 1, max: 100000 }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 })), { minLength: 1, maxLength: maxExtents })
    .chain((sizes) => fc.shuffledSubarray(sizes.map((_, i) => i), { minLength: sizes.length, maxLength: sizes.length }).map((order) => {
      let inside = 0;
      const insideStarts = sizes.map(([size, gap]) => { const s = inside + gap; inside = s + size; return s; });
      let outside = 0;
      const outsideStarts: number[] = new Array(sizes.length);
      for (const i of order) { const [size, , gap] = sizes[i]!; outsideStarts[i] = outside + gap; outside = outsideStarts[i]! + size; }
      return sizes.map(([size], i) => ({ containerId: insideStarts[i]!, hostId: outsideStarts[i]!, size }));
    }));
}

describe('translation', () => {
  it('is a bijection between the mapped IDs on both sides', () => {
    fc.assert(fc.property(disjointMap(), fc.nat(), (map, pick) => {
      const total = map.reduce((n, e) => n + e.size, 0);
      let k = pick % total;
      const e = map.find((x) => (k < x.size ? true : ((k -= x.size), false)))!;
      const id = e.containerId + k;
      const host = toHost(map, id)!;
      expect(host).toBe(e.hostId + k);
      expect(toContainer(map, host)).toBe(id);
      expect(shownInside(map, host)).toBe(id);
    }), { seed, numRuns: 300 });
  });

  it('shows an unmapped host ID as the overflow ID 65534 and has no host ID for an unmapped container ID', () => {
    const map: IdMap = [{ containerId: 0, hostId: 100000, size: 65536 }];
    expect(shownInside(map, 0)).toBe(65534);
    expect(toContainer(map, 99999)).toBeUndefined();
    expect(toHost(map, 65536)).toBeUndefined();
    expect(toHost(map, 65535)).toBe(165535);
  });
});

describe('subordinate ID files', () => {
  it('reads names and numeric owners, skips comments and blank lines, reports bad lines by number', () => {
    const text = '# comment\nalice:100000:65536\n\n1001:165536:65536\nbob:x:1\ncarol:1:0\nbad line\n  dave:300000:10  \nerin:4294967290:10\n';
    const parsed = parseSubordinateIds(text);
    expect(parsed.ranges.map((r) => [r.owner, r.start, r.count, r.line])).toEqual([
      ['alice', 100000, 65536, 2], ['1001', 165536, 65536, 4], ['dave', 300000, 10, 8],
    ]);
    expect(parsed.problems.map((p) => p.line)).toEqual([5, 6, 7, 9]);
    expect(rangesOf(parsed.ranges, { name: 'alice', uid: 1001 }).map((r) => r.start)).toEqual([100000, 165536]);
    expect(() => parseSubordinateStrict(text, '/etc/subuid')).toThrow(new IdMapError('/etc/subuid:5', 'start "x" is not a decimal number'));
  });
});

const subRanges = fc.array(fc.record({ start: fc.integer({ min: 1, max: 1_000_000 }), count: fc.integer({ min: 1, max: 200_000 }) }), { minLength: 1, maxLength: 5 });

describe('allocation', () => {
  it('case 2: blocks never overlap, lie in the subordinate ranges, and each is a valid map of the requested size', () => {
    fc.assert(fc.property(subRanges, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 70_000 }), (ranges, containers, size) => {
      const free = normaliseRanges(ranges).reduce((n, r) => n + r.count, 0);
      if (free < containers * size) {
        expect(() => perContainerMaps(ranges, { containers, size })).toThrow(IdMapError);
        return;
      }
      const maps = perContainerMaps(ranges, { containers, size });
      expect(maps).toHaveLength(containers);
      expect(sharedHostIds(maps)).toEqual([]);
      for (const map of maps) {
        expect(map.reduce((n, e) => n + e.size, 0)).toBe(size);
        expect(outsideRanges(map, ranges)).toEqual([]);
        expect(newIdMapProblem(map, 'uid', 1000, ranges)).toBeUndefined();
        expect(kernelMapWrite(toProcLines(map), 'uid', root).ok).toBe(true);
      }
      // A later allocation that avoids these blocks shares nothing with them.
      const more = free - containers * size >= size ? perContainerMaps(ranges, { containers: 1, size, inUse: maps }) : [];
      expect(sharedHostIds([...maps, ...more])).toEqual([]);
    }), { seed, numRuns: 300 });
  });

  it("case 1: Docker's remap stacks the ranges sorted by start from container ID 0", () => {
    const map = sharedMap([{ start: 300000, count: 10 }, { start: 100000, count: 65536 }]);
    expect(map).toEqual([{ containerId: 0, hostId: 100000, size: 65536 }, { containerId: 65536, hostId: 300000, size: 10 }]);
    const view = dockerRemapView(map, [{ containerId: 0, hostId: 200000, size: 65536 }]);
    expect(view.dataRoot).toBe('/var/lib/docker/100000.200000');
    expect(view.uidMappings[1]).toEqual({ containerID: 65536, hostID: 300000, size: 10 });
  });

  it('finds the host IDs two containers share', () => {
    const a: IdMap = [{ containerId: 0, hostId: 100000, size: 65536 }];
    const b: IdMap = [{ containerId: 0, hostId: 150000, size: 65536 }];
    expect(sharedHostIds([a, b])).toEqual([{ first: 0, second: 1, hostId: 150000, count: 15536 }]);
  });
});

describe('map forms', () => {
  it('round-trips the compact, /proc and OCI forms', () => {
    fc.assert(fc.property(disjointMap(), (map) => {
      expect(parseIdMap(toProcLines(map))).toEqual(map);
      expect(fromOciMappings(JSON.parse(JSON.stringify(toOciMappings(map))))).toEqual(map);
    }), { seed, numRuns: 100 });
    expect(toProcLines([{ containerId: 0, hostId: 100000, size: 65536 }])).toBe('         0     100000      65536\n');
    expect(parseIdMap('0:100000:65536,65536:300000:10')).toEqual([
      { containerId: 0, hostId: 100000, size: 65536 }, { containerId: 65536, hostId: 300000, size: 10 },
    ]);
  });

  it('names the entry or JSON path of a bad map', () => {
    expect(() => parseIdMap('0:100000')).toThrow('map entry 1: expected CONTAINER:HOST:SIZE');
    expect(() => parseIdMap('0 1 2\n0 x 1')).toThrow('map line 2: host ID "x" is not an ID');
    expect(() => fromOciMappings([{ containerID: 0, hostID: -1, size: 1 }])).toThrow('linux.uidMappings[0].hostID: not an ID');
  });
});

describe('newuidmap rule', () => {
  it("allows the caller's own ID alone or extents inside its ranges (also across adjacent ranges)", () => {
    const ranges = [{ start: 100000, count: 65536 }, { start: 165536, count: 10 }];
    expect(newIdMapProblem([{ containerId: 0, hostId: 1000, size: 1 }, { containerId: 1, hostId: 100000, size: 65546 }], 'uid', 1000, ranges)).toBeUndefined();
    expect(newIdMapProblem([{ containerId: 0, hostId: 1000, size: 2 }], 'uid', 1000, ranges)).toContain('extent 1');
    expect(newIdMapProblem([{ containerId: 0, hostId: 99999, size: 2 }], 'gid', 1000, ranges)).toContain('/etc/subgid');
  });
});

describe(':U plan', () => {
  const map: IdMap = [{ containerId: 0, hostId: 100000, size: 65536 }];
  const entries = [
    { path: '.', type: 'directory' as const, uid: 0, gid: 0 },
    { path: 'a', type: 'file' as const, uid: 100000, gid: 100000 },
    { path: 'link', type: 'symlink' as const, uid: 1000, gid: 1000 },
  ];
  it('gives every file to the mapped container user', () => {
    const plan = planChown(entries, map, map, { kind: 'owner', uid: 0, gid: 0 });
    expect(plan.steps.map((s) => ('to' in s ? [s.path, s.to.uid, s.to.gid, s.change] : s.error))).toEqual([
      ['.', 100000, 100000, true], ['a', 100000, 100000, false], ['link', 100000, 100000, true],
    ]);
    expect([plan.changes, plan.unchanged, plan.errors]).toEqual([2, 1, 0]);
  });
  it('shifts owners into the range and reports owners the map cannot hold', () => {
    const plan = planChown(entries, map, map, { kind: 'shift' });
    expect(plan.steps.map((s) => ('to' in s ? s.to.uid : s.error))).toEqual([100000, 'container uid 100000 is not mapped', 101000]);
    expect(plan.errors).toBe(1);
  });
});
