/**
 * Six more profiles (test/fixtures/profiles), between them using every SCMP_CMP_* operator and every SCMP_ACT_*
 * action, built by libseccomp the way runc builds them and compared with seccomp-ts's import on every syscall
 * number of every x86 ABI and on 100,000 random argument vectors each: zero disagreements, except one
 * documented difference of the policy model (below).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../src/compiler/index.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { prepareFilter } from '../src/emulator/executor.js';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import { DOCKER_DEFAULT_CAPABILITIES, DOCKER_DEFAULT_PROFILE_JSON, importProfile, ProfileError, type ImportOptions } from '../src/policy/oci/index.js';
import { encodeAction } from '../src/syscalls/actions.js';
import { AUDIT_ARCH_X86_64, type ArchName } from '../src/syscalls/arch.js';
import { lookupSyscall } from '../src/syscalls/index.js';
import {
  biasedCalls, buildWithLibseccomp, compareVerdicts, describeCall, everySyscallNumber, libseccompMissing, missesSyscallNumberLoad,
  newerThanLibseccomp, policyFocus, rawAbi, type RawCall,
} from './support/libseccomp.js';
import { itWhen } from './support/require.js';

const DIR = new URL('./fixtures/profiles/', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, DIR), 'utf8');
const RANDOM_VECTORS = 100_000;

interface Case {
  readonly file: string;
  readonly label: string;
  readonly caps?: readonly string[];
  readonly kernel?: string;
}

const CASES: readonly Case[] = [
  { file: 'deny-list.json', label: 'deny list, every action' },
  { file: 'ranges.json', label: 'ordered comparisons, 64-bit constants' },
  { file: 'masked.json', label: 'masked equality, split conditions' },
  { file: 'sockets-i386.json', label: 'i386 socketcall and ipc rewriting' },
  { file: 'docker-conditional.json', label: 'includes/excludes, default capabilities' },
  {
    file: 'docker-conditional.json', label: 'includes/excludes, more capabilities, kernel 4.4',
    caps: [...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE', 'CAP_SYS_NICE', 'CAP_BPF'], kernel: '4.4',
  },
  { file: 'docker-conditional.json', label: 'includes/excludes, kernel 5.15', kernel: '5.15' },
  { file: 'oci-config.json', label: 'an OCI config.json' },
];

describe('Docker/OCI fixtures against runc + libseccomp', () => {
  const missing = libseccompMissing();

  it('the fixtures use every operator and every action the runtime-spec defines', () => {
    const text = readdirSync(DIR).filter((f) => f.endsWith('.json')).map(read).join('\n');
    for (const op of ['NE', 'LT', 'LE', 'EQ', 'GE', 'GT', 'MASKED_EQ']) expect(text).toContain(`"SCMP_CMP_${op}"`);
    for (const act of ['KILL', 'KILL_PROCESS', 'KILL_THREAD', 'TRAP', 'ERRNO', 'TRACE', 'ALLOW', 'LOG', 'NOTIFY']) {
      expect(text).toContain(`"SCMP_ACT_${act}"`);
    }
  });

  for (const c of CASES) {
    itWhen(missing, `${c.file} (${c.label}): zero disagreements on every number and ${RANDOM_VECTORS} random vectors`, () => {
      const text = read(c.file);
      const caps = c.caps ?? DOCKER_DEFAULT_CAPABILITIES;
      const built = buildWithLibseccomp({ profileText: text, caps, ...(c.kernel === undefined ? {} : { kernel: c.kernel }) });
      if (!built.ok) throw new Error(built.error);
      expect(missesSyscallNumberLoad(built.program)).toBe(false);
      const options: ImportOptions = { capabilities: caps, ...(c.kernel === undefined ? {} : { kernel: c.kernel }) };
      const { policy } = importProfile(text, options);
      const { focus, constants } = policyFocus(policy);
      const calls = [...everySyscallNumber(), ...biasedCalls(RANDOM_VECTORS, c.file.length * 7919 + (c.kernel?.length ?? 0), focus, constants)];
      const runs: Array<[string, (call: RawCall, w: Uint32Array) => number]> = [
        ['evaluator', (call) => encodeAction(evaluatePolicy(policy, { arch: call.arch, nr: call.nr, args: call.args }))],
      ];
      for (const [name, opts] of [['linear', {}], ['optimized', performanceCompileOptions()]] as const) {
        const filter = prepareFilter(compilePolicy(policy, opts).program);
        runs.push([name, (_call, w) => filter.runWords(w)]);
      }
      for (const [name, ours] of runs) {
        const found = compareVerdicts(built.program, ours, calls);
        expect(found.slice(0, 5).map((d) => `${name}: ${describeCall(d.call)}: ours 0x${d.ours.toString(16)}, libseccomp 0x${d.theirs.toString(16)}`)).toEqual([]);
      }
    });
  }

  itWhen(missing, 'nr 0xffffffff on x86_64 without x32 (a call a tracer skipped) gets the default action, as in libseccomp', () => {
    const text = read('oci-config.json');
    const built = buildWithLibseccomp({ profileText: text, caps: DOCKER_DEFAULT_CAPABILITIES });
    if (!built.ok) throw new Error(built.error);
    const { policy } = importProfile(text);
    expect(policy.arches).not.toContain('x32');
    const skipped: RawCall = { arch: AUDIT_ARCH_X86_64, nr: 0xffffffff, args: [0n, 0n, 0n, 0n, 0n, 0n] };
    const ours = prepareFilter(compilePolicy(policy, performanceCompileOptions()).program);
    expect(compareVerdicts(built.program, (_c, w) => ours.runWords(w), [skipped])).toEqual([]);
    expect(encodeAction(evaluatePolicy(policy, { arch: skipped.arch, nr: skipped.nr }))).toBe(0x7ffc0000); // the default, LOG
    // Any other number with the x32 bit is still an x32 call: the bad-arch action.
    expect(encodeAction(evaluatePolicy(policy, { arch: AUDIT_ARCH_X86_64, nr: 0xfffffffe }))).toBe(0);
  });

  const refused: ReadonlyArray<[string, string]> = [
    ['identical conditions, different actions', `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
      {"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]},
      {"names":["read"],"action":"SCMP_ACT_TRAP","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}]}`],
    ['a narrower rule after a wider one of another action', `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
      {"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":1,"value":2,"op":"SCMP_CMP_EQ"}]},
      {"names":["read"],"action":"SCMP_ACT_LOG","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}]}`],
  ];
  for (const [what, text] of refused) {
    itWhen(missing, `runc fails and seccomp-ts refuses: ${what}`, () => {
      const built = buildWithLibseccomp({ profileText: text, caps: [] });
      expect(built.ok).toBe(false);
      expect(() => importProfile(text)).toThrow(ProfileError);
      expect(() => importProfile(text)).toThrow(/^syscalls\[1\]: libseccomp refuses the rule .* for 'read': it can match the same calls as the rule .* at syscalls\[0\] .*\(EEXIST\), so runc fails$/);
    });
  }

  itWhen(missing, 'runc fails and seccomp-ts refuses: conflicting rules for a syscall the ABI does not have', () => {
    // chown32 is i386's alone, yet libseccomp records x86_64's rules for it under a pseudo number and merges them.
    const text = `{"defaultAction":"SCMP_ACT_LOG","architectures":["SCMP_ARCH_X86_64"],"syscalls":[
      {"names":["chown32"],"action":"SCMP_ACT_ALLOW","args":[{"index":2,"value":13939461335808156936,"op":"SCMP_CMP_EQ"}]},
      {"names":["chown32"],"action":"SCMP_ACT_TRAP","args":[{"index":3,"value":5,"valueTwo":5,"op":"SCMP_CMP_MASKED_EQ"},{"index":1,"value":23,"op":"SCMP_CMP_LE"}]},
      {"names":["chown32"],"action":"SCMP_ACT_TRACE","errnoRet":2,"args":[{"index":1,"value":14,"op":"SCMP_CMP_LE"}]}]}`;
    const built = buildWithLibseccomp({ profileText: text, caps: [] });
    expect(built.ok).toBe(false);
    expect(() => importProfile(text)).toThrow(/^syscalls\[2\]: libseccomp refuses the rule TRACE\(2\) for 'chown32': .*\(EEXIST\), so runc fails \(libseccomp checks the rules for 'chown32' on x86_64 although x86_64 has no such syscall\)$/);
    // The same rules where i386 has the syscall: refused there as well, and named by ABI.
    const withI386 = text.replace('"SCMP_ARCH_X86_64"', '"SCMP_ARCH_X86_64","SCMP_ARCH_X86"');
    expect(buildWithLibseccomp({ profileText: withI386, caps: [] }).ok).toBe(false);
    expect(() => importProfile(withI386)).toThrow(ProfileError);
    // Without the conflict, rules for a missing syscall are accepted and change nothing.
    const calm = `{"defaultAction":"SCMP_ACT_LOG","architectures":["SCMP_ARCH_X86_64"],"syscalls":[
      {"names":["chown32"],"action":"SCMP_ACT_ALLOW","args":[{"index":2,"value":1,"op":"SCMP_CMP_EQ"}]},
      {"names":["chown32"],"action":"SCMP_ACT_TRAP","args":[{"index":2,"value":1,"op":"SCMP_CMP_NE"}]}]}`;
    expect(buildWithLibseccomp({ profileText: calm, caps: [] }).ok).toBe(true);
    expect(importProfile(calm).policy.rules).toEqual([]);
  });

  itWhen(missing, 'overlapping rules of different actions get the verdicts of libseccomp\'s tree, with a warning', () => {
    // libseccomp tests argument 1 before argument 0 here, so a call with a0 == 1 and a1 == 2 gets ALLOW,
    // although TRAP is the stronger action.
    const text = `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[
      {"names":["read"],"action":"SCMP_ACT_TRAP","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]},
      {"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":2,"op":"SCMP_CMP_EQ"}]}]}`;
    const built = buildWithLibseccomp({ profileText: text, caps: [] });
    if (!built.ok) throw new Error(built.error);
    const filter = prepareFilter(built.program);
    const w = new Uint32Array(16);
    w[1] = AUDIT_ARCH_X86_64;
    w[4] = 1;
    w[6] = 2;
    expect(filter.runWords(w) >>> 0).toBe(0x7fff0000);
    const { policy, warnings } = importProfile(text);
    expect(warnings).toEqual([
      "syscalls[1]: the rule ALLOW for 'read' can match the same calls as the rule TRAP(0) for 'read' at syscalls[0]; libseccomp " +
      "decides such calls by the order runc adds the rules, not by action, and the import gives the verdicts of the profile's order " +
      '(reordering the entries can change them)',
    ]);
    expect(evaluatePolicy(policy, { arch: 'x86_64', nr: 0, args: [1n, 2n] })).toEqual({ kind: 'ALLOW' });
    expect(evaluatePolicy(policy, { arch: 'x86_64', nr: 0, args: [1n, 3n] })).toEqual({ kind: 'TRAP', data: 0 });
    const calls = biasedCalls(20_000, 7, [{ arch: AUDIT_ARCH_X86_64, nr: 0, args: [] }], [1n, 2n, 3n]);
    const ours = prepareFilter(compilePolicy(policy, performanceCompileOptions()).program);
    expect(compareVerdicts(built.program, (_c, words) => ours.runWords(words), calls)).toEqual([]);
  });

  itWhen(missing, 'docker-default plus overlapping rules (binary-tree dispatch, over 32 rules): libseccomp\'s verdicts outside its gaps', () => {
    const base = DOCKER_DEFAULT_PROFILE_JSON.trimEnd();
    const extra = `{"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":5,"args":[{"index":0,"value":100,"op":"SCMP_CMP_GT"}]},
      {"names":["personality"],"action":"SCMP_ACT_KILL","args":[{"index":0,"value":50,"op":"SCMP_CMP_LT"}]},
      {"names":["clone"],"action":"SCMP_ACT_TRAP","args":[{"index":1,"value":7,"op":"SCMP_CMP_GE"}]},
      {"names":["socket"],"action":"SCMP_ACT_ERRNO","errnoRet":3,"args":[{"index":0,"value":16,"op":"SCMP_CMP_NE"}]}`;
    // The profile's last entry closes the syscalls list: add the entries after it.
    const close = base.lastIndexOf(']');
    const text = `${base.slice(0, base.lastIndexOf('}', close) + 1)},${extra}${base.slice(close)}`;
    const built = buildWithLibseccomp({ profileText: text, caps: DOCKER_DEFAULT_CAPABILITIES });
    if (!built.ok) throw new Error(built.error);
    expect(built.optimize).toBe(2);
    const { policy, warnings } = importProfile(text);
    expect(warnings.filter((w) => /can match the same calls/.test(w)).map((w) => w.slice(0, w.indexOf(';'))).sort()).toEqual([
      "syscalls[34]: the rule KILL_THREAD for 'personality' can match the same calls as the rule ALLOW for 'personality' at syscalls[5]",
      "syscalls[35]: the rule TRAP(0) for 'clone' can match the same calls as the rule ALLOW for 'clone' at syscalls[18]",
      "syscalls[36]: the rule ERRNO(3) for 'socket' can match the same calls as the rule ALLOW for 'socket' at syscalls[2]",
    ]);
    const gaps = new Set<string>();
    for (const [abi, names] of Object.entries(newerThanLibseccomp(built, (a, n) => lookupSyscall(a, n)?.name === n)) as Array<[ArchName, string[]]>) {
      for (const n of names) gaps.add(`${abi}:${lookupSyscall(abi, n)!.nr}`);
    }
    const { focus, constants } = policyFocus(policy);
    const found = compareVerdicts(built.program, (c) => encodeAction(evaluatePolicy(policy, { arch: c.arch, nr: c.nr, args: c.args })),
      [...everySyscallNumber(), ...biasedCalls(40_000, 3, focus, constants)]);
    expect(found.filter((d) => !gaps.has(`${rawAbi(d.call)}:${d.call.nr}`)).slice(0, 3).map((d) => describeCall(d.call))).toEqual([]);
  });

  itWhen(missing, 'the example of issue 11: ERRNO(5) if a2 > 100, ERRNO(6) if a2 > 200, KILL if a2 < 50, in every order', () => {
    const entries = [
      '{"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":5,"args":[{"index":2,"value":100,"op":"SCMP_CMP_GT"}]}',
      '{"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":6,"args":[{"index":2,"value":200,"op":"SCMP_CMP_GT"}]}',
      '{"names":["read"],"action":"SCMP_ACT_KILL","args":[{"index":2,"value":50,"op":"SCMP_CMP_LT"}]}',
    ];
    const orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    const at2to40 = new Map<string, number>();
    for (const order of orders) {
      const text = `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[${order.map((i) => entries[i]).join(',')}]}`;
      const built = buildWithLibseccomp({ profileText: text, caps: [], timeoutMs: 20_000 });
      if (!built.ok) throw new Error(built.error);
      const { policy, warnings } = importProfile(text);
      expect(warnings.some((x) => /can match the same calls/.test(x))).toBe(true);
      const calls = [...biasedCalls(3000, 11, [{ arch: AUDIT_ARCH_X86_64, nr: 0, args: [] }], [50n, 100n, 200n, 1n << 40n]),
        ...[0n, 49n, 50n, 100n, 101n, 200n, 201n, 1n << 32n, 1n << 40n].map((a2) => ({ arch: AUDIT_ARCH_X86_64, nr: 0, args: [0n, 0n, a2] }))];
      const found = compareVerdicts(built.program, (c) => encodeAction(evaluatePolicy(policy, { arch: c.arch, nr: c.nr, args: c.args })), calls);
      expect(found.map((d) => describeCall(d.call)), order.join()).toEqual([]);
      at2to40.set(order.join(), encodeAction(evaluatePolicy(policy, { arch: 'x86_64', nr: 0, args: [0n, 0n, 1n << 40n] })));
    }
    // The verdict depends on the order runc adds the rules: ERRNO(6) for five orders, ERRNO(5) for one.
    expect(at2to40.get('2,1,0')).toBe(0x00050005);
    expect([...at2to40.values()].filter((v) => v === 0x00050006)).toHaveLength(5);
  });
});

describe('libseccomp 2.5.4 bugs the differential tests recognise', () => {
  itWhen(libseccompMissing(), 'two rules ordering one argument: the merged tree loses the second rule', () => {
    const text = `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[
      {"names":["read"],"action":"SCMP_ACT_KILL","args":[{"index":0,"value":0,"op":"SCMP_CMP_LE"}]},
      {"names":["read"],"action":"SCMP_ACT_KILL","args":[{"index":0,"value":4294967296,"op":"SCMP_CMP_LE"}]}]}`;
    const built = buildWithLibseccomp({ profileText: text, caps: [] });
    if (!built.ok) throw new Error(built.error);
    const w = new Uint32Array(16);
    w[1] = AUDIT_ARCH_X86_64;
    w[4] = 8; // read(8): 8 <= 2^32, so the second rule kills
    expect(prepareFilter(built.program).runWords(w) >>> 0).toBe(0x00050001); // libseccomp: the default
    expect(evaluatePolicy(importProfile(text).policy, { arch: 'x86_64', nr: 0, args: [8n] })).toEqual({ kind: 'KILL_THREAD' });
  });

  itWhen(libseccompMissing(), 'x86_64 + x32 with a rule on a syscall neither has: no syscall-number load', () => {
    const text = `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X32"],"syscalls":[
      {"names":["chown32"],"action":"SCMP_ACT_KILL"},
      {"names":["read"],"action":"SCMP_ACT_KILL","args":[{"index":0,"value":0,"op":"SCMP_CMP_NE"}]}]}`;
    const built = buildWithLibseccomp({ profileText: text, caps: [] });
    if (!built.ok) throw new Error(built.error);
    expect(missesSyscallNumberLoad(built.program)).toBe(true);
    // The broken filter answers the default for read(5), which the profile kills; seccomp-ts follows the profile.
    const w = new Uint32Array(16);
    w[1] = AUDIT_ARCH_X86_64;
    w[4] = 5;
    expect(prepareFilter(built.program).runWords(w) >>> 0).toBe(0x00050001);
    expect(evaluatePolicy(importProfile(text).policy, { arch: 'x86_64', nr: 0, args: [5n] })).toEqual({ kind: 'KILL_THREAD' });
  });
});
