/**
 * Builds `oracle.c` with `cc` (once per test process) and runs it: the running kernel answers whether it
 * accepts a program as a seccomp filter.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawInstruction } from '../../src/bpf/instructions.js';
import type { Missing } from './require.js';

const here = dirname(fileURLToPath(import.meta.url));
let built: { path?: string; missing: Missing } | undefined;

/** Compiles the oracle; returns why it cannot be used, or undefined when it can. */
export function oracleMissing(): Missing {
  return buildOracle().missing;
}

function buildOracle(): { path?: string; missing: Missing } {
  if (built) return built;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    built = { missing: `the kernel oracle needs Linux on x86_64 (this is ${process.platform}/${process.arch})` };
    return built;
  }
  const cc = spawnSync('cc', ['--version'], { encoding: 'utf8' });
  if (cc.status !== 0) {
    built = { missing: 'no C compiler (`cc`) on this machine' };
    return built;
  }
  const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-oracle-'));
  const path = join(dir, 'oracle');
  try {
    execFileSync('cc', ['-O2', '-Wall', '-o', path, join(here, 'oracle.c')], { stdio: 'pipe' });
  } catch (err) {
    built = { missing: `cannot build the kernel oracle: ${(err as Error).message.split('\n')[0]}` };
    return built;
  }
  const probe = spawnSync(path, ['check'], { input: encodeBatch([[{ code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 }]]) });
  if (probe.status !== 0 || probe.stdout.toString().trim() !== 'accepted') {
    built = { missing: `this kernel does not load seccomp filters here (${probe.stdout}${probe.stderr})`.trim() };
    return built;
  }
  built = { path, missing: undefined };
  return built;
}

export function oraclePath(): string {
  const b = buildOracle();
  if (!b.path || !existsSync(b.path)) throw new Error(`kernel oracle unavailable: ${b.missing}`);
  return b.path;
}

function encodeBatch(programs: readonly (readonly RawInstruction[])[]): Buffer {
  const size = programs.reduce((n, p) => n + 4 + 8 * p.length, 0);
  const buf = Buffer.alloc(size);
  let o = 0;
  for (const p of programs) {
    buf.writeUInt32LE(p.length, o); o += 4;
    for (const r of p) {
      buf.writeUInt16LE(r.code, o); buf.writeUInt8(r.jt, o + 2); buf.writeUInt8(r.jf, o + 3); buf.writeUInt32LE(r.k >>> 0, o + 4);
      o += 8;
    }
  }
  return buf;
}

export type KernelAnswer = { accepted: true } | { accepted: false; errno: number };

/** Asks the kernel whether it accepts each program as a seccomp filter. */
export function kernelAccepts(programs: readonly (readonly RawInstruction[])[]): KernelAnswer[] {
  const out = spawnSync(oraclePath(), ['check'], { input: encodeBatch(programs), maxBuffer: 1 << 28 });
  if (out.status !== 0) throw new Error(`oracle failed: ${out.stderr.toString()}`);
  const lines = out.stdout.toString().trim().split('\n').filter(Boolean);
  if (lines.length !== programs.length) throw new Error(`oracle answered ${lines.length} of ${programs.length}`);
  return lines.map((l) => (l === 'accepted' ? { accepted: true } : { accepted: false, errno: Number(l.split(' ')[1]) }));
}
