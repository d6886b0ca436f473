/**
 * Commands in real user namespaces made by `spawnInUserNamespace`: root inside, files owned by the mapped host
 * IDs outside, two containers with disjoint ranges unable to write each other's files, and the unprivileged
 * paths (own ID written directly; ranges through the setuid newuidmap/newgidmap).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect } from 'vitest';
import { spawnInUserNamespace, userNamespaceMissing, type UserNamespaceSpec } from '../src/linux/userns.js';
import { parseIdMap } from '../src/userns/index.js';
import { itWhen } from './support/require.js';
import { usernsOracleMissing } from './support/userns-oracle.js';
import { CLI_MAIN, cliProcess, kernelMissing, unprivilegedMissing } from './support/live.js';

const here = dirname(fileURLToPath(import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'seccomp-ts-userns-kernel-'));
chmodSync(work, 0o777);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const isRoot = process.geteuid?.() === 0;
const missing = userNamespaceMissing() ?? usernsOracleMissing(true) ?? (isRoot ? undefined : 'these tests switch users and need root');
const newuidmapMissing = missing ?? (spawnSync('newuidmap', [], { encoding: 'utf8' }).error ? 'newuidmap is missing (Debian package uidmap)' : undefined);

/** Runs `script` with sh in a namespace with `spec`; returns its exit code and output. */
async function inNamespace(spec: UserNamespaceSpec, script: string): Promise<{ code: number | null; out: string }> {
  const { child } = await spawnInUserNamespace('sh', ['-c', script], spec, 'pipe');
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, out };
}

const map = (text: string): UserNamespaceSpec => ({ uidMap: parseIdMap(text), gidMap: parseIdMap(text) });

/** A bundle of a script that calls spawnInUserNamespace, in a folder any user can read. */
function bundledRunner(): string {
  const entry = join(work, 'runner-entry.ts');
  writeFileSync(entry, [
    `import { spawnInUserNamespace } from ${JSON.stringify(join(here, '../src/linux/userns.ts'))};`,
    `import { parseIdMap } from ${JSON.stringify(join(here, '../src/userns/index.ts'))};`,
    'const [text, script] = process.argv.slice(2);',
    'spawnInUserNamespace("sh", ["-c", script], { uidMap: parseIdMap(text), gidMap: parseIdMap(text) })',
    '  .then(({ child, methods }) => { process.stderr.write(`methods ${methods.join(",")}\\n`); child.on("exit", (c) => process.exit(c ?? 1)); })',
    '  .catch((e) => { process.stderr.write(`error: ${e.message}\\n`); process.exit(3); });',
  ].join('\n'));
  const out = join(work, 'runner.cjs');
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'silent' });
  chmodSync(out, 0o644);
  return out;
}

describe('run in a user namespace', () => {
  itWhen(missing, 'as root with a range: root inside, files owned by the mapped host IDs outside', async () => {
    const file = join(work, 'made-by-container');
    const r = await inNamespace(map('0:100000:65536'), `id -u; id -g; cat /proc/self/uid_map; touch ${file}; chown 5:7 ${file} && echo chowned`);
    expect(r.code).toBe(0);
    expect(r.out).toBe('0\n0\n         0     100000      65536\nchowned\n');
    const st = statSync(file);
    expect([st.uid, st.gid]).toEqual([100005, 100007]);
  });

  itWhen(missing, "case 2: two containers with disjoint ranges cannot write each other's files", async () => {
    const dir = join(work, 'shared');
    mkdirSync(dir, { mode: 0o777 });
    chmodSync(dir, 0o777);
    const a = await inNamespace(map('0:200000:65536'), `mkdir ${dir}/a && echo data > ${dir}/a/file && chmod 755 ${dir}/a && chmod 644 ${dir}/a/file && echo made`);
    expect(a).toEqual({ code: 0, out: 'made\n' });
    expect(statSync(join(dir, 'a', 'file')).uid).toBe(200000);
    const b = await inNamespace(map('0:300000:65536'), [
      `stat -c %u ${dir}/a/file`,
      `(echo x >> ${dir}/a/file) 2>/dev/null && echo wrote || echo no-write`,
      `touch ${dir}/a/new 2>/dev/null && echo created || echo no-create`,
      `chown 0 ${dir}/a/file 2>/dev/null && echo chowned || echo no-chown`,
    ].join('; '));
    expect(b).toEqual({ code: 0, out: '65534\nno-write\nno-create\nno-chown\n' });
    // The same container writes its own file.
    const again = await inNamespace(map('0:200000:65536'), `echo more >> ${dir}/a/file && echo wrote`);
    expect(again.out).toBe('wrote\n');
  });

  itWhen(missing, "as an unprivileged user: its own uid is container root, written directly", () => {
    const runner = bundledRunner();
    const file = join(work, 'made-unprivileged');
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, runner, '0:65534:1', `id -u; cat /proc/self/uid_map; touch ${file}`], { encoding: 'utf8', timeout: 30_000 });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '0\n         0      65534          1\n', 'methods proc,proc\n']);
    expect(statSync(file).uid).toBe(65534);
    const refused = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, runner, '0:100000:10', 'true'], { encoding: 'utf8', timeout: 30_000 });
    expect([refused.status, refused.stderr]).toEqual([3, 'error: as an unprivileged user (uid 65534) the uid map must map your own uid to container ID 0, as rootless runtimes do (e.g. 0:65534:1,1:SUBUID:65536)\n']);
  });

  itWhen(newuidmapMissing, 'as an unprivileged user with subordinate ranges: through newuidmap and newgidmap', () => {
    const runner = bundledRunner();
    // newuidmap reads /etc/subuid: give it one, in a private mount namespace, over a copy of /etc.
    const etc = join(work, 'etc');
    if (!existsSync(etc)) cpSync('/etc', etc, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(etc, 'subuid'), 'nobody:400000:65536\n');
    writeFileSync(join(etc, 'subgid'), 'nobody:400000:65536\n');
    const file = join(work, 'made-with-ranges');
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
      `mount --bind ${etc} /etc && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"`, 'sh',
      process.execPath, runner, '0:65534:1,1:400000:65536', `id -u; cat /proc/self/uid_map; touch ${file}; chown 1000:1000 ${file}`], { encoding: 'utf8', timeout: 30_000 });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '0\n         0      65534          1\n         1     400000      65536\n', 'methods newuidmap,newgidmap\n']);
    expect([statSync(file).uid, statSync(file).gid]).toEqual([400999, 400999]);
  });
});

