/**
 * Policies written as Firecracker/seccompiler filters: read back (with seccompiler's semantics, see
 * formats-firecracker.test.ts) they give the policy's verdicts on the machine's ABI for random policies and
 * biased arguments; what the format cannot say is refused with the place named; golden files for the fixture's
 * filters; the CLI's --format firecracker, --name and --target.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import { PolicyError } from '../src/policy/errors.js';
import { importFirecracker } from '../src/policy/formats/firecracker.js';
import { exportFirecracker } from '../src/policy/formats/firecracker-export.js';
import { parseJsonExact } from '../src/policy/oci/json.js';
import type { Policy } from '../src/policy/types.js';
import type { Action } from '../src/syscalls/actions.js';
import { lookupSyscall } from '../src/syscalls/resolve.js';
import { actionArb, argsArb, COMMON_SYSCALLS, ruleArb } from '../src/testing/arbitraries.js';
import { cli } from './support/cli.js';

const fixture = 'test/fixtures/firecracker/threads.json';
const text = readFileSync(fixture, 'utf8');

/** The action as seccompiler can carry it (TRAP has no data there). */
const carried = (a: Action): Action => (a.kind === 'TRAP' ? { kind: 'TRAP', data: 0 } : a);

const seccompilerKinds: Action['kind'][] = ['ALLOW', 'LOG', 'TRAP', 'ERRNO', 'TRACE', 'KILL_THREAD', 'KILL_PROCESS'];
const twoActions = fc.tuple(actionArb(seccompilerKinds), actionArb(seccompilerKinds))
  .filter(([d, m]) => JSON.stringify(carried(d)) !== JSON.stringify(carried(m)));
/** x86_64 policies whose rules give one action besides the default (some rules the default itself). */
const onePolicy = fc.tuple(twoActions, fc.array(fc.tuple(ruleArb({ syscalls: COMMON_SYSCALLS }), fc.nat(3)), { maxLength: 6 }))
  .map(([[defaultAction, match], rules]): Policy => ({
    defaultAction,
    arches: ['x86_64'],
    rules: rules.map(([r, pick]) => ({ ...r, action: pick === 0 ? defaultAction : match })),
  }));

