/**
 * Policy → Docker/OCI seccomp profile that Docker, podman and runc accept, written so that runc + libseccomp
 * decide every call as the policy does. The profile is re-imported and compared syscall by syscall; any
 * difference is reported (or refused with `strict`).
 */
import { actionsEqual, type Action } from '../../syscalls/actions.js';
import { LINUX_ARCHES, LINUX_ARCH_NAMES, type LinuxArchName } from '../../syscalls/arch.js';
import { lookupSyscall, syscallName } from '../../syscalls/index.js';
import type { ArgCondition, Policy } from '../types.js';
import { ProfileError } from './errors.js';
import { importProfile, type ProfileMeta } from './import.js';
import { normalFormKey, policyNormalForms, type NormalRule } from './normal-form.js';
import { conditionsKey } from './overlap.js';
import { OPERATOR_STRINGS, TARGETS, type TargetArch } from './vocabulary.js';

/** What `exportProfile` writes: the architectures and the form of the Docker/OCI profile. */
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

/** One entry of a Docker/OCI profile's `syscalls` array. */
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

/** A policy written as a Docker/OCI profile, with what could not be expressed. */
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
function argOf(c: ArgCondition, abi: LinuxArchName, where: string): ProfileArgJson {
  // A 32-bit test on an ABI whose arguments libseccomp compares in 64 bits (x86_64, aarch64, s390x, …).
  const thirtyTwo = c.width === 32 && abi !== 'x32' && LINUX_ARCHES[abi].wordSize === 64;
  if (c.op === 'masked_eq') {
    const mask = thirtyTwo ? c.mask & 0xffffffffn : c.mask;
    return { index: c.arg, value: mask, valueTwo: c.value & mask, op: OPERATOR_STRINGS.masked_eq };
  }
  if (thirtyTwo) {
    if (c.op === 'eq') return { index: c.arg, value: 0xffffffffn, valueTwo: c.value, op: OPERATOR_STRINGS.masked_eq };
    throw new ProfileError(where, `a 32-bit '${c.op}' test of argument ${c.arg} on ${abi} has no OCI form (OCI compares 64 bits)`);
  }
  return { index: c.arg, value: c.value, op: OPERATOR_STRINGS[c.op] };
}

/** The ABI whose view of a name the profile writes: the first of the policy's ABIs that has the name. */
function primaryAbi(name: string, arches: readonly LinuxArchName[]): LinuxArchName | undefined {
  return arches.find((a) => lookupSyscall(a, name)?.name === name);
}

/**
 * The machines (runc targets, Go's names) whose filters the profile stands for: for each ABI of the policy, a
 * machine whose native ABI the policy covers and whose kernel runs that ABI (runc always adds the native one, so
 * a machine whose native ABI the policy leaves out would get calls the policy does not allow). amd64 for the x86
 * ABIs, arm64 for aarch64 and arm, s390x for s390x and s390, …; a policy for x86_64 and aarch64 stands for both
 * amd64 and arm64.
 */
function exportTargets(policy: Policy): { arches: readonly LinuxArchName[]; targets: readonly TargetArch[] } {
  const arches = policy.arches;
  const candidates = (Object.keys(TARGETS) as TargetArch[]).filter((t) => arches.includes(TARGETS[t].native));
  const targets: TargetArch[] = [];
  for (const abi of arches) {
    if (targets.some((t) => (TARGETS[t].runs as readonly LinuxArchName[]).includes(abi))) continue;
    const t = candidates.find((c) => (TARGETS[c].runs as readonly LinuxArchName[]).includes(abi));
    if (t === undefined) {
      const runners = (Object.keys(TARGETS) as TargetArch[]).filter((c) => (TARGETS[c].runs as readonly LinuxArchName[]).includes(abi));
      const natives = runners.map((c) => TARGETS[c].native);
      throw new ProfileError('arches', runners.length === 0
        ? `no machine runc targets runs ${abi} (runc's targets: ${Object.keys(TARGETS).join(', ')}), so no profile covers it`
        : `runc always includes the machine's native ABI: a profile covering ${abi} needs ${[...new Set(natives)].join(' or ')} too`);
    }
    targets.push(t);
  }
  return { arches, targets };
}

