/**
 * The running kernel as the oracle for Docker's default profile: seccomp-ts's compiled filter and the filter
 * libseccomp builds the runc way are both loaded into the kernel, which is asked about every syscall number of
 * every x86 ABI and random argument vectors; the kernel's verdicts for ours equal the policy's, and equal
 * libseccomp's everywhere except the syscalls libseccomp 2.5.4 does not know.
 */
import { describe, expect } from 'vitest';
import { compilePolicy } from '../src/compiler/index.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import { DOCKER_DEFAULT_CAPABILITIES, DOCKER_DEFAULT_PROFILE_JSON, importProfile } from '../src/policy/oci/index.js';
import { encodeAction } from '../src/syscalls/actions.js';
import { AUDIT_ARCH_I386, type ArchName } from '../src/syscalls/arch.js';
import { lookupSyscall } from '../src/syscalls/index.js';
import { isProbeable, kernelVerdictsBatch, oracleMissing, type Probe } from './support/kernel-verdicts.js';
import { biasedCalls, buildWithLibseccomp, everySyscallNumber, libseccompMissing, newerThanLibseccomp, policyFocus, rawAbi } from './support/libseccomp.js';
import { itWhen } from './support/require.js';
import { readFileSync } from 'node:fs';

const FIXTURES = ['deny-list.json', 'ranges.json', 'masked.json', 'sockets-i386.json', 'docker-conditional.json', 'oci-config.json'];

const RANDOM = 30_000;

describe('docker-default in the running kernel', () => {
  const missing = oracleMissing() ?? libseccompMissing();

  itWhen(missing, `every number of every ABI and ${RANDOM} random vectors: kernel verdicts of ours = policy, = libseccomp's outside its gaps`, () => {
    const built = buildWithLibseccomp({ profileText: DOCKER_DEFAULT_PROFILE_JSON, caps: DOCKER_DEFAULT_CAPABILITIES });
    if (!built.ok) throw new Error(built.error);
    const { policy } = importProfile(DOCKER_DEFAULT_PROFILE_JSON);
    const gaps = newerThanLibseccomp(built, (abi, name) => lookupSyscall(abi, name)?.name === name);
    const gapNrs = new Set<string>();
    for (const [abi, names] of Object.entries(gaps) as Array<[ArchName, string[]]>) {
      for (const n of names) gapNrs.add(`${abi}:${lookupSyscall(abi, n)!.nr}`);
    }
    const { focus, constants } = policyFocus(policy);
    const probes: Probe[] = [];
    for (const c of [...everySyscallNumber(), ...biasedCalls(RANDOM, 11, focus, constants)]) {
      const abi = rawAbi(c);
      if (abi === undefined) continue; // the kernel only presents x86 ABIs
      // i386 arguments are 32-bit registers: the upper halves never reach a filter.
      const args = abi === 'i386' ? c.args.map((a) => a & 0xffffffffn) : c.args;
      const p: Probe = { arch: abi, nr: c.nr, args };
      if (isProbeable(p)) probes.push(p);
    }
    const ours = compilePolicy(policy).program;
    const oursOptimized = compilePolicy(policy, performanceCompileOptions()).program;
    const run = kernelVerdictsBatch([
      { program: ours, probes }, { program: oursOptimized, probes }, { program: built.program, probes },
    ]);
    const [kOurs, kOptimized, kTheirs] = run.verdicts as [number[], number[], number[]];
    let gapDifferences = 0;
    const wrong: string[] = [];
    probes.forEach((p, i) => {
      const expected = encodeAction(evaluatePolicy(policy, { arch: p.arch === 'i386' ? AUDIT_ARCH_I386 : p.arch, nr: p.nr, args: p.args as bigint[] }));
      if (kOurs[i]! >>> 0 !== expected) wrong.push(`linear ${p.arch} ${p.nr}: kernel 0x${kOurs[i]!.toString(16)}, policy 0x${expected.toString(16)}`);
      if (kOptimized[i]! >>> 0 !== expected) wrong.push(`optimized ${p.arch} ${p.nr}: kernel 0x${kOptimized[i]!.toString(16)}`);
      if (kTheirs[i]! >>> 0 !== kOurs[i]! >>> 0) {
        if (gapNrs.has(`${p.arch}:${p.nr}`)) gapDifferences++;
        else wrong.push(`libseccomp ${p.arch} ${p.nr}: kernel 0x${kTheirs[i]!.toString(16)}, ours 0x${kOurs[i]!.toString(16)}`);
      }
    });
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(gapDifferences).toBeGreaterThanOrEqual(gapNrs.size - 1); // uretprobe itself is not probeable
    console.info(`[docker-default kernel] ${probes.length} probes x 3 filters; ${gapDifferences} differences, all on libseccomp's gaps`);
  }, 300_000);

  itWhen(missing, 'the six fixture profiles: kernel verdicts of ours = policy = libseccomp\'s, nr -1 included', () => {
    for (const file of FIXTURES) {
      const text = readFileSync(new URL(`./fixtures/profiles/${file}`, import.meta.url), 'utf8');
      const built = buildWithLibseccomp({ profileText: text, caps: DOCKER_DEFAULT_CAPABILITIES });
      if (!built.ok) throw new Error(built.error);
      const { policy } = importProfile(text);
      const { focus, constants } = policyFocus(policy);
      const probes: Probe[] = [];
      for (const c of [...everySyscallNumber(), ...biasedCalls(10_000, file.length, focus, constants)]) {
        const abi = rawAbi(c);
        if (abi === undefined) continue;
        const p: Probe = { arch: abi, nr: c.nr, args: abi === 'i386' ? c.args.map((a) => a & 0xffffffffn) : c.args };
        if (isProbeable(p)) probes.push(p);
      }
      const run = kernelVerdictsBatch([{ program: compilePolicy(policy, performanceCompileOptions()).program, probes }, { program: built.program, probes }]);
      const [kOurs, kTheirs] = run.verdicts as [number[], number[]];
      const wrong: string[] = [];
      probes.forEach((p, i) => {
        const expected = encodeAction(evaluatePolicy(policy, { arch: p.arch === 'i386' ? AUDIT_ARCH_I386 : p.arch, nr: p.nr, args: p.args as bigint[] }));
        if (kOurs[i]! >>> 0 !== expected) wrong.push(`${file}: ours ${p.arch} ${p.nr}: kernel 0x${kOurs[i]!.toString(16)}, policy 0x${expected.toString(16)}`);
        if (kTheirs[i]! >>> 0 !== kOurs[i]! >>> 0) wrong.push(`${file}: libseccomp ${p.arch} ${p.nr}: kernel 0x${kTheirs[i]!.toString(16)}, ours 0x${kOurs[i]!.toString(16)}`);
      });
      expect(wrong.slice(0, 10)).toEqual([]);
    }
  }, 300_000);
});
