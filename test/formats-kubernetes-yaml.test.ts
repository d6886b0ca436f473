/**
 * Kubernetes SeccompProfile resources in YAML: read as their JSON form is (same filter), 64-bit values exact,
 * one resource of a multi-document file picked by --name, other kinds skipped, syntax errors placed; written by
 * `compile --format kubernetes-yaml` (golden file) and read back to the same filter.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';

const GOLDEN = 'test/golden/oci/small.k8s.yaml';
// Written as text: the value does not survive a JavaScript number.
const small = '{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":["SCMP_ARCH_X86_64"],"syscalls":[' +
  '{"names":["read","write","close"],"action":"SCMP_ACT_ALLOW"},' +
  '{"names":["ioctl"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}';

function resource(name: string, body: string): string {
  return `apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n  name: ${name}\n${body}`;
}

describe('SeccompProfile in YAML', () => {
  it('compile --format kubernetes-yaml writes the golden resource, read back to the same filter', async () => {
    const written = await cli(['compile', '-', '--format', 'kubernetes-yaml', '--name', 'small'], small);
    expect(written).toMatchObject({ code: 0, stderr: '' });
    expect(written.stdout).toBe(readFileSync(GOLDEN, 'utf8'));
    expect(written.stdout).toContain('value: 18446744073709551615');
    const fromYaml = await cli(['compile', '-', '--format', 'hex'], written.stdout);
    const fromJson = await cli(['compile', '-', '--format', 'hex'], small);
    expect(fromYaml.code).toBe(0);
    expect(fromYaml.stdout).toBe(fromJson.stdout);
  });

  it('docker-default survives the trip through YAML', async () => {
    const yaml = await cli(['compile', '--profile', 'docker-default', '--format', 'kubernetes-yaml']);
    expect(yaml.stdout).toMatch(/^# SeccompProfile written by seccomp-ts compile from profile:docker-default\napiVersion: security-profiles-operator\.x-k8s\.io\/v1beta1\nkind: SeccompProfile\nmetadata:\n {2}name: docker-default\n/);
    const a = await cli(['compile', '-', '--format', 'hex'], yaml.stdout);
    const b = await cli(['compile', '--profile', 'docker-default', '--format', 'hex']);
    expect(a.stdout).toBe(b.stdout);
  });

  it('a multi-document file: other kinds skipped, one resource picked by --name, the names listed otherwise', async () => {
    const file = [
      '# node profiles', 'apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: x', '---',
      resource('allow-all', 'spec:\n  defaultAction: SCMP_ACT_ALLOW\n'), '---',
      resource('deny-all', 'spec:\n  defaultAction: SCMP_ACT_KILL_PROCESS\n  architectures: [SCMP_ARCH_X86_64]\n'),
    ].join('\n');
    expect(await cli(['emu', '-', 'read'], file)).toMatchObject({
      code: 2, stderr: "seccomp-ts: <stdin>: this YAML file holds 2 SeccompProfile resources (allow-all, deny-all); read one with 'seccomp-ts compile <stdin> --name NAME --format kubernetes'\n",
    });
    expect((await cli(['compile', '-'], file)).stderr).toBe('seccomp-ts: <stdin>: this YAML file holds 2 SeccompProfile resources (allow-all, deny-all); pass --name NAME\n');
    const picked = await cli(['compile', '-', '--name', 'deny-all', '--format', 'hex'], file);
    expect(picked.code).toBe(0);
    expect((await cli(['emu', '-', 'read'], picked.stdout)).stdout).toMatch(/^KILL_PROCESS/);
    expect((await cli(['compile', '-', '--name', 'nope'], file)).stderr).toBe('seccomp-ts: <stdin>: no SeccompProfile named "nope" (the file holds allow-all, deny-all)\n');
    const renamed = await cli(['compile', '-', '--name', 'allow-all', '--format', 'kubernetes'], file);
    expect(JSON.parse(renamed.stdout)).toMatchObject({ metadata: { name: 'allow-all' }, spec: { defaultAction: 'SCMP_ACT_ALLOW' } });
  });

  it('faults are placed: YAML syntax by line and column, the profile by its path under spec', async () => {
    const broken = resource('p', 'spec:\n  defaultAction: [SCMP_ACT_ALLOW\n');
    expect((await cli(['compile', '-'], broken)).stderr).toMatch(/^seccomp-ts: <stdin>:\d+:\d+: not valid YAML \(/);
    const bad = resource('p', 'spec:\n  defaultAction: SCMP_ACT_ALLOW\n  syscalls:\n    - names: [raed]\n      action: SCMP_ACT_KILL_PROCESS\n');
    const r = await cli(['compile', '-', '--strict'], bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^seccomp-ts: <stdin> \(p\): spec\.syscalls\[0\]\.names\[0\]: /);
    const dup = resource('p', 'spec:\n  defaultAction: SCMP_ACT_ALLOW\n  defaultAction: SCMP_ACT_KILL\n');
    expect((await cli(['compile', '-'], dup)).stderr).toMatch(/^seccomp-ts: <stdin>:\d+:\d+: not valid YAML \(Map keys must be unique/);
  });

  it('an alias to nothing and an alias bomb are one-line errors', async () => {
    const head = 'apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n';
    expect((await cli(['compile', '-'], `${head}spec:\n  defaultAction: *nothing\n`)).stderr).toMatch(/^seccomp-ts: <stdin>:\d+: not valid YAML \(Unresolved alias/);
    const bomb = ['a: &a [x,x,x,x,x,x,x,x,x]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]', 'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]'].join('\n');
    expect((await cli(['compile', '-'], `${head}${bomb}\nspec:\n  defaultAction: SCMP_ACT_ALLOW\n`)).stderr).toMatch(/^seccomp-ts: <stdin>:\d+: not valid YAML \(Excessive alias count/);
  });

  it('--name with --format kubernetes-yaml must be a Kubernetes name', async () => {
    expect((await cli(['compile', '-', '--format', 'kubernetes-yaml', '--name', 'Not_OK'], small)).code).toBe(2);
  });
});

describe('YAML reader fuzzing', () => {
  it('any text: SeccompProfile resources whose JSON reads back, or one CliError (random and mutated files)', async () => {
    const { seccompProfilesFromYaml } = await import('../src/cli/yaml.js');
    const { CliError } = await import('../src/cli/command.js');
    const fc = (await import('fast-check')).default;
    const lines = readFileSync(GOLDEN, 'utf8').split('\n');
    const mutated = fc.tuple(fc.array(fc.nat(lines.length - 1), { maxLength: 25 }), fc.array(fc.string({ maxLength: 12 }), { maxLength: 4 }))
      .map(([picks, noise]) => [...picks.map((i) => lines[i]!), ...noise].join('\n'));
    fc.assert(fc.property(fc.oneof(mutated, fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
      try {
        for (const r of seccompProfilesFromYaml(text, 'f.yaml')) expect(() => JSON.parse(r.json) as unknown).not.toThrow();
      } catch (err) {
        expect(err).toBeInstanceOf(CliError);
        expect((err as Error).message).toMatch(/^f\.yaml(:\d+:\d+)?: /);
      }
    }), { numRuns: 400 });
  });
});

describe('baseProfileName', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-k8s-base-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const head = (name: string) => `apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n  name: ${name}\n`;
  writeFileSync(join(dir, 'runtime.yaml'), `${head('runtime')}spec:\n  defaultAction: SCMP_ACT_ERRNO\n  architectures: [SCMP_ARCH_X86_64]\n  syscalls:\n    - action: SCMP_ACT_ALLOW\n      names: [execve, brk, mmap]\n`);
  writeFileSync(join(dir, 'base.json'), JSON.stringify({
    apiVersion: 'security-profiles-operator.x-k8s.io/v1beta1', kind: 'SeccompProfile', metadata: { name: 'base' },
    spec: { defaultAction: 'SCMP_ACT_ERRNO', baseProfileName: 'runtime', syscalls: [{ action: 'SCMP_ACT_ALLOW', names: ['read'] }] },
  }).replace('"names":["read"]', '"names":["ioctl"],"args":[{"index":1,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]'));
  writeFileSync(join(dir, 'app.yaml'), `${head('app')}spec:\n  defaultAction: SCMP_ACT_KILL_PROCESS\n  baseProfileName: base\n  syscalls:\n    - action: SCMP_ACT_ALLOW\n      names: [write]\n`);
  writeFileSync(join(dir, 'notes.yaml'), 'just: notes\n');

  it('bases are found beside the profile, their rules first, the profile\'s own fields winning, values exact', async () => {
    const app = join(dir, 'app.yaml');
    const merged = JSON.parse((await cli(['compile', app, '--format', 'kubernetes'])).stdout) as { spec: Record<string, unknown> };
    expect(merged.spec.defaultAction).toBe('SCMP_ACT_KILL_PROCESS');
    expect(merged.spec.baseProfileName).toBeUndefined();
    expect((await cli(['compile', app, '--format', 'kubernetes'])).stdout).toContain('18446744073709551615');
    for (const [call, verdict] of [[['execve'], 'ALLOW'], [['write'], 'ALLOW'], [['ioctl', '0', '0xffffffffffffffff'], 'ALLOW'], [['ioctl', '0', '1'], 'KILL_PROCESS'], [['ptrace'], 'KILL_PROCESS']] as const) {
      expect((await cli(['emu', app, ...call])).stdout).toMatch(new RegExp(`^${verdict.replace(/[()]/g, '\\$&')}`));
    }
  });
  it('a missing base, a cycle and a remote base are one-line errors', async () => {
    writeFileSync(join(dir, 'orphan.yaml'), `${head('orphan')}spec:\n  defaultAction: SCMP_ACT_ALLOW\n  baseProfileName: nowhere\n`);
    expect((await cli(['compile', join(dir, 'orphan.yaml')])).stderr).toBe(`seccomp-ts: ${join(dir, 'orphan.yaml')} (orphan): spec.baseProfileName: no SeccompProfile named "nowhere" in ${dir} (.json, .yaml or .yml files)\n`);
    writeFileSync(join(dir, 'a.yaml'), `${head('loop-a')}spec:\n  defaultAction: SCMP_ACT_ALLOW\n  baseProfileName: loop-b\n---\n${head('loop-b')}spec:\n  defaultAction: SCMP_ACT_ALLOW\n  baseProfileName: loop-a\n`);
    expect((await cli(['compile', join(dir, 'a.yaml'), '--name', 'loop-a'])).stderr).toMatch(/spec\.baseProfileName: the bases form a cycle through "loop-a"\n$/);
    writeFileSync(join(dir, 'remote.yaml'), `${head('remote')}spec:\n  defaultAction: SCMP_ACT_ALLOW\n  baseProfileName: oci://ghcr.io/x/y:latest\n`);
    expect((await cli(['compile', join(dir, 'remote.yaml')])).stderr).toMatch(/is a remote profile, which is not fetched/);
  });
  it('the library, which reads no folder, says how', async () => {
    const { loadProfile } = await import('../src/policy/oci/index.js');
    expect(() => loadProfile(readFileSync(join(dir, 'app.yaml'), 'utf8').replace(/^/, ''), 'x')).toThrow();
    const json = JSON.stringify({ apiVersion: 'security-profiles-operator.x-k8s.io/v1beta1', kind: 'SeccompProfile', spec: { defaultAction: 'SCMP_ACT_ALLOW', baseProfileName: 'runtime' } });
    expect(() => loadProfile(json, 'x')).toThrow(/spec\.baseProfileName: inherits from "runtime", which the library does not look up/);
  });
});
