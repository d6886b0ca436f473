/**
 * systemd unit settings: fixtures (allow-list built over several lines, deny-list with per-call errnos, reset)
 * against golden policies; faults named by line; fuzzing; and written from random policies, read back, the unit
 * is never looser than the policy (but for the calls systemd allows in every allow-list), and equal to it when
 * no warning says otherwise.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import { PolicyError } from '../src/policy/errors.js';
import { exportSystemd, importSystemd, SYSTEMD_IMPLICIT_ALLOW } from '../src/policy/formats/systemd.js';
import { formatPolicyJson } from '../src/policy/json.js';
import type { Action } from '../src/syscalls/actions.js';
import { syscallTable } from '../src/syscalls/resolve.js';
import { argsArb, policyArb } from '../src/testing/arbitraries.js';
import { cli } from './support/cli.js';

const FIXTURES = ['web.service', 'deny.conf', 'reset.conf'];
const fixture = (name: string): string => readFileSync(`test/fixtures/systemd/${name}`, 'utf8');
const lets = (a: Action): boolean => a.kind === 'ALLOW' || a.kind === 'LOG';

describe('reading unit settings', () => {
  it.each(FIXTURES)('%s gives its golden policy', (name) => {
    expect(formatPolicyJson(importSystemd(fixture(name)).policy)).toBe(readFileSync(`test/golden/systemd/${name}.policy.json`, 'utf8'));
  });
  it('merges assignments as systemd does: same kind adds, the other kind removes, an empty one resets', () => {
    const web = importSystemd(fixture('web.service')).policy;
    const allowed = web.rules[0]!.syscalls;
    expect(allowed).toContain('sendfile');
    expect(allowed).not.toContain('ptrace');
    expect(allowed).toEqual(expect.arrayContaining(['execve', 'exit_group', 'rt_sigreturn']));
    expect(web).toMatchObject({ defaultAction: { kind: 'ERRNO', data: 13 }, arches: ['x86_64', 'i386'] });
    const deny = importSystemd(fixture('deny.conf')).policy;
    expect(deny.rules.map((r) => r.syscalls[0])).toEqual(['init_module', 'kexec_load', 'reboot', 'swapoff']);
    expect(importSystemd(fixture('reset.conf')).policy.defaultAction).toEqual({ kind: 'KILL_PROCESS' });
  });
  it.each([
    ['SystemCallFilter=@system-service', 'line 1: @system-service: systemd\'s groups change between releases'],
    ['SystemCallArchitectures=vax\nSystemCallFilter=read', 'line 1: unknown architecture "vax"'],
    ['SystemCallFilter=~read:ENOTANERRNO', 'line 1: unknown errno "ENOTANERRNO"'],
    ['[Service]\nnot a setting', 'line 2: expected KEY=VALUE'],
    ['[Service]\nNoNewPrivileges=yes', 'no SystemCallFilter= setting'],
    ['SystemCallFilter=read wr!te', 'line 1: "wr!te" is not a syscall name'],
  ])('refuses %j', (text, message) => {
    expect(() => importSystemd(text)).toThrow(PolicyError);
    expect(() => importSystemd(text)).toThrow(message);
  });
  it('any text: a policy or a PolicyError (random lines and mutated fixtures)', () => {
    const lines = FIXTURES.flatMap((n) => fixture(n).split('\n'));
    const text = fc.oneof(
      fc.array(fc.constantFrom(...lines), { maxLength: 12 }).map((l) => l.join('\n')),
      fc.array(fc.oneof(fc.constantFrom(...lines), fc.string({ unit: 'binary', maxLength: 40 })), { maxLength: 8 }).map((l) => l.join('\n')),
    );
    fc.assert(fc.property(text, (t) => {
      try {
        importSystemd(t);
      } catch (err) {
        expect(err).toBeInstanceOf(PolicyError);
      }
    }), { numRuns: 400 });
  });
});

describe('writing unit settings', () => {
  it('read back, the unit is never looser than the policy, and equal when nothing was warned about', () => {
    let exact = 0;
    // Half of them plain (no conditions, killing other ABIs), which systemd can say exactly more often.
    const plain = policyArb({ actions: ['ALLOW', 'ERRNO', 'KILL_PROCESS'] })
      .map((p) => ({ ...p, badArchAction: { kind: 'KILL_PROCESS' } as Action, rules: p.rules.map(({ conditions: _c, ...r }) => r) }));
    const policies = fc.oneof(policyArb({ actions: ['ALLOW', 'ERRNO', 'KILL_PROCESS'] }), plain);
    fc.assert(fc.property(policies, fc.array(argsArb(), { minLength: 2, maxLength: 3 }), (policy, argSets) => {
      const written = exportSystemd(policy);
      // A policy that denies nothing gets no filter at all (and the settings refuse to be read as one).
      const back = written.text.includes('SystemCallFilter=') ? importSystemd(written.text).policy : { defaultAction: { kind: 'ALLOW' } as Action, arches: policy.arches, rules: [] };
      const notices = written.warnings.filter((w) => !w.startsWith('systemd also allows its @default') && !w.startsWith('systemd allows '));
      if (notices.length === 0) exact++;
      for (const abi of policy.arches) {
        for (const e of syscallTable(abi)) {
          if (SYSTEMD_IMPLICIT_ALLOW.includes(e.name)) continue;
          for (const args of [[], ...argSets]) {
            const theirs = evaluatePolicy(back, { arch: abi, nr: e.nr, args });
            const ours = evaluatePolicy(policy, { arch: abi, nr: e.nr, args });
            if (lets(theirs)) expect(lets(ours), `${abi} ${e.name}: ${JSON.stringify(written.text)}`).toBe(true);
            if (notices.length === 0) expect(theirs).toEqual(ours);
          }
        }
      }
    }), { numRuns: 60 });
    expect(exact).toBeGreaterThan(8);
  });
  it('writes the built-ins as golden settings, with a warning for each thing systemd cannot say', async () => {
    for (const name of ['docker-default', 'hardened']) {
      const r = await cli(['compile', '--profile', name, '--format', 'systemd']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(readFileSync(`test/golden/systemd/${name}.conf`, 'utf8'));
    }
    const d = await cli(['compile', '--profile', 'docker-default', '--format', 'systemd']);
    expect(d.stderr).toContain('seccomp-ts: warning: clone: allowed only for some arguments, which systemd cannot say: left out (denied)\n');
    const h = await cli(['compile', '--profile', 'hardened', '--format', 'systemd']);
    expect(h.stderr).toContain('seccomp-ts: warning: socket: denied only for some arguments, which systemd cannot say: denied whatever its arguments (ERRNO(EAFNOSUPPORT))\n');
  });
  it('unit settings are read by every command', async () => {
    const web = fixture('web.service');
    expect((await cli(['emu', '-', 'read'], web)).stdout).toMatch(/^ALLOW/);
    expect((await cli(['emu', '-', 'ptrace'], web)).stdout).toMatch(/^ERRNO\(EACCES\)/);
    expect((await cli(['emu', '-', 'read', '--arch', 'x32'], web)).stdout).toMatch(/^KILL_PROCESS/);
    expect((await cli(['compile', '-'], 'SystemCallFilter=@system-service\n')).stderr)
      .toBe("seccomp-ts: <stdin>: line 1: @system-service: systemd's groups change between releases and are not pinned here; list the calls by name\n");
  });
});
