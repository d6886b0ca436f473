/**
 * Builds the native helpers the benchmark compares against (in bench/out/bin), installing the Debian packages
 * they need when missing (scripts/install-test-deps.sh).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const OUT_DIR = join(BENCH_DIR, 'out');
export const BIN_DIR = join(OUT_DIR, 'bin');
const ROOT = dirname(BENCH_DIR);

interface Helper {
  readonly source: string;
  readonly libs: readonly string[];
}

const HELPERS: Record<string, Helper> = {
  'libseccomp-harness': { source: 'native/libseccomp-harness.c', libs: ['-lseccomp'] },
  'bpf-interp': { source: 'native/bpf-interp.c', libs: ['-lpcap'] },
  'syscall-cost': { source: 'native/syscall-cost.c', libs: [] },
  'replay-cost': { source: 'native/replay-cost.c', libs: [] },
};

export type HelperName = keyof typeof HELPERS;

function haveHeaders(): boolean {
  return existsSync('/usr/include/seccomp.h') && existsSync('/usr/include/pcap/pcap.h') &&
    spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Compiles every helper that is missing or older than its source; returns the path of each. */
export function buildHelpers(): Record<HelperName, string> {
  if (!haveHeaders()) {
    const r = spawnSync('bash', [join(ROOT, 'scripts/install-test-deps.sh')], { stdio: 'inherit', timeout: 600_000 });
    if (r.status !== 0 || !haveHeaders()) {
      throw new Error('bench needs cc, libseccomp-dev and libpcap-dev (scripts/install-test-deps.sh could not install them)');
    }
  }
  mkdirSync(BIN_DIR, { recursive: true });
  const out = {} as Record<HelperName, string>;
  for (const [name, h] of Object.entries(HELPERS)) {
    const src = join(BENCH_DIR, h.source);
    const bin = join(BIN_DIR, name);
    if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
      execFileSync('cc', ['-O2', '-Wall', '-o', bin, src, ...h.libs], { stdio: 'inherit', timeout: 120_000 });
    }
    out[name as HelperName] = bin;
  }
  return out;
}

/** Runs a helper with a timeout; returns its stdout parsed as JSON. */
export function runHelper<T>(bin: string, args: readonly string[], timeoutMs: number): T {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20 });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error?.message ?? (r.signal ? `killed by ${r.signal}` : `exit ${r.status}`);
    throw new Error(`${bin.split('/').pop()} ${args.join(' ')}: ${why}${r.stderr ? `: ${r.stderr.trim()}` : ''}`);
  }
  return JSON.parse(r.stdout) as T;
}
