/**
 * Policy → Docker/OCI seccomp profile that Docker, podman and runc accept, written so that runc + libseccomp
 * decide every call as the policy does. The profile is re-imported and compared syscall by syscall; any
 * difference is reported (or refused with `strict`).
 */
import { actionsEqual, type Action } from '../../syscalls/actions.js';
import { ARCH_NAMES, type ArchName } from '../../syscalls/arch.js';
import { lookupSyscall, syscallName } from '../../syscalls/index.js';
import type { ArgCondition, Policy } from '../types.js';
import { ProfileError } from './errors.js';
import { importProfile, type ProfileMeta } from './import.js';
import { normalFormKey, policyNormalForms, type NormalRule } from './normal-form.js';
import { conditionsKey } from './overlap.js';
import { ABI_TO_SCMP_ARCH, OPERATOR_STRINGS, type TargetArch } from './vocabulary.js';

export interface ExportOptions {
  /** Flags, listener path and metadata to write (from an import's `meta`). */
  readonly meta?: ProfileMeta;
  /** Refuse, instead of warn, when runc would decide some call differently from the policy. */
  readonly strict?: boolean;
}

/** One `args[]` entry as written. */
export interface ProfileArgJson {
  index: number;
  value: bigint;
  valueTwo?: bigint;
  op: string;
}

export interface ProfileSyscallJson {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: ProfileArgJson[];
  comment?: string;
}

/** The profile as an object (64-bit values as bigint; {@link formatProfileJson} writes them exactly). */
export interface ProfileJson {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls: ProfileSyscallJson[];
}

export interface ExportResult {
  readonly profile: ProfileJson;
  /** The profile as JSON text (tab-indented, like Docker's own). */
  readonly text: string;
  /** Where runc's verdicts would differ from the policy's, and other things worth knowing. */
  readonly warnings: readonly string[];
}

function actionFields(action: Action, where: string): { action: string; errnoRet?: number } {
  switch (action.kind) {
    case 'KILL_PROCESS': return { action: 'SCMP_ACT_KILL_PROCESS' };
    case 'KILL_THREAD': return { action: 'SCMP_ACT_KILL' };
    case 'TRAP':
      if (action.data !== 0) throw new ProfileError(where, `TRAP(${action.data}): SCMP_ACT_TRAP carries no value`);
      return { action: 'SCMP_ACT_TRAP' };
    case 'ERRNO': return { action: 'SCMP_ACT_ERRNO', errnoRet: action.data };
    case 'TRACE': return { action: 'SCMP_ACT_TRACE', errnoRet: action.data };
    case 'LOG': return { action: 'SCMP_ACT_LOG' };
    case 'USER_NOTIF': return { action: 'SCMP_ACT_NOTIFY' };
    case 'ALLOW': return { action: 'SCMP_ACT_ALLOW' };
  }
}

/** A condition as an OCI argument test; 32-bit ones only where a mask can say it. */
function argOf(c: ArgCondition, abi: ArchName, where: string): ProfileArgJson {
  const thirtyTwo = c.width === 32 && abi === 'x86_64';
  if (c.op === 'masked_eq') {
    const mask = thirtyTwo ? c.mask & 0xffffffffn : c.mask;
    return { index: c.arg, value: mask, valueTwo: c.value & mask, op: OPERATOR_STRINGS.masked_eq };
  }
  if (thirtyTwo) {
    if (c.op === 'eq') return { index: c.arg, value: 0xffffffffn, valueTwo: c.value, op: OPERATOR_STRINGS.masked_eq };
    throw new ProfileError(where, `a 32-bit '${c.op}' test of argument ${c.arg} on x86_64 has no OCI form (OCI compares 64 bits)`);
  }
  return { index: c.arg, value: c.value, op: OPERATOR_STRINGS[c.op] };
}

