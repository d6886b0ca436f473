/**
 * `audit` on real kernel records (root): a LOG filter and a KILL filter on real commands, and an i386 call, read
 * back from the kernel log and decoded exactly; `audit --follow` sees a new record as it is written.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { parseSeccompRecord, type SeccompRecord } from '../src/audit/record.js';
import type { Program } from '../src/bpf/instructions.js';
import { compilePolicy } from '../src/compiler/compile.js';
import { openAuditStream } from '../src/linux/audit-netlink.js';
import { readKernelLog } from '../src/linux/kmsg.js';
import { runFiltered } from '../src/linux/run.js';
import { loadProfile } from '../src/policy/oci/index.js';
import { CLI_MAIN, cliProcess, kernelLogMissing, sharedTempDir, unprivilegedMissing, removeWorldReadableCli } from './support/live.js';
import { itWhen } from './support/require.js';

const tmp = sharedTempDir('seccomp-ts-audit-');
afterAll(() => {
  tmp.remove();
  removeWorldReadableCli();
});
const ccMissing = kernelLogMissing() ?? (spawnSync('cc', ['--version']).status === 0 ? undefined : 'no C compiler (cc)');

const filterOf = (syscalls: object[]): Program =>
  compilePolicy(loadProfile(JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], syscalls }), 't').policy).program;

/** The records of `pid` in the kernel log. */
function recordsOf(pid: number): SeccompRecord[] {
  return readKernelLog().flatMap((line) => {
    try {
      const r = parseSeccompRecord(line);
      return r !== undefined && r.pid === pid ? [r] : [];
    } catch {
      return [];
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `command` under `filter` until the kernel log holds `count` records of it. Without an audit daemon the kernel
 * prints audit records through printk's rate limit (10 per 5 s, shared by the whole machine), so an attempt whose
 * records were suppressed is repeated after the limit's interval; `prepare` runs before every attempt, so that each
 * finds what the command changes as the first did (a directory not yet made, a file not yet removed).
 */
async function recordsOfRun(filter: Program, command: string, args: string[], count: number, prepare: () => void = () => {}): Promise<{ records: SeccompRecord[]; status: number }> {
  for (let attempt = 0; ; attempt++) {
    prepare();
    const result = await runFiltered({ command, args, filters: [filter], stdio: 'ignore', forwardSignals: false, passFds: [] });
    for (let i = 0; i < 20; i++) {
      const records = recordsOf(result.pid);
      if (records.length >= count) return { records, status: result.status };
      await sleep(50);
    }
    if (attempt === 5) throw new Error(`no kernel record of ${command} after 6 attempts (printk rate limit, or auditing off)`);
    await sleep(5200);
  }
}

describe('audit on the kernel\'s own records', () => {
  itWhen(kernelLogMissing(), 'a LOG filter and a KILL filter on real commands: names, ABI and action decoded exactly', async () => {
    const made = join(tmp.dir, 'made');
    const logged = await recordsOfRun(filterOf([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_LOG' }]), 'mkdir', [made], 1, () => rmSync(made, { recursive: true, force: true }));
    expect(logged.status).toBe(0);
    expect(logged.records[0]).toMatchObject({ comm: 'mkdir', exe: expect.stringMatching(/\/mkdir$/), abi: 'x86_64', syscall: 'mkdir', action: 'LOG', code: 0x7ffc0000, signal: '0' });
    const file = join(tmp.dir, 'file');
    const removed = await recordsOfRun(filterOf([{ names: ['unlink', 'unlinkat'], action: 'SCMP_ACT_KILL_PROCESS' }]), 'rm', [file], 1, () => writeFileSync(file, ''));
    expect(removed.status).toBe(159);
    expect(removed.records[0]).toMatchObject({ comm: 'rm', abi: 'x86_64', syscall: 'unlinkat', action: 'KILL_PROCESS', signal: '31' });
  });

  itWhen(ccMissing, 'an i386 call through int $0x80 is named through the i386 table', async () => {
    const source = join(tmp.dir, 'i386.c');
    const binary = join(tmp.dir, 'i386-call');
    writeFileSync(source, 'int main(void) { long r; __asm__ volatile ("int $0x80" : "=a"(r) : "a"(20L) : "memory"); return r > 0 ? 0 : 1; }\n');
    expect(spawnSync('cc', ['-O1', '-o', binary, source]).status).toBe(0);
    const { records, status } = await recordsOfRun(filterOf([{ names: ['getpid'], action: 'SCMP_ACT_LOG' }]), binary, [], 1);
    expect(status).toBe(0);
    expect(records.find((r) => r.abi === 'i386')).toMatchObject({ abi: 'i386', nr: 20, syscall: 'getpid', action: 'LOG', compat: true });
  });

  itWhen(kernelLogMissing(), 'the audit multicast receives every record of a burst, past printk\'s limit of 10 per 5 s', async () => {
    const stream = openAuditStream();
    expect(stream).toBeDefined();
    try {
      const result = await runFiltered({ command: 'ls', args: ['-l', '/proc/self/fd'], filters: [filterOf([{ names: ['close', 'openat', 'read', 'newfstatat', 'statx', 'readlink', 'lstat'], action: 'SCMP_ACT_LOG' }])], stdio: 'ignore', forwardSignals: false, passFds: [] });
      let mine: SeccompRecord[] = [];
      for (let i = 0; i < 20 && mine.length < 12; i++) {
        await sleep(50);
        mine = [...mine, ...stream!.readNew().map((l) => parseSeccompRecord(l)!).filter((r) => r.pid === result.pid)];
      }
      expect(mine.length).toBeGreaterThanOrEqual(12);
      expect(mine.every((r) => r.action === 'LOG' && r.abi === 'x86_64' && r.comm === 'ls')).toBe(true);
    } finally {
      stream?.close();
    }
  });

  const restricted = readFileSync('/proc/sys/kernel/dmesg_restrict', 'utf8').trim() === '1';
  itWhen(unprivilegedMissing() ?? (restricted ? undefined : 'dmesg_restrict is off: everyone may read the kernel log here'),
    'as an unprivileged user, reading the kernel log is one clear error', () => {
      const r = cliProcess(['audit', '--follow'], { unprivileged: true });
      expect([r.status, r.stdout]).toEqual([2, '']);
      expect(r.stderr).toMatch(/^seccomp-ts: audit: --follow reads \/dev\/kmsg, which needs root or CAP_SYSLOG here \(EPERM\)/);
      const all = cliProcess(['audit'], { unprivileged: true });
      expect(all.status).toBe(2);
      expect(all.stderr).toContain('reading the kernel log (/dev/kmsg) needs root or CAP_SYSLOG');
    });

  itWhen(kernelLogMissing(), '--follow prints a record written after it started', async () => {
    const name = `sts-follow-${process.pid}`;
    const binary = join(tmp.dir, name);
    copyFileSync('/bin/true', binary);
    const tsx = `file://${createRequire(import.meta.url).resolve('tsx')}`;
    const follower = spawn(process.execPath, ['--import', tsx, CLI_MAIN, 'audit', '--follow', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    follower.stdout.on('data', (b: Buffer) => { out += b; });
    const closed = new Promise<number | null>((resolve) => follower.once('close', resolve));
    try {
      const filter = filterOf([{ names: ['exit_group'], action: 'SCMP_ACT_LOG' }]);
      let seen: { syscall: string; action: string } | undefined;
      for (let attempt = 0; attempt < 6 && seen === undefined; attempt++) {
        await runFiltered({ command: binary, filters: [filter], stdio: 'ignore', forwardSignals: false, passFds: [] });
        for (let i = 0; i < 40 && seen === undefined; i++) {
          await sleep(100);
          seen = out.split('\n').filter((l) => l.includes(`"comm":"${name.slice(0, 15)}"`)).map((l) => JSON.parse(l))[0];
        }
        if (seen === undefined) await sleep(5200);
      }
      expect(seen).toMatchObject({ syscall: 'exit_group', action: 'LOG', abi: 'x86_64' });
    } finally {
      follower.kill('SIGTERM');
    }
    expect(await closed).toBe(0);
  }, 90_000);
});
