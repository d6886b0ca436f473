/**
 * Firecracker/seccompiler filter files: read with seccompiler's semantics (checked against an independent model
 * of the filter seccompiler builds, on random files and calls), golden policies for a fixture written from the
 * format's documentation, fuzzing of the reader (random and mutated documents: a result or a PolicyError with a
 * path, nothing else), and the CLI's handling of files with several filters.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../src/compiler/compile.js';
import { interpret } from '../src/emulator/interpreter.js';
import { PolicyError } from '../src/policy/errors.js';
import { firecrackerFilterNames, importFirecracker } from '../src/policy/formats/firecracker.js';
import { formatPolicyJson } from '../src/policy/json.js';
import { parseJsonExact } from '../src/policy/oci/json.js';
import { lookupSyscall } from '../src/syscalls/resolve.js';
import { cli } from './support/cli.js';

const fixture = 'test/fixtures/firecracker/threads.json';
const text = readFileSync(fixture, 'utf8');

describe('Firecracker fixture', () => {
  it.each(['vmm', 'api', 'vcpu'])('filter %s reads to its golden policy', (name) => {
    const imported = importFirecracker(parseJsonExact(text), { name });
    expect(imported.warnings).toEqual([]);
    expect(formatPolicyJson(imported.policy)).toBe(readFileSync(`test/golden/firecracker/threads.${name}.policy.json`, 'utf8'));
  });
  it('keeps 64-bit values exactly and masks masked_eq constants as seccompiler does', () => {
    const api = importFirecracker(parseJsonExact(text), { name: 'api' }).policy;
    expect(api.rules.find((r) => r.conditions !== undefined)?.conditions).toEqual([{ arg: 3, op: 'ne', value: (1n << 64n) - 1n, width: 64 }]);
    const vmm = importFirecracker(parseJsonExact(text), { name: 'vmm' }).policy;
    expect(vmm.rules.flatMap((r) => r.conditions ?? []).find((c) => c.op === 'masked_eq')).toEqual({ arg: 3, op: 'masked_eq', mask: 32n, value: 32n, width: 32 });
  });
  it('lists its filters and refuses to guess one', () => {
    expect(firecrackerFilterNames(JSON.parse(text))).toEqual(['vmm', 'api', 'vcpu']);
    expect(() => importFirecracker(JSON.parse(text))).toThrow('this Firecracker filter file holds 3 filters (vmm, api, vcpu); name one (--name)');
    expect(() => importFirecracker(JSON.parse(text), { name: 'vmn' })).toThrow('no filter named "vmn" (the file holds vmm, api, vcpu)');
  });
  it('warns when a syscall is listed both without and with args (only the args rules match)', () => {
    const doc = { t: { default_action: 'trap', filter_action: 'allow', filter: [{ syscall: 'read' }, { syscall: 'read', args: [{ index: 0, type: 'dword', op: 'eq', val: 0 }] }] } };
    const r = importFirecracker(doc);
    expect(r.warnings).toEqual(['t.filter[0]: read is listed without args and also with args; seccompiler matches it only when the args of another entry hold, as here']);
    expect(r.policy.rules).toHaveLength(1);
  });
  it.each([
    [{ t: { default_action: 'allow', filter_action: 'allow', filter: [] } }, 't.filter_action: the match action equals the default action (seccompiler refuses such a filter)'],
    [{ t: { default_action: 'trap', filter_action: 'allow', filter: [{ syscall: 'read', args: [] }] } }, 't.filter[0].args: an empty args list'],
    [{ t: { default_action: 'trap', filter_action: 'allow', filter: [{ syscall: 'raed' }] } }, 't.filter[0].syscall: unknown syscall "raed" on x86_64'],
    [{ t: { default_action: 'trap', filter_action: 'allow', filter: [], extra: 1 } }, 't.extra: unknown field'],
    [{ t: { default_action: 'kill', filter_action: 'allow', filter: [] } }, 't.default_action: unknown action "kill"'],
    [{ t: { default_action: 'trap', mismatch_action: 'trap', filter_action: 'allow', filter: [] } }, 't.mismatch_action: default_action and mismatch_action are the same field'],
    [{ t: { default_action: 'trap', filter_action: 'allow', filter: [{ syscall: 'read', args: [{ index: 0, type: 'word', op: 'eq', val: 0 }] }] } }, 't.filter[0].args[0].type: type is "dword"'],
    [{ t: { default_action: 'trap', filter_action: 'allow', filter: [{ syscall: 'read', args: [{ index: 0, type: 'qword', op: 'eq', val: -1 }] }] } }, 't.filter[0].args[0].val: val -1 is out of range'],
    [{ 'a b': { default_action: 'trap', filter_action: 'allow' } }, '["a b"]: missing filter'],
  ])('refuses %j', (doc, message) => {
    expect(() => importFirecracker(doc)).toThrow(message);
  });
});

// ---- an independent model of the filter seccompiler builds (its documented semantics, written from them) ----
interface Cond { index: number; type: 'dword' | 'qword'; op: string | { masked_eq: bigint }; val: bigint }
interface Entry { syscall: string; args?: Cond[] }
const AUDIT_X86_64 = 0xc000003e;

function condHolds(c: Cond, args: readonly bigint[]): boolean {
  const width = c.type === 'dword' ? 0xffffffffn : (1n << 64n) - 1n;
  const a = args[c.index]! & width;
  const v = c.val & width;
  if (typeof c.op === 'object') return (a & c.op.masked_eq) === (v & c.op.masked_eq);
  switch (c.op) {
    case 'eq': return a === v;
    case 'ne': return a !== v;
    case 'lt': return a < v;
    case 'le': return a <= v;
    case 'gt': return a > v;
    default: return a >= v;
  }
}

function modelVerdict(entries: readonly Entry[], match: number, mismatch: number, arch: number, nr: number, args: readonly bigint[]): number {
  if (arch !== AUDIT_X86_64) return 0x80000000;
  const mine = entries.filter((e) => lookupSyscall('x86_64', e.syscall)!.nr === nr);
  if (mine.length === 0) return mismatch;
  const conditional = mine.filter((e) => e.args !== undefined);
  if (conditional.length === 0) return match;
  return conditional.some((e) => e.args!.every((c) => condHolds(c, args))) ? match : mismatch;
}

const NAMES = ['read', 'write', 'openat', 'ioctl', 'futex'];
const BIASED = [0n, 1n, 2n, 0xffffffffn, 0x100000000n, 0x1_00000001n, (1n << 64n) - 1n, 1n << 63n];
const value = fc.oneof(fc.constantFrom(...BIASED), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
const cond = fc.record({
  index: fc.integer({ min: 0, max: 2 }),
  type: fc.constantFrom('dword' as const, 'qword' as const),
  op: fc.oneof(fc.constantFrom('eq', 'ne', 'lt', 'le', 'gt', 'ge'), value.map((m) => ({ masked_eq: m }))),
  val: value,
});
const entry = fc.record({ syscall: fc.constantFrom(...NAMES), args: fc.option(fc.array(cond, { minLength: 1, maxLength: 3 }), { nil: undefined }) }, { requiredKeys: ['syscall'] });
const actions = [['allow', 0x7fff0000], ['trap', 0x30000], ['log', 0x7ffc0000], ['kill_process', 0x80000000], [{ errno: 13 }, 0x5000d]] as const;
const actionPair = fc.tuple(fc.integer({ min: 0, max: actions.length - 1 }), fc.integer({ min: 0, max: actions.length - 1 })).filter(([a, b]) => a !== b);
const call = fc.record({
  abi: fc.constantFrom('x86_64' as const, 'x86_64' as const, 'x32' as const, 'i386' as const),
  name: fc.constantFrom(...NAMES, 'close'),
  args: fc.array(value, { minLength: 3, maxLength: 3 }),
});

describe('Firecracker semantics', () => {
  it('the compiled policy gives the verdicts of seccompiler\'s filter (random files and calls)', () => {
    fc.assert(fc.property(fc.array(entry, { maxLength: 6 }), actionPair, fc.array(call, { minLength: 1, maxLength: 20 }), (entries, [m, d], calls) => {
      const doc = { f: { filter_action: actions[m]![0], default_action: actions[d]![0], filter: entries } };
      const { program } = compilePolicy(importFirecracker(doc).policy);
      for (const c of calls) {
        const x86 = lookupSyscall('x86_64', c.name)!.nr;
        const nr = c.abi === 'x32' ? (x86 | 0x40000000) >>> 0 : c.abi === 'i386' ? lookupSyscall('i386', c.name)!.nr : x86;
        const arch = c.abi === 'i386' ? 0x40000003 : AUDIT_X86_64;
        const got = interpret(program, { arch: c.abi, nr, args: c.args }).raw >>> 0;
        expect(got).toBe(modelVerdict(entries, actions[m]![1], actions[d]![1], arch, nr, c.args) >>> 0);
      }
    }), { numRuns: 150 });
  });
});

// ---- fuzzing: whatever the document, a policy or a PolicyError naming a place ----
const jsonish: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, fc.constantFrom(null, true, 'allow', 'dword', 'qword', 'eq', 'read', 'trap', -1, 0, 5, 7, 1.5, 2 ** 60),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('syscall', 'args', 'index', 'type', 'op', 'val', 'filter', 'default_action', 'filter_action', 'errno', 'masked_eq', 'x'), tie('v'), { maxKeys: 4 })),
})).v;

/** Replaces one value somewhere in the document by a random one. */
function mutate(doc: unknown, path: readonly number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof doc !== 'object' || doc === null) return replacement;
  const keys = Object.keys(doc);
  if (keys.length === 0) return replacement;
  const k = keys[path[0]! % keys.length]!;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(doc) ? [...doc] : { ...(doc as Record<string, unknown>) };
  (copy as Record<string, unknown>)[k] = mutate((doc as Record<string, unknown>)[k], path.slice(1), replacement);
  return copy;
}