/** One entry of the profile's `syscalls`, as it is collected. */
type Entry = { key: string; order: number; names: string[]; action: Action; args: ProfileArgJson[]; comment?: string };

/**
 * The profile's entries: each syscall's rules from its normal form on the name's primary ABI, grouped as the
 * policy groups them, names in the policy's order. Throws when some syscall has no form runc decides alike.
 */
type NormalForms = ReturnType<typeof policyNormalForms>;

function profileEntries(policy: Policy, arches: readonly LinuxArchName[], forms: NormalForms, warnings: string[]): Entry[] {
  const group = ruleGroups(policy);
  const unexpressible: string[] = [];
  // name → rules to write, from the name's primary ABI.
  const entries = new Map<string, Entry>();
  const handledNames = new Set<string>();
  const ordered = [...forms.values()].sort((a, b) => arches.indexOf(a.abi) - arches.indexOf(b.abi) || a.nr - b.nr);
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
      const key = `${group(r.source)}|${actionFields(r.action, where).action}|${'data' in r.action ? r.action.data : ''}|${formatProfileJson(args)}`;
      let e = entries.get(key);
      if (e === undefined && (abi === 'x32' || LINUX_ARCHES[abi].wordSize === 32) && args.length > 0) {
        // A name of a 32-bit ABI (i386, arm, s390) or x32 only, in an entry whose 64-bit ABI's names carry the
        // full 64-bit constants: libseccomp compares only their low halves there.
        const low = truncatedKey(args);
        e = [...entries.values()].find((x) => x.order === group(r.source) && actionsEqual(x.action, r.action) && truncatedKey(x.args) === low);
      }
      if (e === undefined) {
        e = { key, order: group(r.source), names: [], action: r.action, args, ...(rule?.comment === undefined ? {} : { comment: rule.comment }) };
        entries.set(key, e);
      }
      if (!e.names.includes(name)) e.names.push(name);
    });
  }
  // Names in the order the policy lists them (merged over the rules of a group).
  const orders = new Map<number, Map<string, number>>();
  for (const e of entries.values()) {
    let order = orders.get(e.order);
    if (order === undefined) orders.set(e.order, (order = groupNameOrder(policy, e.order, group)));
    const o = order;
    e.names.sort((a, b) => (o.get(a) ?? Number.MAX_SAFE_INTEGER) - (o.get(b) ?? Number.MAX_SAFE_INTEGER));
  }
  if (unexpressible.length > 0) {
    throw new ProfileError('rules', `no Docker/OCI profile makes runc decide as this policy does for ${unexpressible.join('; ')}`);
  }
  return [...entries.values()];
}

