/**
 * `record` → `run` round trips in the real kernel on programs no one here wrote (a shell pipeline, Python doing
 * file and loopback socket work, Node with a worker thread and a child process, sh starting several tools): the
 * recorded profile, with ERRNO and with KILL_PROCESS as default, runs each to the same output and status, and
 * removing one recorded syscall makes it fail where expected. Also: i386 and x32 calls, socket families enforced,
 * recording as an unprivileged user, and an interrupted recording.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import type { Program } from '../src/bpf/instructions.js';
import { renderRecording } from '../src/record/render.js';
import { compilePolicy } from '../src/compiler/compile.js';
import { recordCommand } from '../src/linux/record.js';
import { runFiltered } from '../src/linux/run.js';
import { loadProfile } from '../src/policy/oci/index.js';
import { policyFromJson } from '../src/policy/json.js';
import { mergeRecordings, type Recording } from '../src/record/recording.js';
import type { Action } from '../src/syscalls/actions.js';
import { CLI_MAIN, cliProcess, processesWithArgv, kernelMissing, sharedTempDir, unprivilegedMissing, removeWorldReadableCli } from './support/live.js';
import { itWhen } from './support/require.js';

const tmp = sharedTempDir('seccomp-ts-record-');
afterAll(() => {
  tmp.remove();
  removeWorldReadableCli();
});

const PYTHON = '/usr/bin/python3';
const pythonMissing = kernelMissing ?? (existsSync(PYTHON) ? undefined : `${PYTHON} is missing`);
const ccMissing = kernelMissing ?? (spawnSync('cc', ['--version']).status === 0 ? undefined : 'no C compiler (cc)');

interface Outcome { status: number; stdout: string; stderr: string }

async function piped<T extends { status: number }>(start: (stdio: 'pipe', onSpawn: (c: import('node:child_process').ChildProcess) => void) => Promise<T>): Promise<T & { stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const result = await start('pipe', (child) => {
    child.stdout!.on('data', (b: Buffer) => { stdout += b.toString('utf8'); });
    child.stderr!.on('data', (b: Buffer) => { stderr += b.toString('utf8'); });
    child.stdin!.end();
  });
  return { ...result, stdout, stderr };
}

const record = (command: string, args: string[]) =>
  piped((stdio, onSpawn) => recordCommand({ command, args, stdio, onSpawn, handleSignals: false, passFds: [] }));
const run = (filter: Program, command: string, args: string[]): Promise<Outcome> =>
  piped((stdio, onSpawn) => runFiltered({ command, args, filters: [filter], stdio, onSpawn, forwardSignals: false, passFds: [] }));

/** The recorded Docker/OCI profile compiled as `run` compiles it. */
function profileFilter(recording: Recording, defaultAction: Action): Program {
  const { text } = renderRecording(recording, 'oci', defaultAction, true);
  return compilePolicy(loadProfile(text, 'recorded').policy).program;
}

function without(recording: Recording, name: string): Recording {
  const x86 = { ...recording.abis.x86_64 };
  expect(x86[name], `${name} was recorded`).toBeDefined();
  delete x86[name];
  return { ...recording, abis: { ...recording.abis, x86_64: x86 } };
}

const EPERM: Action = { kind: 'ERRNO', data: 1 };
const KILL: Action = { kind: 'KILL_PROCESS' };

/**
 * Records (`runs` times, merged; `contention` names calls made only when threads contend, added as a user would),
 * replays under ERRNO and KILL_PROCESS defaults, and replays without `remove`; returns that last outcome.
 */
async function roundTrip(command: string, args: string[], remove: string, runs = 1, contention: string[] = []): Promise<Outcome> {
  const recordings: Recording[] = [];
  let recorded!: Awaited<ReturnType<typeof record>>;
  for (let i = 0; i < runs; i++) {
    recorded = await record(command, args);
    expect(recorded.status, recorded.stderr).toBe(0);
    recordings.push(recorded.recording);
  }
  const merged = mergeRecordings(...recordings);
  for (const name of contention) merged.abis.x86_64![name] ??= { count: 0 };
  for (const action of [EPERM, KILL]) {
    const replay = await run(profileFilter(merged, action), command, args);
    expect({ status: replay.status, stdout: replay.stdout }, `default ${action.kind}: ${replay.stderr}`).toEqual({ status: 0, stdout: recorded.stdout });
  }
  return run(profileFilter(without(merged, remove), EPERM), command, args);
}