describe('policies written as Firecracker filters', () => {
  it('read back, give the policy\'s verdicts on x86_64; other ABIs are killed, x32 gets the default', () => {
    let written = 0;
    let refused = 0;
    fc.assert(fc.property(onePolicy, fc.array(fc.tuple(fc.constantFrom(...COMMON_SYSCALLS, 'getppid'), argsArb()), { minLength: 10, maxLength: 30 }), (policy, calls) => {
      let out;
      try {
        out = exportFirecracker(policy, { name: 'vmm' });
      } catch (err) {
        // The one refusal such a policy can meet: a default-action rule that outranks the match action.
        expect(err).toBeInstanceOf(PolicyError);
        expect((err as Error).message).toMatch(/^rules\[\d+\]: \w+: a rule with the default action .* overrides/);
        refused++;
        return;
      }
      written++;
      const back = importFirecracker(parseJsonExact(out.text), { name: 'vmm' }).policy;
      for (const [name, args] of calls) {
        const nr = lookupSyscall('x86_64', name)!.nr;
        expect(evaluatePolicy(back, { arch: 'x86_64', nr, args })).toEqual(carried(evaluatePolicy(policy, { arch: 'x86_64', nr, args })));
        expect(evaluatePolicy(back, { arch: 'x32', nr: (nr | 0x40000000) >>> 0, args })).toEqual(carried(policy.defaultAction));
        expect(evaluatePolicy(back, { arch: 'i386', nr: lookupSyscall('i386', name)!.nr, args })).toEqual({ kind: 'KILL_PROCESS' });
      }
    }), { numRuns: 300 });
    expect(written).toBeGreaterThan(150);
    expect(refused).toBeGreaterThan(0);
  });

  it('the fixture\'s filters, written again, match their golden files and read back to the same policies', () => {
    for (const name of ['vmm', 'api', 'vcpu']) {
      const read = importFirecracker(parseJsonExact(text), { name });
      const out = exportFirecracker(read.policy, { name });
      expect(out.warnings).toEqual([]);
      expect(out.text).toBe(readFileSync(`test/golden/firecracker/threads.${name}.firecracker.json`, 'utf8'));
      const again = importFirecracker(parseJsonExact(out.text), { name });
      expect(exportFirecracker(again.policy, { name }).text).toBe(out.text);
    }
  });

  it('keeps 64-bit values exact and writes 32-bit conditions as dword', () => {
    const policy: Policy = {
      defaultAction: { kind: 'ALLOW' }, arches: ['x86_64'],
      rules: [{ syscalls: ['ioctl'], action: { kind: 'ERRNO', data: 1 }, conditions: [{ arg: 1, op: 'eq', value: 0xfedcba9876543210n }, { arg: 2, op: 'masked_eq', mask: 0xf0n, value: 0x10n, width: 32 }] }],
    };
    const out = exportFirecracker(policy);
    expect(out.text).toContain('"val": 18364758544493064720');
    expect(JSON.parse(out.text)).toEqual({ main: { default_action: 'allow', filter_action: { errno: 1 }, filter: [{ syscall: 'ioctl', args: [
      { index: 1, type: 'qword', op: 'eq', val: 18364758544493064720 },
      { index: 2, type: 'dword', op: { masked_eq: 240 }, val: 16 },
    ] }] } });
  });

  it('an unconditional rule makes the syscall\'s conditional rules moot (seccompiler would let them decide)', () => {
    const policy: Policy = {
      defaultAction: { kind: 'KILL_PROCESS' }, arches: ['aarch64'],
      rules: [{ syscalls: ['read'], action: { kind: 'ALLOW' } }, { syscalls: ['read'], action: { kind: 'ALLOW' }, conditions: [{ arg: 0, op: 'eq', value: 0n }] }],
    };
    expect(exportFirecracker(policy)).toMatchObject({ arch: 'aarch64', warnings: [], document: { main: { filter: [{ syscall: 'read' }] } } });
  });

  it.each<[string, Policy, string]>([
    ['two match actions', { defaultAction: { kind: 'KILL_PROCESS' }, arches: ['x86_64'], rules: [
      { syscalls: ['read'], action: { kind: 'ALLOW' } }, { syscalls: ['write'], action: { kind: 'ERRNO', data: 1 } }] },
    'rules: a Firecracker filter has one match action, and the rules give ALLOW (rules[0]), ERRNO(1) (rules[1])'],
    ['USER_NOTIF', { defaultAction: { kind: 'ALLOW' }, arches: ['x86_64'], rules: [{ syscalls: ['read'], action: { kind: 'USER_NOTIF' } }] },
      'the match action: USER_NOTIF has no seccompiler action'],
    ['a default-action rule that outranks the match action', { defaultAction: { kind: 'ERRNO', data: 1 }, arches: ['x86_64'], rules: [
      { syscalls: ['read'], action: { kind: 'ALLOW' } }, { syscalls: ['read'], action: { kind: 'ERRNO', data: 1 }, conditions: [{ arg: 0, op: 'eq', value: 3n }] }] },
    'rules[1]: read: a rule with the default action ERRNO(1) overrides ALLOW where both match'],
    ['two machines', { defaultAction: { kind: 'ALLOW' }, arches: ['x86_64', 'aarch64'], rules: [] },
      'arches: the policy covers x86_64 and aarch64; a Firecracker filter is for one machine: choose one'],
    ['no machine seccompiler knows', { defaultAction: { kind: 'ALLOW' }, arches: ['i386'], rules: [] },
      'arches: the policy covers none of the machines seccompiler builds filters for (x86_64, aarch64, riscv64)'],
    ['a number without a name', { defaultAction: { kind: 'ALLOW' }, arches: ['x86_64'], rules: [{ syscalls: [{ arch: 'x86_64', nr: 999 }], action: { kind: 'LOG' } }] },
      'rules: syscall number 999 has no name on x86_64'],
  ])('refuses %s', (_what, policy, message) => {
    expect(() => exportFirecracker(policy)).toThrow(message);
  });

  it('names what it drops: other ABIs, x32, the bad-arch action, the ENOSYS guard, TRAP data, conditions that never hold', () => {
    const policy: Policy = {
      defaultAction: { kind: 'ALLOW' }, arches: ['x86_64', 'i386'], badArchAction: { kind: 'KILL_THREAD' }, enosysGuard: true,
      rules: [{ syscalls: ['ptrace'], action: { kind: 'TRAP', data: 7 } }, { syscalls: ['kill'], action: { kind: 'TRAP', data: 7 }, conditions: [{ arg: 0, op: 'lt', value: 0n }] }],
    };
    const out = exportFirecracker(policy);
    expect(out.warnings).toEqual([
      "calls of i386 are killed (KILL_PROCESS): seccompiler's filter admits x86_64 calls only",
      "x32 calls get the default action ALLOW (seccompiler's filter sees them as unknown x86_64 numbers)",
      'calls of other ABIs get KILL_PROCESS, not KILL_THREAD',
      'the ENOSYS guard is left out: numbers newer than the tables get the default action',
      'the match action: TRAP(7) is written as "trap" (seccompiler\'s trap carries no data)',
      'kill: a rule whose conditions never hold is left out',
    ]);
    expect(out.document).toEqual({ main: { default_action: 'allow', filter_action: 'trap', filter: [{ syscall: 'ptrace' }] } });
  });
});

