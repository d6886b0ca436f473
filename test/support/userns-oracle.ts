/**
 * The kernel as the oracle for ID maps: fresh user namespaces (`unshare --user sleep`) whose
 * `/proc/PID/uid_map` or `gid_map` is written with each case's bytes, in one write, by a Node process running as
 * root or, through `setpriv`, as an unprivileged user that owns the namespaces. A failed write leaves the
 * namespace fresh, so it is reused; a successful one retires it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Missing } from './require.js';

/** One write to a fresh namespace's map. */
export interface MapCase {
  readonly kind: 'uid' | 'gid';
  /** The bytes written, as latin1 text. */
  readonly data: string;
  /** gid only: write "deny" to /proc/PID/setgroups first. */
  readonly denySetgroups?: boolean;
}

/** What the kernel answered: the errno name, or on success the map as `/proc` then shows it. */
export type MapAnswer = string;

const WRITER = String.raw`
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const cases = JSON.parse(fs.readFileSync(process.argv[1], 'utf8'));
const fresh = () => new Promise((resolve, reject) => {
  const child = spawn('unshare', ['--user', 'sleep', '60'], { stdio: 'ignore' });
  child.on('error', reject);
  const mine = fs.readlinkSync('/proc/self/ns/user');
  const wait = () => {
    let ns;
    try { ns = fs.readlinkSync('/proc/' + child.pid + '/ns/user'); } catch { ns = mine; }
    if (ns !== mine) resolve(child); else setTimeout(wait, 1);
  };
  wait();
});
(async () => {
  const answers = [];
  let uidChild = await fresh();
  let gidChild = await fresh();
  for (const c of cases) {
    let child = c.kind === 'uid' ? uidChild : gidChild;
    if (c.kind === 'gid' && c.denySetgroups) {
      child.kill('SIGKILL');
      child = gidChild = await fresh();
      fs.writeFileSync('/proc/' + child.pid + '/setgroups', 'deny');
    }
    let answer = 'ok';
    const file = '/proc/' + child.pid + '/' + c.kind + '_map';
    try {
      const fd = fs.openSync(file, 'w');
      try { fs.writeSync(fd, Buffer.from(c.data, 'latin1')); } finally { fs.closeSync(fd); }
    } catch (e) { answer = e.code || String(e); }
    answers.push(answer === 'ok' ? fs.readFileSync(file, 'utf8') : answer);
    if (answer === 'ok' || (c.kind === 'gid' && c.denySetgroups)) {
      child.kill('SIGKILL');
      if (c.kind === 'uid') uidChild = await fresh(); else gidChild = await fresh();
    }
  }
  uidChild.kill('SIGKILL');
  gidChild.kill('SIGKILL');
  process.stdout.write(JSON.stringify({ answers, euid: process.geteuid(), egid: process.getegid() }));
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

/** Why the oracle cannot run here, or undefined. */
export function usernsOracleMissing(unprivileged = false): Missing {
  if (process.platform !== 'linux') return `user namespaces need Linux (this is ${process.platform})`;
  const probe = spawnSync('unshare', ['--user', 'true'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return `cannot create a user namespace with \`unshare --user\` (${probe.error?.message ?? probe.stderr.trim()})`;
  if (unprivileged) {
    if (process.geteuid?.() !== 0) return 'the unprivileged run switches to uid 65534 with setpriv, which needs root';
    const p = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'unshare', '--user', 'true'], { encoding: 'utf8' });
    if (p.error || p.status !== 0) return `setpriv/unshare as uid 65534 failed (${p.error?.message ?? p.stderr.trim()})`;
  }
  return undefined;
}

/** Writes every case to a fresh namespace's map and returns the kernel's answers, with the writer's euid/egid. */
export function kernelMapAnswers(cases: readonly MapCase[], unprivileged = false): { answers: MapAnswer[]; euid: number; egid: number } {
  const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-userns-'));
  try {
    chmodSync(dir, 0o755);
    const file = join(dir, 'cases.json');
    writeFileSync(file, JSON.stringify(cases));
    chmodSync(file, 0o644);
    const command = unprivileged ? 'setpriv' : process.execPath;
    const args = unprivileged
      ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', WRITER, file]
      : ['-e', WRITER, file];
    const run = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
    if (run.status !== 0) throw new Error(`map oracle failed: ${run.error?.message ?? run.stderr}`);
    return JSON.parse(run.stdout) as { answers: MapAnswer[]; euid: number; egid: number };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
