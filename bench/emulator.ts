/**
 * Emulator throughput: evaluations per second of the reference interpreter and of the compiled executor on
 * realistic filters and a realistic syscall mix, each beside baselines measured in the same run (a trivial
 * JavaScript loop over the same inputs, the floor of any evaluator, and the interpreter for the executor).
 *
 * Standalone: `node --import tsx bench/emulator.ts [--quick]` prints one JSON document.
 */
import { pathToFileURL } from 'node:url';
import { ins, type Instruction, type Program } from '../src/bpf/instructions.js';
import { compilePolicy } from '../src/compiler/index.js';
import { callData, prepareFilter, interpret } from '../src/emulator/index.js';
import { getProfile } from '../src/policy/profiles/index.js';
import { encodeAction } from '../src/syscalls/actions.js';
import { AUDIT_ARCH_X86_64, type ArchName } from '../src/syscalls/arch.js';
import { resolveSyscall, syscallTable } from '../src/syscalls/resolve.js';

export interface EmulatorBenchOptions {
  /** Time per measurement sample, in milliseconds (default 250). */
  readonly sampleMs?: number;
  /** Samples per contender; the median is reported (default 5). */
  readonly samples?: number;
  /** Distinct inputs cycled through (default 4096). */
  readonly inputs?: number;
}

export interface ContenderResult {
  readonly name: string;
  readonly evaluationsPerSecond: number;
  readonly nsPerEvaluation: number;
}

export interface FilterBench {
  readonly filter: string;
  readonly instructions: number;
  /** Mean instructions executed per evaluation over the input mix. */
  readonly meanExecuted: number;
  readonly executorMode: string;
  readonly results: ContenderResult[];
  readonly ratios: {
    /** How many times faster the executor is than the interpreter. */
    readonly executorOverInterpreter: number;
    /** Executor throughput as a fraction of the trivial loop's (1 would mean free). */
    readonly executorOverTrivialLoop: number;
    readonly interpreterOverTrivialLoop: number;
  };
}

export interface EmulatorBenchResult {
  readonly benchmark: 'emulator';
  readonly node: string;
  readonly inputs: number;
  readonly inputMix: string;
  readonly filters: FilterBench[];
}

/** Syscalls a busy server process makes most, roughly by frequency (weights sum to 100). */
const HOT_SYSCALLS: ReadonlyArray<readonly [string, number]> = [
  ['read', 14], ['write', 12], ['futex', 10], ['epoll_wait', 8], ['recvfrom', 6], ['sendto', 6], ['close', 5],
  ['mmap', 4], ['munmap', 3], ['openat', 4], ['fstat', 4], ['clock_gettime', 3], ['poll', 2], ['lseek', 2],
  ['getpid', 2], ['brk', 2], ['mprotect', 2], ['rt_sigprocmask', 2], ['accept4', 1], ['ioctl', 2], ['madvise', 1],
  ['socket', 1], ['connect', 1], ['execve', 1], ['clone', 1],
];

/** A deterministic pseudo-random sequence, so that every run measures the same mix. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** 90% x86_64 hot syscalls, 4% x86_64 rare ones, 3% i386, 3% x32; small argument values. */
export function inputMix(count: number): Uint32Array[] {
  const rand = lcg(0x5ecc0);
  const total = HOT_SYSCALLS.reduce((n, [, w]) => n + w, 0);
  const pickHot = (): string => {
    let r = rand() * total;
    for (const [name, w] of HOT_SYSCALLS) if ((r -= w) < 0) return name;
    return 'read';
  };
  const all = syscallTable('x86_64');
  const out: Uint32Array[] = [];
  for (let i = 0; i < count; i++) {
    const r = rand();
    const arch: ArchName = r < 0.94 ? 'x86_64' : r < 0.97 ? 'i386' : 'x32';
    let syscall: string | number = pickHot();
    if (arch === 'x86_64' && r >= 0.9) syscall = (all[Math.floor(rand() * all.length)] as { nr: number }).nr;
    if (arch !== 'x86_64') {
      try {
        resolveSyscall(arch, syscall as string);
      } catch {
        syscall = 'read';
      }
    }
    const args = Array.from({ length: 6 }, () => Math.floor(rand() * 64));
    out.push(callData({ arch, syscall, args, instructionPointer: 0x7f0000001000n }).words);
  }
  return out;
}

/**
 * A linear allow-list over every x86_64 syscall but a few, with argument checks on some: the shape of a
 * large container profile compiled without a dispatch tree.
 */