describe('compile --format firecracker', () => {
  it('writes one filter, named by --name or after the filter read, for the machine --target names', async () => {
    const vmm = await cli(['compile', fixture, '--name', 'vmm', '--format', 'firecracker']);
    expect(vmm).toMatchObject({ code: 0, stderr: '' });
    expect(vmm.stdout).toBe(readFileSync('test/golden/firecracker/threads.vmm.firecracker.json', 'utf8'));
    const policy = JSON.stringify({ defaultAction: 'KILL_PROCESS', arches: ['aarch64', 'x86_64'], rules: [{ action: 'ALLOW', syscalls: ['openat', 'read'] }] });
    const arm = await cli(['compile', '-', '--format', 'firecracker', '--target', 'arm64', '--name', 'api'], policy);
    expect(arm).toMatchObject({ code: 0, stderr: "seccomp-ts: warning: calls of x86_64 are killed (KILL_PROCESS): seccompiler's filter admits aarch64 calls only\n" });
    expect(JSON.parse(arm.stdout)).toEqual({ api: { default_action: 'kill_process', filter_action: 'allow', filter: [{ syscall: 'openat' }, { syscall: 'read' }] } });
    expect(await cli(['compile', '-', '--format', 'firecracker'], policy)).toMatchObject({
      code: 2, stdout: '', stderr: 'seccomp-ts: <stdin>: arches: the policy covers x86_64 and aarch64; a Firecracker filter is for one machine: choose one\n',
    });
    expect(await cli(['compile', '-', '--format', 'firecracker', '--target', 's390x'], policy)).toMatchObject({
      code: 2, stderr: 'seccomp-ts: compile: --target: seccompiler builds filters for amd64, arm64, riscv64, not s390x\n',
    });
  });
  it('docker-default needs its ENOSYS rule for clone3 tuned away first; then it is written with warnings', async () => {
    expect((await cli(['compile', '--profile', 'docker-default', '--format', 'firecracker'])).stderr)
      .toBe('seccomp-ts: profile:docker-default: rules: a Firecracker filter has one match action, and the rules give ALLOW (rules[0]), ERRNO(38) (rules[22])\n');
    const r = await cli(['compile', '--profile', 'docker-default', '--tune', 'deny:clone3', '--format', 'firecracker', '--name', 'vmm']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning: calls of i386 are killed (KILL_PROCESS): seccompiler's filter admits x86_64 calls only");
    const back = importFirecracker(parseJsonExact(r.stdout)).policy;
    expect(evaluatePolicy(back, { arch: 'x86_64', nr: lookupSyscall('x86_64', 'read')!.nr })).toEqual({ kind: 'ALLOW' });
    expect(evaluatePolicy(back, { arch: 'x86_64', nr: lookupSyscall('x86_64', 'kexec_load')!.nr })).toEqual({ kind: 'ERRNO', data: 1 });
  });
  it('--name with --format kubernetes names the resource, and must be a Kubernetes name', async () => {
    const r = await cli(['compile', '--profile', 'docker-default', '--format', 'kubernetes', '--name', 'node-baseline']);
    expect(JSON.parse(r.stdout).metadata).toEqual({ name: 'node-baseline' });
    expect((await cli(['compile', '--profile', 'docker-default', '--format', 'kubernetes', '--name', 'Bad_Name'])).stderr)
      .toBe('seccomp-ts: compile: --name: "Bad_Name" is no Kubernetes object name (lower-case letters, digits, \'-\' and \'.\', at most 253)\n');
    expect((await cli(['compile', '--profile', 'hardened', '--format', 'asm', '--name', 'x'])).code).toBe(2);
  });
});
