/**
 * Docker's default profile on every machine libseccomp knows (arm64, s390x, ppc64le, mips64, …), compiled by
 * seccomp-ts (range dispatch + optimizer) and by libseccomp's binary tree (optimize 2) in the same run: size, and
 * mean and largest instructions executed per syscall of each ABI (every number of its table, arguments zero,
 * `seccomp_data` in the ABI's byte order), against issue 7's targets: size at most half the tree's, mean at most
 * 0.65 of it, max at most the tree's max.
 *
 * Standalone: `node --import tsx bench/arches.ts` prints the table and writes bench/out/arches.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { filterStats } from '../src/analysis/stats.js';
import { compilePolicy } from '../src/compiler/compile.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { DOCKER_DEFAULT_CAPABILITIES, DOCKER_DEFAULT_PROFILE_JSON, importProfile } from '../src/policy/oci/index.js';
import type { TargetArch } from '../src/policy/oci/vocabulary.js';
import type { LinuxArchName } from '../src/syscalls/arch.js';
import { buildWithLibseccomp } from './libseccomp.js';
import { buildHelpers, OUT_DIR } from './native.js';

/** The machines Docker names whose ABIs libseccomp 2.5.4 knows. */
const MACHINES: readonly TargetArch[] = ['amd64', '386', 'arm64', 'arm', 'ppc64le', 'ppc64', 's390x', 'riscv64', 'mips64', 'mips64le', 'mips', 'mipsle'];

export interface ArchAbiRow {
  readonly abi: LinuxArchName;
  readonly syscalls: number;
  readonly ours: { readonly mean: number; readonly max: number };
  readonly tree: { readonly mean: number; readonly max: number };
}

export interface ArchMachineRow {
  readonly target: TargetArch;
  readonly abis: readonly LinuxArchName[];
  readonly instructions: { readonly ours: number; readonly tree: number; readonly linear: number };
  /** Rules libseccomp refused (names it cannot number). */
  readonly refusedRules: number;
  readonly perAbi: readonly ArchAbiRow[];
  /** Issue 7's targets on this machine. */
  readonly met: { readonly size: boolean; readonly mean: boolean; readonly max: boolean };
}

export interface ArchesResult {
  readonly libseccomp: string;
  readonly machines: readonly ArchMachineRow[];
}

export function benchArches(): ArchesResult {
  const bins = buildHelpers();
  const dir = join(OUT_DIR, 'arches');
  mkdirSync(dir, { recursive: true });
  let version = '';
  const machines = MACHINES.map((target): ArchMachineRow => {
    const { policy } = importProfile(DOCKER_DEFAULT_PROFILE_JSON, { target, capabilities: DOCKER_DEFAULT_CAPABILITIES });
    const ours = compilePolicy(policy, performanceCompileOptions()).program;
    const lib = buildWithLibseccomp(bins['libseccomp-harness'] as string, policy, join(dir, target), 1, 120_000);
    version = lib.version;
    const mine = filterStats(ours, policy.arches).abis;
    const theirs = filterStats(lib.tree, policy.arches).abis;
    const perAbi = mine.map((a, i): ArchAbiRow => {
      const t = theirs[i]!;
      return { abi: a.abi, syscalls: a.syscalls, ours: { mean: a.meanExecuted, max: a.maxExecuted }, tree: { mean: t.meanExecuted, max: t.maxExecuted } };
    });
    return {
      target, abis: policy.arches, refusedRules: lib.refusedRules, perAbi,
      instructions: { ours: ours.length, tree: lib.tree.length, linear: lib.linear.length },
      met: {
        size: ours.length <= 0.5 * lib.tree.length,
        mean: perAbi.every((r) => r.ours.mean <= 0.65 * r.tree.mean),
        max: perAbi.every((r) => r.ours.max <= r.tree.max),
      },
    };
  });
  return { libseccomp: version, machines };
}

export function archesText(r: ArchesResult): string {
  const f = (x: number): string => x.toFixed(2);
  const head = ['machine', 'ABI', 'syscalls', 'size ours/tree', 'mean ours/tree', 'max ours/tree', 'targets'];
  const rows: string[][] = [];
  for (const m of r.machines) {
    m.perAbi.forEach((a, i) => rows.push([
      i === 0 ? m.target : '', a.abi, String(a.syscalls),
      i === 0 ? `${m.instructions.ours}/${m.instructions.tree} (${f(m.instructions.ours / m.instructions.tree)}x)` : '',
      `${f(a.ours.mean)}/${f(a.tree.mean)} (${f(a.ours.mean / a.tree.mean)}x)`, `${a.ours.max}/${a.tree.max}`,
      i === 0 ? (['size', 'mean', 'max'] as const).map((k) => `${k} ${m.met[k] ? 'met' : 'MISSED'}`).join(', ') : '',
    ]));
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [
    `docker-default per machine: seccomp-ts (range dispatch + optimizer) against libseccomp ${r.libseccomp} optimize 2 (tree), same run`,
    'executed instructions: every number of each ABI\'s table, arguments zero; targets: size <= 0.5x tree, mean <= 0.65x tree, max <= tree max',
    line(head), ...rows.map(line),
  ].join('\n') + '\n';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = benchArches();
  writeFileSync(join(OUT_DIR, 'arches.json'), `${JSON.stringify(r, null, 2)}\n`);
  process.stdout.write(archesText(r));
}