describe('Firecracker reader fuzzing', () => {
  const expectResultOrPolicyError = (doc: unknown): void => {
    try {
      importFirecracker(doc, { name: firecrackerFilterNames(doc)[0] });
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      expect((err as PolicyError).message).not.toMatch(/\n|undefined|\[object/);
    }
  };
  it('random documents', () => {
    fc.assert(fc.property(jsonish, expectResultOrPolicyError), { numRuns: 400 });
  });
  it('mutated fixture', () => {
    const base = JSON.parse(text) as unknown;
    fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 6 }), jsonish, (path, v) => expectResultOrPolicyError(mutate(base, path, v))), { numRuns: 400 });
  });
});

describe('Firecracker files on the command line', () => {
  it('compile --name picks a filter; without it, the names are listed', async () => {
    const listed = await cli(['compile', fixture, '--format', 'hex']);
    expect(listed).toMatchObject({ code: 2, stderr: `seccomp-ts: ${fixture}: this is a Firecracker filter file with 3 filters (vmm, api, vcpu); pass --name NAME\n` });
    const picked = await cli(['compile', fixture, '--name', 'api', '--format', 'policy']);
    expect(picked.code).toBe(0);
    expect(picked.stdout).toBe(readFileSync('test/golden/firecracker/threads.api.policy.json', 'utf8'));
    expect((await cli(['emu', fixture, 'read'])).stderr).toMatch(/with 3 filters \(vmm, api, vcpu\); read one with 'seccomp-ts compile .* --name NAME --format policy'\n$/);
    const single = JSON.stringify({ vmm: JSON.parse(text).vmm });
    expect((await cli(['emu', '-', 'read'], single)).stdout).toBe('ALLOW\n');
    expect((await cli(['emu', '-', 'openat'], single)).stdout).toMatch(/^TRAP/);
    expect((await cli(['compile', fixture, '--name', 'vmm', '--target', '386'])).stderr).toMatch(/seccompiler builds filters for amd64, arm64, riscv64 \(--target\), not 386\n$/);
    expect((await cli(['compile', '--profile', 'hardened', '--name', 'vmm'])).stderr).toBe('seccomp-ts: compile: --name vmm picks a filter of a Firecracker file or a resource of a YAML file, or names a kubernetes or firecracker output, and profile:hardened is none\n');
  });
});
