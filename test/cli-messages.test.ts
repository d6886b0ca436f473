/** Inputs that are not what a command reads get messages saying what they are and what is wrong, with exact numbers. */
import { describe, expect, it } from 'vitest';
import { identifyPolicyDocument, kubernetesYamlApiVersion } from '../src/policy/detect.js';
import { policyFromJson, policyFromJsonText } from '../src/policy/json.js';
import { cli } from './support/cli.js';

const withValue = (value: string): string =>
  `{"defaultAction":"ALLOW","arches":["x86_64"],"rules":[{"action":"KILL_PROCESS","syscalls":["read"],"conditions":[{"arg":0,"op":"eq","value":${value}}]}]}`;

const firecracker = JSON.stringify({
  vmm: { default_action: 'trap', filter_action: 'allow', filter: [{ syscall: 'read' }] },
  api: { default_action: { errno: 1 }, filter_action: 'allow', filter: [] },
});
const k8sJson = JSON.stringify({
  apiVersion: 'security-profiles-operator.x-k8s.io/v1beta1', kind: 'SeccompProfile', metadata: { name: 'p' },
  spec: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] },
});
const k8sYaml = `---
apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: profile1
spec:
  defaultAction: SCMP_ACT_ERRNO
`;
const config = JSON.stringify({ ociVersion: '1.0.2', process: { args: ['sh'] }, root: { path: 'rootfs' }, linux: { namespaces: [] } });