/** The ABI whose view of a name the profile writes: x86_64 where the name exists there, else the first. */
function primaryAbi(name: string, arches: readonly ArchName[]): ArchName | undefined {
  return arches.find((a) => lookupSyscall(a, name)?.name === name);
}

/**
 * Writes `policy` as a Docker/OCI profile. Throws `ProfileError` when it has no such form (an ABI set without
 * x86_64 or i386 as native, TRAP data, 32-bit tests on x86_64); reports calls runc would decide differently.
 */
export function exportProfile(policy: Policy, options: ExportOptions = {}): ExportResult {
  const warnings: string[] = [];
  const arches = policy.arches;
  const target: TargetArch = arches.includes('x86_64') ? 'amd64' : 'i386' === arches[0] && arches.length === 1 ? '386' : 'amd64';
  if (!arches.includes('x86_64') && target === 'amd64') {
    throw new ProfileError('arches', 'runc always includes the native x86_64 ABI; a profile cannot cover only ' +
      `${arches.join(', ')}`);
  }
  const forms = policyNormalForms(policy);
  const unexpressible: string[] = [];
  // name → rules to write, from the name's primary ABI.
  type Entry = { key: string; order: number; names: string[]; action: Action; args: ProfileArgJson[]; comment?: string };
  const entries = new Map<string, Entry>();
  const handledNames = new Set<string>();
  const ordered = [...forms.values()].sort((a, b) => ARCH_NAMES.indexOf(a.abi) - ARCH_NAMES.indexOf(b.abi) || a.nr - b.nr);
  for (const { abi, nr, form } of ordered) {
    const name = syscallName(abi, nr);
    if (name === undefined) {
      warnings.push(`${abi} syscall number ${nr} has no name, so no profile can name it; its rules are left out`);
      continue;
    }
    if (primaryAbi(name, arches) !== abi || handledNames.has(name)) continue;
    handledNames.add(name);
    if (!form.ok) {
      unexpressible.push(`'${name}' (${form.reason})`);
      continue;
    }
    form.rules.forEach((r: NormalRule) => {
      const where = r.source >= 0 ? `rules[${r.source}]` : 'rules';
      const args = r.conditions.map((c) => argOf(c, abi, where));
      const rule = r.source >= 0 ? policy.rules[r.source] : undefined;
      const key = `${r.source}|${actionFields(r.action, where).action}|${'data' in r.action ? r.action.data : ''}|${formatProfileJson(args)}`;
      let e = entries.get(key);
      if (e === undefined) {
        e = { key, order: r.source, names: [], action: r.action, args, ...(rule?.comment === undefined ? {} : { comment: rule.comment }) };
        entries.set(key, e);
      }
      if (!e.names.includes(name)) e.names.push(name);
    });
  }
  // Names in the order the policy lists them.
  const positions = new Map<number, Map<string, number>>();
  const position = (source: number, name: string): number => {
    let map = positions.get(source);
    if (map === undefined) {
      map = new Map();
      const rule = source >= 0 ? policy.rules[source] : undefined;
      rule?.syscalls.forEach((ref, i) => {
        const names = typeof ref === 'string'
          ? ARCH_NAMES.map((a) => lookupSyscall(a, ref)?.name)
          : [syscallName(ref.arch, ref.arch === 'x32' ? (ref.nr | 0x40000000) >>> 0 : ref.nr)];
        for (const n of names) if (n !== undefined && !map!.has(n)) map!.set(n, i);
      });
      positions.set(source, map);
    }
    return map.get(name) ?? Number.MAX_SAFE_INTEGER;
  };
  for (const e of entries.values()) {
    const pos = new Map(e.names.map((n) => [n, position(e.order, n)]));
    e.names.sort((a, b) => pos.get(a)! - pos.get(b)!);
  }
  if (unexpressible.length > 0) {
    throw new ProfileError('rules', `no Docker/OCI profile makes runc decide as this policy does for ${unexpressible.join('; ')}`);
  }

  const defaultFields = actionFields(policy.defaultAction, 'defaultAction');
  if (policy.defaultAction.kind === 'USER_NOTIF') throw new ProfileError('defaultAction', 'runc refuses SCMP_ACT_NOTIFY as the default action');
  const profile: ProfileJson = {
    defaultAction: defaultFields.action,
    ...(defaultFields.errnoRet === undefined ? {} : { defaultErrnoRet: defaultFields.errnoRet }),
    architectures: arches.map((a) => ABI_TO_SCMP_ARCH[a]),
    ...(options.meta !== undefined && options.meta.flags.length > 0 ? { flags: [...options.meta.flags] } : {}),
    ...(options.meta?.listenerPath === undefined ? {} : { listenerPath: options.meta.listenerPath }),
    ...(options.meta?.listenerMetadata === undefined ? {} : { listenerMetadata: options.meta.listenerMetadata }),
    syscalls: [...entries.values()]
      .sort((a, b) => (a.order < 0 ? 1e9 : a.order) - (b.order < 0 ? 1e9 : b.order))
      .map((e) => {
        const f = actionFields(e.action, 'rules');
        return {
          names: e.names,
          action: f.action,
          ...(f.errnoRet === undefined ? {} : { errnoRet: f.errnoRet }),
          ...(e.args.length === 0 ? {} : { args: e.args }),
          ...(e.comment === undefined ? {} : { comment: e.comment }),
        };
      }),
  };

  if (policy.badArchAction !== undefined && !actionsEqual(policy.badArchAction, { kind: 'KILL_THREAD' })) {
    warnings.push('calls of other ABIs: runc\'s filter kills the calling thread (libseccomp\'s default), not as the policy says');
  } else if (policy.badArchAction === undefined) {
    warnings.push('calls of other ABIs: runc\'s filter kills the calling thread, where the policy kills the process');
  }
  if (policy.enosysGuard === true) {
    warnings.push('enosysGuard: runc adds its own ENOSYS stub (above the highest syscall the profile names), not the policy\'s');
  }

  // Re-import and compare syscall by syscall.
  const back = importProfile(profile, { target });
  const theirs = policyNormalForms(back.policy);
  const differences: string[] = [];
  const keys = new Set([...forms.keys(), ...theirs.keys()]);
  for (const key of keys) {
    const mine = forms.get(key);
    const other = theirs.get(key);
    const empty = { ok: true as const, rules: [] };
    if (normalFormKey(mine?.form ?? empty) === normalFormKey(other?.form ?? empty)) continue;
    const [abi, nr] = key.split(':') as [ArchName, string];
    differences.push(`${abi} ${syscallName(abi, Number(nr)) ?? nr}`);
  }
  if (differences.length > 0) {
    const shown = differences.slice(0, 12).join(', ') + (differences.length > 12 ? ` and ${differences.length - 12} more` : '');
    const why = differences.some((d) => d.startsWith('x32') || d.startsWith('i386'))
      ? ' (on i386 and x32 libseccomp compares only the low 32 bits of arguments, and on i386 it also applies socket and IPC rules to socketcall and ipc)'
      : '';
    const message = `runc would decide some calls differently from the policy: ${shown}${why}`;
    if (options.strict === true) throw new ProfileError('rules', message);
    warnings.push(message);
  }
  return { profile, text: formatProfileJson(profile), warnings };
}

/** JSON text with exact 64-bit values, tab-indented; short arrays of scalars stay on one line. */
export function formatProfileJson(value: unknown): string {
  const write = (v: unknown, indent: string): string => {
    if (typeof v === 'bigint') return v.toString();
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    const inner = `${indent}\t`;
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[\n${v.map((x) => inner + write(x, inner)).join(',\n')}\n${indent}]`;
    }
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${write(x, inner)}`).join(',\n')}\n${indent}}`;
  };
  return `${write(value, '')}\n`;
}