/** The profile document: default action, architectures, metadata and the entries in the policy's order. */
function profileDocument(policy: Policy, arches: readonly LinuxArchName[], entries: readonly Entry[], options: ExportOptions): ProfileJson {
  const defaultFields = actionFields(policy.defaultAction, 'defaultAction');
  if (policy.defaultAction.kind === 'USER_NOTIF') throw new ProfileError('defaultAction', 'runc refuses SCMP_ACT_NOTIFY as the default action');
  const profile: ProfileJson = {
    defaultAction: defaultFields.action,
    ...(defaultFields.errnoRet === undefined ? {} : { defaultErrnoRet: defaultFields.errnoRet }),
    architectures: arches.map((a) => LINUX_ARCHES[a].scmpName),
    ...(options.meta !== undefined && options.meta.flags.length > 0 ? { flags: [...options.meta.flags] } : {}),
    ...(options.meta?.listenerPath === undefined ? {} : { listenerPath: options.meta.listenerPath }),
    ...(options.meta?.listenerMetadata === undefined ? {} : { listenerMetadata: options.meta.listenerMetadata }),
    syscalls: [...entries]
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
  return profile;
}

/** What the profile cannot say as the policy does (other ABIs, the ENOSYS guard). */
function exportWarnings(policy: Policy): string[] {
  const warnings: string[] = [];
  if (policy.badArchAction !== undefined && !actionsEqual(policy.badArchAction, { kind: 'KILL_THREAD' })) {
    warnings.push('calls of other ABIs: runc\'s filter kills the calling thread (libseccomp\'s default), not as the policy says');
  } else if (policy.badArchAction === undefined) {
    warnings.push('calls of other ABIs: runc\'s filter kills the calling thread, where the policy kills the process');
  }
  if (policy.enosysGuard === true) {
    warnings.push('enosysGuard: runc adds its own ENOSYS stub (above the highest syscall the profile names), not the policy\'s');
  }
  return warnings;
}

/**
 * The calls on which runc's filter for `profile` decides differently from the policy: re-imported for each
 * machine it stands for, the ABIs each machine runs compared with the policy's.
 */
function roundTripDifferences(profile: ProfileJson, targets: readonly TargetArch[], forms: NormalForms): string[] {
  const theirs: NormalForms = new Map();
  for (const target of targets) {
    const back = importProfile(profile, { target });
    for (const [key, value] of policyNormalForms(back.policy)) if (!theirs.has(key)) theirs.set(key, value);
  }
  const differences: string[] = [];
  const keys = new Set([...forms.keys(), ...theirs.keys()]);
  for (const key of keys) {
    const mine = forms.get(key);
    const other = theirs.get(key);
    const empty = { ok: true as const, rules: [] };
    if (normalFormKey(mine?.form ?? empty) === normalFormKey(other?.form ?? empty)) continue;
    const [abi, nr] = key.split(':') as [LinuxArchName, string];
    differences.push(`${abi} ${syscallName(abi, Number(nr)) ?? nr}`);
  }
  return differences;
}

/**
 * Writes `policy` as a Docker/OCI profile for any ABIs runc targets (`SCMP_ARCH_AARCH64`, …). Throws
 * `ProfileError` when it has no such form (an ABI without its machine's native one, TRAP data, 32-bit tests on
 * a 64-bit ABI); reports calls runc would decide differently.
 */
export function exportProfile(policy: Policy, options: ExportOptions = {}): ExportResult {
  const warnings: string[] = [];
  const { arches, targets } = exportTargets(policy);
  const forms = policyNormalForms(policy);
  const entries = profileEntries(policy, arches, forms, warnings);
  const profile = profileDocument(policy, arches, entries, options);
  warnings.push(...exportWarnings(policy));
  const differences = roundTripDifferences(profile, targets, forms);
  if (differences.length > 0) {
    const shown = differences.slice(0, 12).join(', ') + (differences.length > 12 ? ` and ${differences.length - 12} more` : '');
    const narrow = (d: string): boolean => {
      const abi = d.split(' ')[0] as LinuxArchName;
      return abi === 'x32' || LINUX_ARCHES[abi]?.wordSize === 32;
    };
    const why = differences.some(narrow)
      ? ' (on 32-bit ABIs and x32 libseccomp compares only the low 32 bits of arguments, and where the kernel has socketcall and ipc it also applies socket and IPC rules to them)'
      : '';
    const message = `runc would decide some calls differently from the policy: ${shown}${why}`;
    if (options.strict === true) throw new ProfileError('rules', message);
    warnings.push(message);
  }
  return { profile, text: formatProfileJson(profile), warnings };
}

/** Arguments as libseccomp sees them on a 32-bit ABI, as text. */
function truncatedKey(args: readonly ProfileArgJson[]): string {
  return formatProfileJson(args.map((a) => ({ ...a, value: a.value & 0xffffffffn, valueTwo: (a.valueTwo ?? 0n) & 0xffffffffn })));
}

/** The name a syscall reference stands for (a name as the tables spell it). */
function refName(ref: Policy['rules'][number]['syscalls'][number]): string | undefined {
  if (typeof ref !== 'string') return syscallName(ref.arch, ref.arch === 'x32' ? (ref.nr | 0x40000000) >>> 0 : ref.nr);
  for (const a of LINUX_ARCH_NAMES) {
    const e = lookupSyscall(a, ref);
    if (e !== undefined) return e.name;
  }
  return ref;
}

/**
 * One order of the names of a group's rules that keeps each rule's own order (Kahn's algorithm over the
 * rules' consecutive names, ties broken by first appearance).
 */
function groupNameOrder(policy: Policy, rep: number, group: (source: number) => number): Map<string, number> {
  const sequences: string[][] = [];
  policy.rules.forEach((r, i) => {
    if (rep < 0 || group(i) !== rep) return;
    const seq: string[] = [];
    for (const ref of r.syscalls) {
      const n = refName(ref);
      if (n !== undefined && !seq.includes(n)) seq.push(n);
    }
    sequences.push(seq);
  });
  if (sequences.length === 1) return new Map(sequences[0]!.map((n, i) => [n, i]));
  const first = new Map<string, number>();
  const after = new Map<string, Set<string>>();
  const indegree = new Map<string, number>();
  for (const seq of sequences) {
    seq.forEach((n, i) => {
      if (!first.has(n)) first.set(n, first.size);
      if (!indegree.has(n)) indegree.set(n, 0);
      const prev = seq[i - 1];
      if (prev === undefined) return;
      let next = after.get(prev);
      if (next === undefined) after.set(prev, (next = new Set()));
      if (!next.has(n)) {
        next.add(n);
        indegree.set(n, (indegree.get(n) ?? 0) + 1);
      }
    });
  }
  const order = new Map<string, number>();
  const ready = [...indegree.entries()].filter(([, d]) => d === 0).map(([n]) => n);
  while (ready.length > 0) {
    ready.sort((a, b) => first.get(a)! - first.get(b)!);
    const n = ready.shift()!;
    order.set(n, order.size);
    for (const m of after.get(n) ?? []) {
      const d = indegree.get(m)! - 1;
      indegree.set(m, d);
      if (d === 0) ready.push(m);
    }
  }
  for (const n of first.keys()) if (!order.has(n)) order.set(n, order.size + first.get(n)!); // a cycle: keep first appearance
  return order;
}

/**
 * Groups the policy's rules that one profile entry became on import: rules sharing a syscall name, with the same
 * action and the same conditions up to libseccomp's 32-bit truncation (the x86_64 rule and the i386/x32 rule of
 * one entry). Returns the group's first rule index for a rule index.
 */
function ruleGroups(policy: Policy): (source: number) => number {
  const parent = policy.rules.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const shape = policy.rules.map((r) => `${JSON.stringify(r.action)}|${r.comment ?? ''}|${conditionsKey((r.conditions ?? []).map((c) => (c.op === 'masked_eq'
    ? { arg: c.arg, op: c.op, mask: c.mask & 0xffffffffn, value: c.value & 0xffffffffn }
    : { arg: c.arg, op: c.op, value: c.value & 0xffffffffn })))}`);
  const byName = new Map<string, number[]>();
  policy.rules.forEach((r, i) => {
    if ((r.conditions ?? []).length === 0) return;
    for (const ref of r.syscalls) {
      const name = typeof ref === 'string' ? ref : syscallName(ref.arch, ref.arch === 'x32' ? (ref.nr | 0x40000000) >>> 0 : ref.nr);
      if (name === undefined) continue;
      const list = byName.get(name);
      if (list === undefined) byName.set(name, [i]);
      else if (!list.includes(i)) list.push(i);
    }
  });
  for (const list of byName.values()) {
    for (let a = 0; a < list.length; a++) {
      for (let b = a + 1; b < list.length; b++) {
        if (shape[list[a]!] !== shape[list[b]!]) continue;
        const ra = find(list[a]!);
        const rb = find(list[b]!);
        if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
      }
    }
  }
  return (source) => (source < 0 ? source : find(source));
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