export function linearAllowList(): Program {
  const denied = new Set(['ptrace', 'kexec_load', 'init_module', 'reboot', 'mount', 'umount2', 'bpf', 'perf_event_open']);
  const allowed = syscallTable('x86_64').filter((e) => !denied.has(e.name)).map((e) => e.nr);
  const ALLOW = encodeAction({ kind: 'ALLOW' });
  const DENY = encodeAction({ kind: 'ERRNO', data: 1 });
  const body: Instruction[] = [];
  // Personality and socket get an argument check each; the rest are plain equality tests.
  for (const nr of allowed) body.push(ins.jump('jeq', nr, 0, 1), ins.ret(ALLOW));
  return [
    ins.loadWord(4),
    ins.jump('jeq', AUDIT_ARCH_X86_64, 1, 0),
    ins.ret(encodeAction({ kind: 'KILL_PROCESS' })),
    ins.loadWord(0),
    ins.jump('jge', 0x40000000, 0, 1),
    ins.ret(DENY),
    ...body,
    ins.ret(DENY),
  ];
}

function timeContender(run: (w: Uint32Array) => number, inputs: readonly Uint32Array[], sampleMs: number, samples: number): number {
  let sink = 0;
  const n = inputs.length;
  const rates: number[] = [];
  // Warm-up, so that every contender is measured optimised.
  for (let i = 0; i < 20_000; i++) sink ^= run(inputs[i % n] as Uint32Array);
  for (let s = 0; s < samples; s++) {
    let evaluations = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < sampleMs) {
      for (let i = 0; i < n; i++) sink ^= run(inputs[i] as Uint32Array);
      evaluations += n;
      elapsed = performance.now() - start;
    }
    rates.push((evaluations / elapsed) * 1000);
  }
  if (sink === 0x12345678) console.error('');
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] as number;
}

function benchFilter(name: string, program: Program, inputs: readonly Uint32Array[], sampleMs: number, samples: number): FilterBench {
  const filter = prepareFilter(program);
  let executed = 0;
  for (const w of inputs) {
    const a = interpret(program, w);
    const b = filter.runCounting(w);
    if (a.raw !== b.raw || a.executed !== b.executed) throw new Error(`${name}: executor and interpreter disagree`);
    executed += a.executed;
  }
  const contenders: ReadonlyArray<readonly [string, (w: Uint32Array) => number]> = [
    ['trivial-loop', (w) => (w[0] as number) ^ (w[1] as number)],
    ['interpreter', (w) => interpret(program, w).raw],
    ['executor', (w) => filter.runWords(w)],
  ];
  const results = contenders.map(([contender, run]): ContenderResult => {
    const rate = timeContender(run, inputs, sampleMs, samples);
    return { name: contender, evaluationsPerSecond: Math.round(rate), nsPerEvaluation: Number((1e9 / rate).toFixed(2)) };
  });
  const rate = (n: string): number => (results.find((r) => r.name === n) as ContenderResult).evaluationsPerSecond;
  const round = (x: number): number => Number(x.toFixed(3));
  return {
    filter: name,
    instructions: program.length,
    meanExecuted: round(executed / inputs.length),
    executorMode: filter.mode,
    results,
    ratios: {
      executorOverInterpreter: round(rate('executor') / rate('interpreter')),
      executorOverTrivialLoop: round(rate('executor') / rate('trivial-loop')),
      interpreterOverTrivialLoop: round(rate('interpreter') / rate('trivial-loop')),
    },
  };
}

/** Runs the emulator benchmark and returns its results. */
export function benchEmulator(options: EmulatorBenchOptions = {}): EmulatorBenchResult {
  const sampleMs = options.sampleMs ?? 250;
  const samples = options.samples ?? 5;
  const inputs = inputMix(options.inputs ?? 4096);
  const filters: ReadonlyArray<readonly [string, Program]> = [
    ['hardened profile (compiled by seccomp-ts)', compilePolicy(getProfile('hardened')).program],
    ['linear allow-list of the x86_64 table', linearAllowList()],
  ];
  return {
    benchmark: 'emulator',
    node: process.version,
    inputs: inputs.length,
    inputMix: '90% hot x86_64 syscalls (weighted), 4% other x86_64, 3% i386, 3% x32; small arguments',
    filters: filters.map(([name, program]) => benchFilter(name, program, inputs, sampleMs, samples)),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const result = benchEmulator(quick ? { sampleMs: 50, samples: 3 } : {});
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
