/**
 * `seccomp-ts run` against the real kernel: verdicts enforced, stdio, fds, environment and exit statuses passed
 * through, seccomp kills reported (with the kernel's record as root), stacking order, complain mode; as root and
 * as an unprivileged user.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { complainProgram } from '../src/bpf/complain.js';
import type { Program } from '../src/bpf/instructions.js';
import { compilePolicy } from '../src/compiler/compile.js';
import { interpret } from '../src/emulator/interpreter.js';
import { runFiltered } from '../src/linux/run.js';
import { loadProfile } from '../src/policy/oci/index.js';
import { SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW, SECCOMP_RET_LOG } from '../src/syscalls/actions.js';
import { validProgram } from './bpf-arbitraries.js';
import { cli } from './support/cli.js';
import { cliProcess, kernelLogMissing, kernelMissing, sharedTempDir, unprivilegedMissing, removeWorldReadableCli } from './support/live.js';
import { itWhen } from './support/require.js';

const profile = (deny: string[], action: string, errnoRet?: number): string => JSON.stringify({
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls: [{ names: deny, action, ...(errnoRet !== undefined && { errnoRet }) }],
});
const filterOf = (text: string): Program => compilePolicy(loadProfile(text, 'test').policy).program;

const tmp = sharedTempDir('seccomp-ts-run-');
let files: Record<'eperm' | 'eacces' | 'kill', string>;
beforeAll(() => {
  files = {
    eperm: tmp.write('eperm.json', profile(['mkdir', 'mkdirat'], 'SCMP_ACT_ERRNO', 1)),
    eacces: tmp.write('eacces.json', profile(['mkdir', 'mkdirat'], 'SCMP_ACT_ERRNO', 13)),
    kill: tmp.write('kill.json', profile(['mkdir', 'mkdirat'], 'SCMP_ACT_KILL_PROCESS')),
  };
});
afterAll(() => {
  tmp.remove();
  removeWorldReadableCli();
});

describe('complain mode (pure)', () => {
  it('turns every non-ALLOW verdict into LOG and keeps ALLOW verdicts exactly, on random programs', () => {
    fc.assert(fc.property(validProgram(24), fc.array(fc.nat({ max: 0xffffffff }), { minLength: 16, maxLength: 16 }), (program, words) => {
      const data = new Uint32Array(words);
      const before = interpret(program, data).raw >>> 0;
      const after = interpret(complainProgram(program), data).raw >>> 0;
      const allowed = ((before & SECCOMP_RET_ACTION_FULL) >>> 0) === SECCOMP_RET_ALLOW || ((before & SECCOMP_RET_ACTION_FULL) >>> 0) === SECCOMP_RET_LOG;
      expect(after).toBe(allowed ? before : SECCOMP_RET_LOG);
    }), { numRuns: 400 });
  });
});

describe('run in the kernel (in-process launcher)', () => {
  itWhen(kernelMissing, 'an ERRNO(EPERM) verdict on mkdir: the command fails with EPERM and makes nothing', async () => {
    const dir = join(tmp.dir, 'not-made');
    const r = spawnResult(await runPiped([filterOf(readFileSync(files.eperm, 'utf8'))], 'mkdir', [dir]));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Operation not permitted');
    expect(existsSync(dir)).toBe(false);
  });

  itWhen(kernelMissing, 'stdin, stdout, stderr and an inherited fd 3 pass through byte for byte', async () => {
    const bytes = randomBytes(200_000);
    const fd3Path = join(tmp.dir, 'fd3');
    const fd3 = openSync(fd3Path, 'w');
    try {
      const filters = [filterOf(readFileSync(files.eperm, 'utf8'))];
      const r = await runPiped(filters, 'sh', ['-c', 'cat; printf "to fd 3" >&3; printf "\\000\\377err" >&2; exit 7'], bytes, fd3);
      expect(r.status).toBe(7);
      expect(Buffer.compare(r.stdout, bytes)).toBe(0);
      expect([...r.stderr], r.stderr.toString()).toEqual([0, 255, ...Buffer.from("err")]);
    } finally {
      closeSync(fd3);
    }
    expect(readFileSync(fd3Path, 'utf8')).toBe('to fd 3');
  });

  itWhen(kernelMissing, 'exit statuses 0 and 7 and a signal (128+N) are returned as the command\'s own', async () => {
    const filters = [filterOf(readFileSync(files.eperm, 'utf8'))];
    expect((await runPiped(filters, 'true', [])).status).toBe(0);
    expect((await runPiped(filters, 'sh', ['-c', 'exit 7'])).status).toBe(7);
    const killed = await runPiped(filters, 'sh', ['-c', 'kill -USR1 $$']);
    expect([killed.status, killed.result.exit]).toEqual([128 + 10, { kind: 'signal', signal: 'SIGUSR1', number: 10 }]);
  });

  itWhen(kernelMissing, 'stacked filters are installed in order: the last installed decides between equal actions', async () => {
    const eperm = filterOf(readFileSync(files.eperm, 'utf8'));
    const eacces = filterOf(readFileSync(files.eacces, 'utf8'));
    const script = ['-c', 'grep Seccomp_filters /proc/self/status; mkdir "$0"', join(tmp.dir, 'x')];
    const a = spawnResult(await runPiped([eperm, eacces], 'sh', script));
    const b = spawnResult(await runPiped([eacces, eperm], 'sh', script));
    expect(a.stdout).toBe('Seccomp_filters:\t2\n');
    expect(a.stderr).toContain('Permission denied');
    expect(b.stderr).toContain('Operation not permitted');
  });

  itWhen(kernelLogMissing(), 'a KILL_PROCESS verdict: SIGSYS, and the kernel record names the call (root)', async () => {
    // Without an audit daemon the kernel prints its records through printk's machine-wide rate limit (10 per
    // 5 s): a run whose record was suppressed is repeated once the limit's interval has passed.
    let r = await runPiped([filterOf(readFileSync(files.kill, 'utf8'))], 'mkdir', [join(tmp.dir, 'k')]);
    for (let attempt = 0; attempt < 3 && r.result.record === undefined; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 5200));
      r = await runPiped([filterOf(readFileSync(files.kill, 'utf8'))], 'mkdir', [join(tmp.dir, 'k')]);
    }
    expect(r.status).toBe(128 + 31);
    expect(r.result.killedBySeccomp).toBe(true);
    expect(r.result.record).toMatchObject({ syscall: 'mkdir', abi: 'x86_64', action: 'KILL_PROCESS', pid: r.result.pid });
  }, 60_000);
});

describe('packaging', () => {
  it('the build makes seccomp-ts/linux and the launcher, and the package exports the entry', async () => {
    const { default: configs } = await import('../tsup.config.js');
    const entries = (Array.isArray(configs) ? configs : [configs]).flatMap((c) => Object.keys((c as { entry?: Record<string, string> }).entry ?? {}));
    expect(entries).toEqual(expect.arrayContaining(['linux/index', 'linux/launcher', 'cli/main']));
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown>; optionalDependencies: Record<string, string> };
    expect(pkg.exports['./linux']).toEqual({ import: { types: './dist/linux/index.d.ts', default: './dist/linux/index.js' } });
    expect(Object.keys(pkg.optionalDependencies)).toContain('koffi');
  });
});

describe('seccomp-ts run (the CLI)', () => {
  it('refuses a command line without -- and an unknown command, before running anything', async () => {
    expect(await cli(['run', files.eperm, 'ls'])).toMatchObject({ code: 125, stderr: expect.stringContaining("put the command after '--'") });
    expect(await cli(['run', '--', 'ls'])).toMatchObject({ code: 125, stderr: expect.stringContaining('name a filter') });
    expect(await cli(['run', files.eperm, '--tune', 'deny:mkdir', '--filter', files.kill, '--', 'ls'])).toMatchObject({ code: 125, stderr: expect.stringContaining('--tune applies to one policy') });
  });

  itWhen(kernelMissing, 'a command that is not found is 127', async () => {
    expect(await cli(['run', files.eperm, '--', 'no-such-command-seccomp-ts'])).toMatchObject({ code: 127, stderr: 'seccomp-ts: run: no-such-command-seccomp-ts: command not found\n' });
  });

  for (const unprivileged of [false, true]) {
    const who = unprivileged ? 'as uid 65534' : 'as the current user';
    const missing = unprivileged ? unprivilegedMissing() : kernelMissing;
    itWhen(missing, `${who}: ERRNO, exit status, environment, stdin and fd 3 pass through; a kill is reported in one line`, () => {
      const dir = join(tmp.dir, `d-${unprivileged}`);
      const denied = cliProcess(['run', files.eperm, '--', 'mkdir', dir], { unprivileged });
      expect(denied.status, denied.stderr).toBe(1);
      expect(denied.stderr).toContain('Operation not permitted');
      expect(existsSync(dir)).toBe(false);
      const passed = cliProcess(['run', files.eperm, '--', 'sh', '-c', 'printf "%s|" "$SECCOMP_TS_TEST"; cat; exit 7'], {
        unprivileged, input: 'from stdin', env: { ...process.env, SECCOMP_TS_TEST: 'a b\nc' },
      });
      expect([passed.status, passed.stdout], passed.stderr).toEqual([7, 'a b\nc|from stdin']);
      let killed = cliProcess(['run', '--filter', files.kill, '--', 'mkdir', dir], { unprivileged });
      // As root the line names the call from the kernel's record, which printk's rate limit may have suppressed.
      for (let attempt = 0; attempt < 3 && killed.stderr.includes('no audit record'); attempt++) {
        spawnSync('sleep', ['5.2']);
        killed = cliProcess(['run', '--filter', files.kill, '--', 'mkdir', dir], { unprivileged });
      }
      expect(killed.status).toBe(159);
      const lines = killed.stderr.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^seccomp-ts: run: mkdir was killed by its seccomp filter \(SIGSYS\)/);
      if (process.getuid?.() === 0 && !unprivileged) expect(lines[0]).toContain('the filter returned KILL_PROCESS for mkdir (x86_64)');
      const fd3Path = join(tmp.dir, `fd3-${unprivileged}`);
      const fd3 = openSync(fd3Path, 'w');
      try {
        const passed3 = cliProcess(['run', files.eperm, '--', 'sh', '-c', 'printf "through fd 3" >&3'], { unprivileged, fd3 });
        expect([passed3.status, passed3.stderr]).toEqual([0, '']);
      } finally {
        closeSync(fd3);
      }
      expect(readFileSync(fd3Path, 'utf8')).toBe('through fd 3');
      const signalled = cliProcess(['run', files.eperm, '--', 'sh', '-c', 'kill -USR1 $$'], { unprivileged });
      expect([signalled.status, signalled.stderr]).toEqual([128 + 10, '']);
      const complained = cliProcess(['run', '--complain', files.kill, '--', 'mkdir', dir], { unprivileged });
      expect(complained.status).toBe(0);
      expect(existsSync(dir)).toBe(true);
    }, 60_000);
  }
});

describe('the launcher under the filter', () => {
  // A program whose only call is exit: under a profile that allows execve and exit alone, any call the launcher
  // made between installing the filter and execve would kill it. The large environment is what would take V8 new
  // heap pages (mmap, madvise) had the launcher built execve's arguments after the filter.
  const onlyExitMissing = kernelMissing ?? (process.arch !== 'x64' ? `the program is x86-64 code (this is ${process.arch})`
    : spawnSync('cc', ['--version']).status === 0 ? undefined : 'no C compiler (cc)');
  const env = { ...process.env, ...Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`SECCOMP_TS_PAD_${i}`, 'x'.repeat(8192)])) };
  const build = (): { binary: string; strict: string } => {
    const source = tmp.write('only-exit.c', 'void _start(void) { __asm__ volatile ("mov $60, %eax\\n xor %edi, %edi\\n syscall"); }\n');
    const binary = join(tmp.dir, 'only-exit');
    if (!existsSync(binary)) expect(spawnSync('cc', ['-O1', '-static', '-nostdlib', '-o', binary, source]).status).toBe(0);
    const strict = tmp.write('only-execve-exit.json', JSON.stringify({
      defaultAction: 'SCMP_ACT_KILL_PROCESS', architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['execve', 'exit'], action: 'SCMP_ACT_ALLOW' }],
    }));
    return { binary, strict };
  };

  for (const unprivileged of [false, true]) {
    const who = unprivileged ? 'as uid 65534 (the bundled launcher)' : 'as the current user';
    itWhen(onlyExitMissing ?? (unprivileged ? unprivilegedMissing() : undefined), `${who}: it makes no call of its own once a filter is installed; execve is the first`, () => {
      const { binary, strict } = build();
      for (let i = 0; i < 3; i++) {
        const r = cliProcess(['run', strict, '--', binary], { unprivileged, env });
        expect([r.status, r.stderr], `run ${i + 1}`).toEqual([0, '']);
      }
    }, 60_000);
  }
});

describe('seccomp-ts run and signals', () => {
  itWhen(kernelMissing, 'SIGTERM to run reaches the command; run exits with its status and leaves nothing running', async () => {
    const { spawn } = await import('node:child_process');
    const { CLI_MAIN, processesWithArgv } = await import('./support/live.js');
    const { createRequire } = await import('node:module');
    const tsx = `file://${createRequire(import.meta.url).resolve('tsx')}`;
    // A duration no other test run on the machine uses, so that only this run's sleep is found.
    const duration = `41.${process.pid}`;
    const child = spawn(process.execPath, ['--import', tsx, CLI_MAIN, 'run', files.eperm, '--', 'sleep', duration], { stdio: 'ignore' });
    const sleeping = () => processesWithArgv(['sleep', duration]);
    for (let i = 0; i < 200 && sleeping().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(sleeping()).toHaveLength(1);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(143);
    expect(sleeping()).toEqual([]);
  }, 60_000);
});

interface Piped { status: number; stdout: Buffer; stderr: Buffer; result: Awaited<ReturnType<typeof runFiltered>> }

/** Runs `command` under `filters` with stdio piped (and `fd3` as fd 3), collecting output. */
async function runPiped(filters: Program[], command: string, args: string[], input: Uint8Array = new Uint8Array(), fd3?: number): Promise<Piped> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const result = await runFiltered({
    command, args, filters, forwardSignals: false, passFds: fd3 !== undefined ? [3] : [],
    stdio: ['pipe', 'pipe', 'pipe', ...(fd3 !== undefined ? [fd3] : [])],
    onSpawn: (child) => {
      child.stdout!.on('data', (b: Buffer) => out.push(b));
      child.stderr!.on('data', (b: Buffer) => err.push(b));
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(input);
    },
  });
  return { status: result.status, stdout: Buffer.concat(out), stderr: Buffer.concat(err), result };
}

const spawnResult = (p: Piped) => ({ status: p.status, stdout: p.stdout.toString('utf8'), stderr: p.stderr.toString('utf8') });