describe('seccomp-ts run --userns', () => {
  const readable = (uid: number): string | undefined => {
    const probe = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, '-e',
      `require('fs').accessSync(${JSON.stringify(CLI_MAIN)}, require('fs').constants.R_OK)`], { encoding: 'utf8', timeout: 20_000 });
    return probe.status === 0 ? undefined : `host uid ${uid} cannot read the sources (${CLI_MAIN}): the checkout is not world-readable`;
  };
  const runMissing = missing ?? kernelMissing ?? readable(100000);

  itWhen(runMissing, 'root inside and the filter enforced, a file made inside owned by the mapped host ID outside', () => {
    const file = join(work, 'run-made');
    const denied = join(work, 'run-denied');
    const profile = join(work, 'no-mkdir.json');
    writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }));
    chmodSync(profile, 0o644);
    const r = cliProcess(['run', profile, '--userns', '0:100000:65536', '--', 'sh', '-c',
      `id -u; id -g; grep -c . /proc/self/uid_map; grep Seccomp_filters /proc/self/status; touch ${file}; mkdir ${denied} 2>/dev/null || echo mkdir-denied; exit 3`]);
    expect([r.status, r.stdout, r.stderr]).toEqual([3, '0\n0\n1\nSeccomp_filters:\t1\nmkdir-denied\n', '']);
    expect([statSync(file).uid, statSync(file).gid]).toEqual([100000, 100000]);
    expect(existsSync(denied)).toBe(false);
    const user = cliProcess(['run', profile, '--userns', '0:100000:65536', '--userns-user', '1000:2000', '--', 'sh', '-c', 'id -u; id -g']);
    expect(user.stdout).toBe('1000\n2000\n');
  });

  itWhen(missing ?? kernelMissing ?? unprivilegedMissing(), 'as an unprivileged user: --userns own makes its own ID root inside', () => {
    const file = join(work, 'run-own');
    const r = cliProcess(['run', '--profile', 'docker-default', '--userns', 'own', '--', 'sh', '-c', `id -u; touch ${file}`], { unprivileged: true });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '0\n', '']);
    expect(statSync(file).uid).toBe(65534);
    const refused = cliProcess(['run', '--profile', 'docker-default', '--userns', '0:100000:65536', '--', 'true'], { unprivileged: true });
    expect([refused.status, refused.stderr]).toEqual([125, 'seccomp-ts: run: --userns: as an unprivileged user (uid 65534) the uid map must map your own uid to container ID 0, as rootless runtimes do (e.g. 0:65534:1,1:SUBUID:65536)\n']);
  });

  itWhen(missing ?? kernelMissing, 'refuses maps the kernel would refuse, before running anything', () => {
    const r = cliProcess(['run', '--profile', 'docker-default', '--userns', '0:100000:10,5:200000:10', '--', 'true']);
    expect([r.status, r.stderr]).toEqual([125, 'seccomp-ts: run: --userns: the kernel refuses this uid map: EINVAL at line 2: inside range overlaps line 1\n']);
    const noRoot = cliProcess(['run', '--profile', 'docker-default', '--userns', '1:100000:10', '--', 'true']);
    expect([noRoot.status, noRoot.stderr]).toEqual([125, 'seccomp-ts: run: --userns: the uid map does not map container ID 0\n']);
  });
});
