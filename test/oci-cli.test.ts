/** The CLI with Docker/OCI profiles: profile files in, `--format oci` out, errors naming file and JSON path. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import { importProfile } from '../src/policy/oci/index.js';
import { cli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-oci-cli-'));
const fixture = (name: string): string => new URL(`./fixtures/profiles/${name}`, import.meta.url).pathname;

describe('compile with Docker/OCI profiles', () => {
  it('--profile docker-default --tune allow:ptrace --format oci writes a profile that imports to the tuned policy', async () => {
    const out = join(dir, 'tuned.json');
    const r = await cli(['compile', '--profile', 'docker-default', '--tune', 'allow:ptrace', '--tune', 'deny:chmod', '--format', 'oci', '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const back = importProfile(readFileSync(out, 'utf8'));
    expect(evaluatePolicy(back.policy, { arch: 'x86_64', nr: 101 })).toEqual({ kind: 'ALLOW' }); // ptrace
    expect(evaluatePolicy(back.policy, { arch: 'x86_64', nr: 90 })).toEqual({ kind: 'ERRNO', data: 1 }); // chmod
    expect(evaluatePolicy(back.policy, { arch: 'x86_64', nr: 0 })).toEqual({ kind: 'ALLOW' }); // read
  });

  it('a profile file compiles, with one warning for its unknown names', async () => {
    const r = await cli(['compile', fixture('deny-list.json'), '--format', 'hex']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('deny-list.json: unknown syscall name skipped (as runc does): no_such_syscall_here');
    expect(r.stdout.length).toBeGreaterThan(0);
  });

  it('an OCI config.json is read through linux.seccomp', async () => {
    const r = await cli(['compile', fixture('oci-config.json'), '--format', 'oci']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"SECCOMP_FILTER_FLAG_SPEC_ALLOW"');
  });

  it('a broken profile: one line naming the file and the JSON path, non-zero exit, no stack trace', async () => {
    const bad = join(dir, 'bad.json');
    const entries = Array.from({ length: 12 }, () => ({ names: ['read'], action: 'SCMP_ACT_ALLOW' }));
    entries.push({ names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_FOO' }] } as never);
    writeFileSync(bad, JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: entries }));
    const r = await cli(['compile', bad, '--format', 'asm']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bad\.json: syscalls\[12\]\.args\[0\]\.op: unknown operator "SCMP_CMP_FOO"/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a policy with no profile form: a clear error', async () => {
    const p = join(dir, 'policy.json');
    writeFileSync(p, JSON.stringify({ defaultAction: 'ALLOW', arches: ['x86_64'], rules: [
      { syscalls: ['read'], action: 'TRAP(5)' },
    ] }));
    const r = await cli(['compile', p, '--format', 'oci']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/TRAP\(5\): SCMP_ACT_TRAP carries no value/);
  });
});
