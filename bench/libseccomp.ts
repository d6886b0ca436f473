/**
 * libseccomp as the baseline: a policy becomes a rule list for the native harness (bench/native/
 * libseccomp-harness.c), which builds the filter at optimization level 1 (linear) and 2 (binary tree).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { decodeProgram } from '../src/bpf/encode.js';
import type { Instruction } from '../src/bpf/instructions.js';
import type { Action } from '../src/syscalls/actions.js';
import { encodeAction } from '../src/syscalls/actions.js';
import { syscallName } from '../src/syscalls/resolve.js';
import type { ArgCondition, Policy } from '../src/policy/types.js';
import { runHelper } from './native.js';
import { LINUX_ARCHES } from '../src/syscalls/arch.js';

/** libseccomp's `enum scmp_compare`. */
const SCMP_CMP = { ne: 1, lt: 2, le: 3, eq: 4, ge: 5, gt: 6, masked_eq: 7 } as const;

const hex = (v: number | bigint): string => v.toString(16);

function conditionText(c: ArgCondition): string {
  if (c.op === 'masked_eq') return `${c.arg} ${SCMP_CMP.masked_eq} ${hex(c.mask)} ${hex(c.value)}`;
  return `${c.arg} ${SCMP_CMP[c.op]} ${hex(c.value)} 0`;
}

/**
 * The harness's rule list for a policy. Syscalls named by number on one ABI are given by name (libseccomp adds
 * a rule to every ABI where the name exists); 32-bit conditions become libseccomp's (which compares only the
 * low halves on 32-bit ABIs). Identical lines are written once.
 */
export function policyToRules(policy: Policy): string {
  const lines = [`default ${hex(encodeAction(policy.defaultAction))}`,
    `badarch ${hex(encodeAction(policy.badArchAction ?? ({ kind: 'KILL_PROCESS' } as Action)))}`,
    ...policy.arches.map((a) => `arch ${LINUX_ARCHES[a].scmpName.replace('SCMP_ARCH_', '').toLowerCase()}`)];
  const seen = new Set<string>();
  for (const rule of policy.rules) {
    const action = hex(encodeAction(rule.action));
    const conds = rule.conditions ?? [];
    for (const ref of rule.syscalls) {
      const name = typeof ref === 'string' ? ref : syscallName(ref.arch, ref.nr);
      if (name === undefined) continue;
      const line = `rule ${action} ${name} ${conds.length}${conds.map((c) => ` ${conditionText(c)}`).join('')}`;
      if (!seen.has(line)) {
        seen.add(line);
        lines.push(line);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

export interface LibseccompBuild {
  readonly version: string;
  readonly linear: Instruction[];
  readonly tree: Instruction[];
  /** Fastest in-process build (init, rules, export) of the timed ones, milliseconds. */
  readonly linearMs: number;
  readonly treeMs: number;
  /** Median of the same builds. */
  readonly linearMedianMs: number;
  readonly treeMedianMs: number;
  /** Rules libseccomp refused (names it does not know, or rules it rejects). */
  readonly refusedRules: number;
}

interface HarnessOutput {
  level1: { file: string; compileNs: number; minNs: number; refusedRules: number };
  level2: { file: string; compileNs: number; minNs: number; refusedRules: number };
  version: string;
}

/** The action values libseccomp writes (`SECCOMP_RET_*`; data only with TRAP, ERRNO and TRACE). */
const plausibleRet = (k: number): boolean => {
  const action = (k & 0xffff0000) >>> 0;
  const withData = action === 0x00030000 || action === 0x00050000 || action === 0x7ff00000;
  return [0x80000000, 0, 0x00030000, 0x00050000, 0x7fc00000, 0x7ff00000, 0x7ffc0000, 0x7fff0000].includes(action) && (withData || (k & 0xffff) === 0);
};

/**
 * A filter libseccomp exported: for a big-endian machine it writes the records in that machine's byte order,
 * except some `RET` constants it leaves in the host's (on the machine both orders are one), which are read in
 * host order when only that reading is an action it writes.
 */
function readExport(bytes: Uint8Array, bigEndian: boolean): Instruction[] {
  if (!bigEndian) return decodeProgram(bytes);
  const out = new Uint8Array(bytes.length);
  const from = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const to = new DataView(out.buffer);
  for (let o = 0; o + 8 <= bytes.length; o += 8) {
    const code = from.getUint16(o, false);
    to.setUint16(o, code, true);
    out[o + 2] = bytes[o + 2] as number;
    out[o + 3] = bytes[o + 3] as number;
    let k = from.getUint32(o + 4, false);
    if (code === 0x06 && !plausibleRet(k) && plausibleRet(from.getUint32(o + 4, true))) k = from.getUint32(o + 4, true);
    to.setUint32(o + 4, k, true);
  }
  return decodeProgram(out);
}

/**
 * Builds `policy` with libseccomp at both levels, up to `repeat` timed builds each (the one writing the filter
 * included; with `budgetMs`, no more once a level's builds took that long and at least 3 ran), within `timeoutMs`.
 */
export function buildWithLibseccomp(harness: string, policy: Policy, prefix: string, repeat: number, timeoutMs: number, budgetMs?: number): LibseccompBuild {
  const rulesFile = `${prefix}.rules`;
  writeFileSync(rulesFile, policyToRules(policy));
  const args = [rulesFile, prefix, String(repeat), ...(budgetMs === undefined ? [] : [String(budgetMs)])];
  const out = runHelper<HarnessOutput>(harness, args, timeoutMs);
  const big = policy.arches.some((a) => LINUX_ARCHES[a].endian === 'big');
  return {
    version: out.version,
    linear: readExport(new Uint8Array(readFileSync(out.level1.file)), big),
    tree: readExport(new Uint8Array(readFileSync(out.level2.file)), big),
    linearMs: out.level1.minNs / 1e6,
    treeMs: out.level2.minNs / 1e6,
    linearMedianMs: out.level1.compileNs / 1e6,
    treeMedianMs: out.level2.compileNs / 1e6,
    refusedRules: out.level1.refusedRules,
  };
}