describe('record → run round trips', () => {
  itWhen(kernelMissing, 'a shell pipeline; without pipe it cannot make its pipes', async () => {
    const script = 'printf "pear\\napple\\nfig\\n" | sort | tr a-z A-Z | head -n 2';
    const recorded = await record('sh', ['-c', script]);
    const pipe = recorded.recording.abis.x86_64?.pipe2 !== undefined ? 'pipe2' : 'pipe';
    const failed = await roundTrip('sh', ['-c', script], pipe);
    expect(recorded.stdout).toBe('APPLE\nFIG\n');
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toMatch(/pipe/i);
  });

  itWhen(pythonMissing, 'a Python script doing file and loopback socket work; without bind the server cannot start', async () => {
    const file = join(tmp.dir, 'py-data');
    const script = [
      'import socket, sys',
      `p = ${JSON.stringify(file)}`,
      'open(p, "w").write("payload")',
      'data = open(p).read().encode()',
      'srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM); srv.bind(("127.0.0.1", 0)); srv.listen(1)',
      'cli = socket.create_connection(srv.getsockname()); conn, _ = srv.accept()',
      'cli.sendall(data); got = conn.recv(100); print(got.decode(), len(got))',
    ].join('\n');
    const failed = await roundTrip(PYTHON, ['-c', script], 'bind');
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('PermissionError');
  });

  itWhen(kernelMissing, 'a Node program with a worker thread and a child process; without socketpair the child cannot start', async () => {
    const script = [
      "const { Worker } = require('node:worker_threads'); const { execFileSync } = require('node:child_process');",
      "const w = new Worker('require(\"node:worker_threads\").parentPort.postMessage(6 * 7)', { eval: true });",
      "w.once('message', (m) => { let child; try { child = execFileSync('/bin/echo', ['hello'], { encoding: 'utf8' }).trim(); }",
      "catch (e) { child = 'failed ' + (e.code ?? e.message); } console.log('worker', m, 'child', child); w.terminate(); });",
    ].join('\n');
    // sched_yield comes only when threads contend for a lock: two recordings and that one call make replays stable.
    const failed = await roundTrip(process.execPath, ['-e', script], 'socketpair', 2, ['sched_yield']);
    expect(failed.stdout).toBe('worker 42 child failed EPERM\n');
  });

  itWhen(kernelMissing, 'sh starting several tools; without uname, uname fails', async () => {
    const script = 'ls / >/dev/null && cat /etc/hostname | wc -c >/dev/null && id -u >/dev/null && uname -s';
    const failed = await roundTrip('sh', ['-c', script], 'uname');
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('uname');
  });
});