describe('resolve reads numbers exactly', () => {
  it.each([
    ['99999999999999999999'], ['9007199254740993'], ['0x100000000'], ['18446744073709551616'],
  ])('%s: larger than any syscall number, named as given', async (n) => {
    const r = await cli(['resolve', n]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(`seccomp-ts: resolve: syscall number ${n} is larger than any: seccomp_data.nr is 32 bits (at most 4294967295 = 0xffffffff)\n`);
  });
  it('numbers that fit are answered as before, past the table named exactly', async () => {
    expect((await cli(['resolve', '79'])).stdout).toBe('getcwd\n');
    expect((await cli(['resolve', '4294967295'])).stderr).toMatch(/^seccomp-ts: resolve: syscall number 4294967295 is past the x86_64 table \(0-\d+\)\n$/);
  });
  it('explain --syscall too (a number past 32 bits no longer wraps to another call)', async () => {
    const r = await cli(['explain', 'profile:hardened', '--syscall', '9007199254740993']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/syscall number 9007199254740993 is larger than any/);
  });
});

describe('policy numbers are named as written', () => {
  it.each([
    ['123456789012345678901234567890', 'rules[0].conditions[0].value: 123456789012345678901234567890 does not fit in 64 bits (at most 18446744073709551615 = 0xffffffffffffffff)'],
    ['18446744073709551616', 'rules[0].conditions[0].value: 18446744073709551616 does not fit in 64 bits (at most 18446744073709551615 = 0xffffffffffffffff)'],
    ['9007199254740993', 'rules[0].conditions[0].value: 9007199254740993 is past 2^53, where JSON numbers lose precision; write it as a string: "9007199254740993" or "0x20000000000001"'],
    ['1.5', 'rules[0].conditions[0].value: 1.5 is not an integer'],
    ['-7', 'rules[0].conditions[0].value: values are unsigned: -7 is negative'],
  ])('value %s', async (value, message) => {
    expect(() => policyFromJsonText(withValue(value))).toThrow(message);
    expect(() => policyFromJson(withValue(value))).toThrow(message);
    for (const command of ['compile', 'disasm']) {
      const r = await cli([command, '-'], withValue(value));
      expect(r).toMatchObject({ code: 2, stderr: `seccomp-ts: <stdin>: ${message}\n` });
    }
  });
  it('a string value past 64 bits, a syscall number and an argument index', async () => {
    expect((await cli(['compile', '-'], withValue('"0x1ffffffffffffffff"'))).stderr).toMatch(/0x1ffffffffffffffff does not fit in 64 bits \(at most 18446744073709551615/);
    const nr = '{"defaultAction":"ALLOW","arches":["x86_64"],"rules":[{"action":"ALLOW","syscalls":[{"arch":"x86_64","nr":123456789012345678901234567890}]}]}';
    expect((await cli(['compile', '-'], nr)).stderr).toBe('seccomp-ts: <stdin>: rules[0].syscalls[0].nr: a syscall number is an integer 0..0xffffffff, got 123456789012345678901234567890\n');
    const arg = withValue('1').replace('"arg":0', '"arg":100000000000000000000001');
    expect((await cli(['compile', '-'], arg)).stderr).toBe('seccomp-ts: <stdin>: rules[0].conditions[0].arg: argument index must be 0..5, got 100000000000000000000001\n');
  });
});

describe('documents that are no policy say what they are', () => {
  it.each([
    ['"hello"', 'a JSON string'], ['null', 'JSON null'], ['5', 'a JSON number'], ['true', 'JSON true'],
  ])('%s', async (text, what) => {
    expect((await cli(['compile', '-'], text)).stderr).toBe(`seccomp-ts: <stdin>: ${what}, not a policy or a Docker/OCI profile (those are JSON objects)\n`);
    expect((await cli(['disasm', '-'], text)).stderr).toBe(`seccomp-ts: <stdin>: ${what}, not a filter (a JSON filter is an array of instructions) or a policy (a JSON object)\n`);
  });
  it('a JSON array given to compile points to disasm and check', async () => {
    expect((await cli(['compile', '-'], '[{"code":6,"jt":0,"jf":0,"k":0}]')).stderr).toMatch(/a JSON array, not a policy .*read by 'seccomp-ts disasm' or 'seccomp-ts check'\n$/);
  });
  it('an OCI config.json without linux.seccomp', async () => {
    for (const command of ['compile', 'emu']) {
      const r = await cli(command === 'emu' ? ['emu', '-', 'read'] : [command, '-'], config);
      expect(r).toMatchObject({ code: 2, stderr: 'seccomp-ts: <stdin>: an OCI config.json without linux.seccomp: it sets no seccomp filter, so there is no policy to read\n' });
    }
  });
  it('a Kubernetes SeccompProfile in YAML is read by every command that reads a policy', async () => {
    for (const argv of [['compile', '-', '--format', 'hex'], ['disasm', '-'], ['explain', '-'], ['emu', '-', 'read']]) {
      expect(await cli(argv, k8sYaml)).toMatchObject({ code: 0 });
    }
  });
});

describe('a Firecracker filter file with several filters', () => {
  it('compile asks for --name; the other commands say how to read one filter', async () => {
    const several = 'this is a Firecracker filter file with 2 filters (vmm, api)';
    expect(await cli(['compile', '-'], firecracker)).toMatchObject({ code: 2, stdout: '', stderr: `seccomp-ts: <stdin>: ${several}; pass --name NAME\n` });
    for (const argv of [['disasm', '-'], ['explain', '-'], ['emu', '-', 'read']]) {
      expect(await cli(argv, firecracker)).toMatchObject({
        code: 2, stdout: '', stderr: `seccomp-ts: <stdin>: ${several}; read one with 'seccomp-ts compile <stdin> --name NAME --format policy'\n`,
      });
    }
  });
  it('--name picks one filter, and an unknown name lists the filters', async () => {
    expect((await cli(['compile', '-', '--name', 'vmm', '--format', 'policy'], firecracker)).code).toBe(0);
    expect(await cli(['compile', '-', '--name', 'vcpu'], firecracker)).toMatchObject({ code: 2, stderr: 'seccomp-ts: <stdin>: no filter named "vcpu" (the file holds vmm, api)\n' });
  });
});

describe('Kubernetes SeccompProfile (JSON)', () => {
  it('is read as its spec, a Docker/OCI profile, with paths under spec', async () => {
    const spec = JSON.parse(k8sJson).spec as object;
    const viaK8s = await cli(['compile', '-', '--format', 'hex'], k8sJson);
    const viaSpec = await cli(['compile', '-', '--format', 'hex'], JSON.stringify(spec));
    expect([viaK8s.code, viaK8s.stdout]).toEqual([0, viaSpec.stdout]);
    expect((await cli(['emu', '-', 'read'], k8sJson)).stdout).toBe('ALLOW\n');
    const bad = JSON.stringify({ ...JSON.parse(k8sJson), spec: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_FOO' }] } });
    expect((await cli(['compile', '-', '--format', 'hex'], bad)).stderr).toMatch(/^seccomp-ts: <stdin>: spec\.syscalls\[0\]\.action: /);
    const inherits = JSON.stringify({ ...JSON.parse(k8sJson), spec: { baseProfileName: 'runc-v1.1.0', defaultAction: 'SCMP_ACT_ERRNO' } });
    expect((await cli(['compile', '-', '--format', 'hex'], inherits)).stderr)
      .toBe(`seccomp-ts: <stdin>: spec.baseProfileName: no SeccompProfile named "runc-v1.1.0" in ${process.cwd()} (.json, .yaml or .yml files)\n`);
  });
});

describe('Kubernetes SeccompProfile export', () => {
  it('compile --format kubernetes writes a resource that reads back to the same filter', async () => {
    const k8s = await cli(['compile', '--profile', 'docker-default', '--tune', 'deny:ptrace', '--format', 'kubernetes']);
    expect(k8s.code).toBe(0);
    const resource = JSON.parse(k8s.stdout) as { apiVersion: string; kind: string; metadata: { name: string }; spec: { defaultAction: string } };
    expect([resource.apiVersion, resource.kind, resource.metadata.name, resource.spec.defaultAction])
      .toEqual(['security-profiles-operator.x-k8s.io/v1beta1', 'SeccompProfile', 'docker-default', 'SCMP_ACT_ERRNO']);
    const back = await cli(['compile', '-', '--format', 'hex'], k8s.stdout);
    const direct = await cli(['compile', '--profile', 'docker-default', '--tune', 'deny:ptrace', '--format', 'hex']);
    expect([back.code, back.stdout]).toEqual([0, direct.stdout]);
  });
});

describe('identifyPolicyDocument', () => {
  it('tells every kind apart', () => {
    expect(identifyPolicyDocument(JSON.parse(firecracker))).toEqual({ kind: 'firecracker' });
    expect(identifyPolicyDocument(JSON.parse(k8sJson))).toEqual({ kind: 'kubernetes-seccomp-profile', apiVersion: 'security-profiles-operator.x-k8s.io/v1beta1' });
    expect(identifyPolicyDocument(JSON.parse(config))).toEqual({ kind: 'oci-config-without-seccomp' });
    expect(identifyPolicyDocument({ ...JSON.parse(config), linux: { seccomp: { defaultAction: 'SCMP_ACT_ALLOW' } } })).toEqual({ kind: 'oci-profile' });
    expect(identifyPolicyDocument({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [] })).toEqual({ kind: 'oci-profile' });
    expect(identifyPolicyDocument({ defaultAction: 'ALLOW', arches: ['x86_64'], rules: [] })).toEqual({ kind: 'policy' });
    expect(identifyPolicyDocument({})).toEqual({ kind: 'policy' });
    expect(identifyPolicyDocument([])).toEqual({ kind: 'not-an-object', what: 'a JSON array' });
    // A policy with a rule list is a policy even when a field looks like another format's.
    expect(identifyPolicyDocument({ x: { default_action: 'a', filter_action: 'b' }, rules: [] })).toEqual({ kind: 'policy' });
  });
  it('finds a Kubernetes SeccompProfile in YAML only with both keys at the top level', () => {
    expect(kubernetesYamlApiVersion(k8sYaml)).toBe('security-profiles-operator.x-k8s.io/v1beta1');
    expect(kubernetesYamlApiVersion(k8sYaml.replace('kind: SeccompProfile', 'kind: ProfileBinding'))).toBeUndefined();
    expect(kubernetesYamlApiVersion('A = arch\nreturn ALLOW\n')).toBeUndefined();
  });
});