describe('record in the kernel', () => {
  itWhen(pythonMissing, 'a recorded socket family is enforced: recorded with AF_UNIX, AF_INET is refused', async () => {
    const script = 'import socket, sys\nfam = socket.AF_INET if len(sys.argv) > 1 else socket.AF_UNIX\ntry:\n  socket.socket(fam).close(); print("opened", int(fam))\nexcept OSError as e:\n  print("refused", e.errno)';
    const recorded = await record(PYTHON, ['-c', script]);
    expect(recorded.recording.abis.x86_64?.socket?.args).toEqual({ 0: { 1: 1 } });
    const filter = profileFilter(recorded.recording, EPERM);
    expect((await run(filter, PYTHON, ['-c', script])).stdout).toBe('opened 1\n');
    expect((await run(filter, PYTHON, ['-c', script, 'inet'])).stdout).toBe('refused 1\n');
  });

  itWhen(ccMissing, 'calls through int $0x80 are recorded as i386 and x32 calls as x32, and the exact policy replays them', async () => {
    const source = join(tmp.dir, 'abis.c');
    const binary = join(tmp.dir, 'abis');
    writeFileSync(source, [
      '#include <stdio.h>',
      '#include <unistd.h>',
      '#include <sys/syscall.h>',
      'int main(void) {',
      '  long i386_pid; __asm__ volatile ("int $0x80" : "=a"(i386_pid) : "a"(20L) : "memory");',
      '  long x32 = syscall(39 | 0x40000000);',
      '  printf("%d %d\\n", i386_pid == getpid(), x32 == getpid() || x32 == -1);',
      '  return 0;',
      '}',
    ].join('\n'));
    expect(spawnSync('cc', ['-O1', '-o', binary, source]).status).toBe(0);
    const recorded = await record(binary, []);
    expect(recorded.stdout).toBe('1 1\n');
    expect(recorded.recording.abis.i386?.getpid?.count).toBe(1);
    expect(recorded.recording.abis.x32?.getpid?.count).toBe(1);
    const { text } = renderRecording(recorded.recording, 'policy', KILL, true);
    const exact = compilePolicy(policyFromJson(JSON.parse(text))).program;
    expect(await run(exact, binary, [])).toMatchObject({ status: 0, stdout: '1 1\n' });
  });

  itWhen(ccMissing ?? (process.arch === 'x64' ? undefined : `the program is x86-64 code (this is ${process.arch})`), 'the launcher\'s own calls are not recorded: a program whose only call is exit is recorded as execve and exit', () => {
    const source = join(tmp.dir, 'only-exit.c');
    const binary = join(tmp.dir, 'only-exit');
    writeFileSync(source, 'void _start(void) { __asm__ volatile ("mov $60, %eax\\n xor %edi, %edi\\n syscall"); }\n');
    expect(spawnSync('cc', ['-O1', '-static', '-nostdlib', '-o', binary, source]).status).toBe(0);
    // A large environment: had the launcher built execve's arguments under the filter, V8 would have taken heap
    // pages there (mmap, madvise, brk), and they would be in the recording.
    const env = { ...process.env, ...Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`SECCOMP_TS_PAD_${i}`, 'x'.repeat(8192)])) };
    const counts = join(tmp.dir, 'only-exit.json');
    for (let i = 0; i < 3; i++) {
      const recorded = cliProcess(['record', '--format', 'json', '-o', counts, '--', binary], { env });
      expect(recorded.status, recorded.stderr).toBe(0);
      expect(JSON.parse(readFileSync(counts, 'utf8')).abis, `recording ${i + 1}`).toEqual({ x86_64: { execve: { count: 1 }, exit: { count: 1 } } });
    }
  }, 60_000);

  itWhen(unprivilegedMissing(), 'as uid 65534, through the CLI: record, then run the profile with KILL_PROCESS as default', () => {
    const profile = join(tmp.dir, 'unprivileged.json');
    const counts = join(tmp.dir, 'unprivileged.counts.json');
    const script = 'echo "$(id -u) $(printf b\\\\na | sort | head -n 1)"';
    const recorded = cliProcess(['record', '-o', profile, '--counts', counts, '--default-action', 'KILL_PROCESS', '--', 'sh', '-c', script], { unprivileged: true });
    const uid = process.getuid?.() === 0 ? 65534 : process.getuid?.();
    expect([recorded.status, recorded.stdout]).toEqual([0, `${uid} a\n`]);
    expect(recorded.stderr).toMatch(/^seccomp-ts: record: \d+ syscalls \(\d+ calls\) on x86_64; oci written to /);
    expect(JSON.parse(readFileSync(profile, 'utf8')).defaultAction).toBe('SCMP_ACT_KILL_PROCESS');
    expect(JSON.parse(readFileSync(counts, 'utf8')).seccompTsRecording).toBe(1);
    const replay = cliProcess(['run', profile, '--', 'sh', '-c', script], { unprivileged: true });
    expect([replay.status, replay.stdout, replay.stderr]).toEqual([0, `${uid} a\n`, '']);
  });

  itWhen(kernelMissing, 'SIGTERM ends the command and its children; the profile is written whole, with no temporary file left', async () => {
    const dir = join(tmp.dir, 'interrupted');
    mkdirSync(dir);
    const profile = join(dir, 'p.json');
    const tsx = `file://${createRequire(import.meta.url).resolve('tsx')}`;
    // A duration no other test run on the machine uses, so that only this run's sleeps are found.
    const duration = `37.${process.pid}`;
    const child = spawn(process.execPath, ['--import', tsx, CLI_MAIN, 'record', '-o', profile, '--', 'sh', '-c', `sleep ${duration} & sleep ${duration}; echo never`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => { out += b; });
    child.stderr.on('data', (b: Buffer) => { err += b; });
    // Wait until the command runs (both sleeps exist), then interrupt the recording.
    for (let i = 0; i < 200 && processesWithArgv(['sleep', duration]).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code, err).toBe(143);
    expect(out).toBe('');
    expect(err).toContain('SIGTERM received: sh was ended');
    expect(readdirSync(dir)).toEqual(['p.json']);
    expect(JSON.parse(readFileSync(profile, 'utf8')).syscalls[0].names).toContain('execve');
    expect(processesWithArgv(['sleep', duration])).toEqual([]);
  }, 60_000);
});
