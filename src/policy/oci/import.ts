/**
 * Docker/OCI profile → policy, with the verdicts runc + libseccomp give the same profile.
 *
 * The steps follow the real pipeline: Docker resolves `includes`/`excludes` (capabilities, architecture,
 * kernel version) and `archMap`; runc turns each name of each entry into libseccomp rules (dropping rules whose
 * action is the default, splitting an entry whose conditions test one argument twice into one rule per
 * condition); libseccomp adds each rule per ABI (32-bit comparisons on i386 and x32, the i386 socketcall/ipc
 * multiplexers) and combines the rules of one syscall (the first unconditional rule decides; overlapping rules of
 * different actions are decided by libseccomp's tree, rebuilt in libseccomp-tree.ts). docs/docker-oci.md
 * describes each step and where it departs from a plain reading of the profile.
 */
import type { Action } from '../../syscalls/actions.js';
import { actionsEqual, decodeAction, encodeAction } from '../../syscalls/actions.js';
import { LINUX_ARCHES, LINUX_ARCH_NAMES, type LinuxArchName } from '../../syscalls/arch.js';
import { lookupSyscall, quoteName, SYSCALL_NAME_MAX, suggestSyscalls } from '../../syscalls/index.js';
import type { ArgCondition, Policy, Rule, SyscallRef } from '../types.js';
import { at, ProfileError } from './errors.js';
import { buildSyscallTree, TreeConflict, TreeHang } from './libseccomp-tree.js';
import { multiplexedVia } from './multiplex.js';
import { conditionsKey, conditionsMayOverlap } from './overlap.js';
import { treeRules, TreeNotExpressible } from './tree-rules.js';
import { parseKernelVersion, readProfile, type OciProfile, type OciSyscall } from './read.js';
import {
  ACTIONS_WITH_ERRNO, DEFAULT_ERRNO_RET, DOCKER_DEFAULT_CAPABILITIES, OCI_OPERATORS, SCMP_ARCH_TO_ABI, TARGETS,
  type OciAction, type SeccompFlag, type TargetArch,
} from './vocabulary.js';

/** What `importProfile` assumes: capabilities, kernel version and target architecture. */
export interface ImportOptions {
  /** The machine the profile is resolved for, as Docker names it: `amd64` (default), `386`, `arm64`, `s390x`, …. */
  readonly target?: TargetArch;
  /** The container's capabilities, for `includes.caps`/`excludes.caps`. Default: Docker's default set. */
  readonly capabilities?: readonly string[];
  /** Kernel version (`"6.1"`) for `minKernel`. Default: every `minKernel` is met. */
  readonly kernel?: string;
  /** Unknown syscall names are an error instead of a warning. */
  readonly strict?: boolean;
  /** Sets `enosysGuard` on the policy (runc's own ENOSYS stub differs: see docs/docker-oci.md). */
  readonly enosysGuard?: boolean;
}

/** What a profile carries that a policy does not, kept so an export can write it back. */
export interface ProfileMeta {
  readonly flags: readonly SeccompFlag[];
  readonly listenerPath?: string;
  readonly listenerMetadata?: string;
}

/** A Docker/OCI profile read as a policy, with warnings and its metadata. */
export interface ImportResult {
  readonly policy: Policy;
  /** Things the author should know (unknown names skipped, rules without effect, ignored fields). */
  readonly warnings: readonly string[];
  readonly meta: ProfileMeta;
}

/** libseccomp compares only the low 32 bits of arguments on these ABIs (their constants are truncated too). */
const thirtyTwoBit = (abi: LinuxArchName): boolean => abi === 'x32' || LINUX_ARCHES[abi].wordSize === 32;
const U32 = 0xffffffffn;
const ALL_ABIS: readonly LinuxArchName[] = LINUX_ARCH_NAMES;
/** More conditional rules of different actions on one syscall than this is refused (pairwise checks). */
const MAX_CONFLICT_CHECK = 512;

/** The action runc asks libseccomp for. */
export function ociAction(action: OciAction, errnoRet: number | undefined, path: string): Action {
  if (errnoRet !== undefined && !ACTIONS_WITH_ERRNO.has(action)) {
    throw new ProfileError(path, `errnoRet is only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${action}`);
  }
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return { kind: 'KILL_THREAD' };
    case 'SCMP_ACT_KILL_PROCESS': return { kind: 'KILL_PROCESS' };
    case 'SCMP_ACT_TRAP': return { kind: 'TRAP', data: 0 };
    case 'SCMP_ACT_ERRNO': return { kind: 'ERRNO', data: errnoRet ?? DEFAULT_ERRNO_RET };
    case 'SCMP_ACT_TRACE': return { kind: 'TRACE', data: errnoRet ?? DEFAULT_ERRNO_RET };
    case 'SCMP_ACT_LOG': return { kind: 'LOG' };
    case 'SCMP_ACT_NOTIFY': return { kind: 'USER_NOTIF' };
    case 'SCMP_ACT_ALLOW': return { kind: 'ALLOW' };
  }
}

const versionAtLeast = (have: readonly [number, number], want: readonly [number, number]): boolean =>
  have[0] !== want[0] ? have[0] > want[0] : have[1] >= want[1];

/** Docker's `includes`/`excludes` test for one entry (moby profiles/seccomp). */
function entryApplies(entry: OciSyscall, goArch: string, caps: ReadonlySet<string>, kernel: readonly [number, number] | undefined): boolean {
  const { includes, excludes } = entry;
  const met = (minKernel: string): boolean =>
    kernel === undefined || versionAtLeast(kernel, parseKernelVersion(minKernel) as [number, number]);
  if (excludes.arches.includes(goArch)) return false;
  if (excludes.caps.some((c) => caps.has(c))) return false;
  if (excludes.minKernel !== undefined && met(excludes.minKernel)) return false;
  if (includes.arches.length > 0 && !includes.arches.includes(goArch)) return false;
  if (includes.caps.some((c) => !caps.has(c))) return false;
  if (includes.minKernel !== undefined && !met(includes.minKernel)) return false;
  return true;
}

/** How many unknown names a warning or error quotes; the rest are counted. */
const UNKNOWN_NAMES_SHOWN = 10;

/** Names for a one-line message: the first few (quoted when odd or long), then how many more. */
function listNames(names: readonly string[]): string {
  const shown = names.slice(0, UNKNOWN_NAMES_SHOWN).map((n) => (/^[\w.-]+$/.test(n) && n.length <= SYSCALL_NAME_MAX ? n : quoteName(n)));
  return names.length > UNKNOWN_NAMES_SHOWN ? `${shown.join(', ')} and ${names.length - UNKNOWN_NAMES_SHOWN} more` : shown.join(', ');
}

/** One libseccomp rule as runc adds it: a single syscall name. */
interface RuncRule {
  readonly name: string;
  readonly action: Action;
  readonly conditions: readonly ArgCondition[];
  /** Path of the entry; with the condition's path when runc split the entry. */
  readonly path: string;
  readonly entry: number;
  /** Which piece of a split entry (0 when not split). */
  readonly piece: number;
  /** Position of the name in the entry's `names`. */
  readonly nameIndex: number;
  readonly comment?: string;
}

/** A rule as libseccomp holds it for one syscall number of one ABI. */
interface AbiRule {
  readonly rule: RuncRule;
  readonly conditions: readonly ArgCondition[];
  /** Added by the i386 socketcall/ipc rewrite rather than named directly. */
  readonly multiplexed: boolean;
}

/** The conditions one `args[]` list becomes: MASKED_EQ's `value` is the mask, `valueTwo` the datum. */
function entryConditions(entry: OciSyscall): ArgCondition[][] {
  const conds = entry.args.map((a): ArgCondition => {
    const arg = a.index as ArgCondition['arg'];
    const op = OCI_OPERATORS[a.op]!;
    // libseccomp keeps only the datum bits inside the mask.
    return op === 'masked_eq' ? { arg, op, mask: a.value, value: a.valueTwo & a.value } : { arg, op, value: a.value };
  });
  const perIndex = new Map<number, number>();
  for (const c of conds) perIndex.set(c.arg, (perIndex.get(c.arg) ?? 0) + 1);
  // runc: conditions that test the same argument more than once become one rule each (OR, not AND).
  if ([...perIndex.values()].some((n) => n > 1)) return conds.map((c) => [c]);
  return [conds];
}

/**
 * The conditions as libseccomp applies them on an ABI: on 32-bit ones, low halves only. A masked test whose mask
 * is zero there always holds, and libseccomp drops it (a rule left without tests becomes unconditional).
 */
function onAbi(conds: readonly ArgCondition[], abi: LinuxArchName): ArgCondition[] {
  const out = !thirtyTwoBit(abi) ? [...conds] : conds.map((c): ArgCondition => c.op === 'masked_eq'
    ? { arg: c.arg, op: c.op, mask: c.mask & U32, value: c.value & U32, width: 32 }
    : { arg: c.arg, op: c.op, value: c.value & U32, width: 32 });
  return out.filter((c) => c.op !== 'masked_eq' || c.mask !== 0n);
}

/** The name exactly as a syscall table spells it (libseccomp's lookup is exact), on this ABI. */
function exactNr(abi: LinuxArchName, name: string): number | undefined {
  const e = lookupSyscall(abi, name);
  return e !== undefined && e.name === name ? e.nr : undefined;
}

/** The ABIs the filter covers: the target's native one (libseccomp always has it) plus the listed ones. */
function coveredAbis(profile: OciProfile, target: TargetArch, warnings: string[]): LinuxArchName[] {
  const { native, scmpArch, runs } = TARGETS[target];
  const listed: string[] = [...profile.architectures];
  for (const m of profile.archMap) {
    if (m.architecture === scmpArch) listed.push(m.architecture, ...m.subArchitectures);
  }
  const abis: LinuxArchName[] = [native];
  const foreign: string[] = [];
  for (const a of listed) {
    const abi = SCMP_ARCH_TO_ABI[a];
    if (abi === undefined || !(runs as readonly LinuxArchName[]).includes(abi)) foreign.push(a);
    else if (!abis.includes(abi)) abis.push(abi);
  }
  if (foreign.length > 0) {
    warnings.push(`${at(profile.base, 'architectures')}: ${[...new Set(foreign)].join(', ')} ignored: ` +
      `an ${target} kernel never runs those ABIs, so their calls cannot occur`);
  }
  return abis;
}

function label(action: Action): string {
  return 'data' in action ? `${action.kind}(${action.data})` : action.kind;
}

/** The profile's settings as runc applies them: the target machine, the kernel version, the capabilities. */
interface ImportSettings {
  readonly target: TargetArch;
  readonly kernel: readonly [number, number] | undefined;
  readonly caps: ReadonlySet<string>;
}

function importSettings(options: ImportOptions): ImportSettings {
  const target = options.target ?? 'amd64';
  if (!Object.hasOwn(TARGETS, target)) {
    throw new ProfileError('', `unsupported target ${JSON.stringify(target)} (one of ${Object.keys(TARGETS).join(', ')})`);
  }
  let kernel: readonly [number, number] | undefined;
  if (options.kernel !== undefined) {
    kernel = parseKernelVersion(options.kernel);
    if (kernel === undefined) throw new ProfileError('', `invalid kernel version ${JSON.stringify(options.kernel)} (expected MAJOR.MINOR)`);
  }
  return { target, kernel, caps: new Set(options.capabilities ?? DOCKER_DEFAULT_CAPABILITIES) };
}

/**
 * Docker's resolution of the entries that apply (target, capabilities, kernel), then runc's conversion into
 * single-name libseccomp rules; unknown names are skipped with a warning (an error with `strict`).
 */
function toRuncRules(profile: OciProfile, settings: ImportSettings, defaultAction: Action, strict: boolean, warnings: string[]): RuncRule[] {
  const { target, caps, kernel } = settings;
  const runcRules: RuncRule[] = [];
  const unknown = new Map<string, string>();
  let usesNotify = false;
  profile.syscalls.forEach((entry, ei) => {
    if (!entryApplies(entry, target, caps, kernel)) return;
    const action = ociAction(entry.action, entry.errnoRet, at(entry.path, 'action'));
    if (action.kind === 'USER_NOTIF') {
      usesNotify = true;
      const w = entry.names.indexOf('write');
      if (w >= 0) throw new ProfileError(at(at(entry.path, 'names'), w), 'SCMP_ACT_NOTIFY cannot be used for write (runc refuses it)');
    }
    const pieces = entryConditions(entry);
    entry.names.forEach((name, ni) => {
      if (actionsEqual(action, defaultAction)) return; // runc skips rules that repeat the default action
      // libseccomp knows the i386 multiplexed calls (send, recv, …) even where no ABI has them directly.
      const known = multiplexedVia(name) !== undefined || ALL_ABIS.some((abi) => exactNr(abi, name) !== undefined);
      if (!known) {
        if (!unknown.has(name)) unknown.set(name, at(at(entry.path, 'names'), ni));
        return;
      }
      pieces.forEach((conditions, piece) => {
        runcRules.push({
          name, action, conditions, entry: ei, piece, nameIndex: ni,
          path: pieces.length > 1 ? at(at(entry.path, 'args'), piece) : entry.path,
          ...(entry.comment === undefined ? {} : { comment: entry.comment }),
        });
      });
    });
  });
  if (unknown.size > 0) {
    if (strict) {
      const [[first, path], ...others] = [...unknown.entries()] as [[string, string], ...Array<[string, string]>];
      const suggestions = [...new Set(ALL_ABIS.flatMap((abi) => suggestSyscalls(abi, first)))].slice(0, 3);
      const also = others.slice(0, UNKNOWN_NAMES_SHOWN).map(([n, p]) => `${quoteName(n)} (${p})`);
      if (others.length > UNKNOWN_NAMES_SHOWN) also.push(`and ${others.length - UNKNOWN_NAMES_SHOWN} more`);
      throw new ProfileError(path, `unknown syscall ${quoteName(first)}` +
        (suggestions.length > 0 ? `; did you mean ${suggestions.join(' or ')}?` : '') +
        (also.length > 0 ? `; also unknown: ${also.join(', ')}` : ''));
    }
    warnings.push(`unknown syscall name${unknown.size > 1 ? 's' : ''} skipped (as runc does): ${listNames([...unknown.keys()])}`);
  }
  if (usesNotify && profile.listenerPath === undefined) {
    warnings.push(`${at(profile.base, 'listenerPath')}: SCMP_ACT_NOTIFY is used but no listenerPath is set; runc then hands the notification fd to nobody`);
  }
  return runcRules;
}

/** One syscall of one ABI with the rules libseccomp gets for it, in the order runc adds them. */
interface RuleGroup {
  readonly abi: LinuxArchName;
  readonly nr: number;
  readonly rules: AbiRule[];
  /**
   * The ABI has no such syscall: libseccomp still records the rules under a negative pseudo number and checks them
   * against each other (refusing or hanging as for a real one), though none of them reaches the filter.
   */
  readonly pseudo: boolean;
}

/** libseccomp's per-ABI rule lists (multiplexed socket and ipc calls included), in the order runc adds them. */
function ruleGroups(runcRules: readonly RuncRule[], abis: readonly LinuxArchName[]): RuleGroup[] {
  const groups = new Map<string, RuleGroup>();
  const push = (abi: LinuxArchName, nr: number, r: AbiRule, pseudoName?: string): void => {
    const key = pseudoName === undefined ? `${abi}:${nr}` : `${abi}:${pseudoName}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { abi, nr, rules: [], pseudo: pseudoName !== undefined }));
    g.rules.push(r);
  };
  for (const rule of runcRules) {
    for (const abi of abis) {
      const nr = exactNr(abi, rule.name);
      if (nr !== undefined) push(abi, nr, { rule, conditions: onAbi(rule.conditions, abi), multiplexed: false });
      const mux = LINUX_ARCHES[abi].socketcall !== undefined ? multiplexedVia(rule.name) : undefined;
      const muxNr = mux === undefined ? undefined : exactNr(abi, mux.via);
      if (mux !== undefined && muxNr !== undefined) {
        const rest = rule.conditions.filter((c) => c.arg !== 0);
        const conditions = onAbi([{ arg: 0, op: 'eq', value: BigInt(mux.subcall) }, ...rest], abi);
        push(abi, muxNr, { rule, conditions, multiplexed: true });
      } else if (nr === undefined) {
        push(abi, -1, { rule, conditions: onAbi(rule.conditions, abi), multiplexed: false }, rule.name);
      }
    }
  }
  return [...groups.values()];
}

/**
 * libseccomp's combination of one syscall's rules: the first unconditional rule wins (after the EEXIST checks
 * libseccomp makes between the rules before it); otherwise every distinct rule is kept, unless two of different
 * actions can match the same call: then libseccomp's decision tree for the rules, in runc's order, is rebuilt and
 * written as disjoint rules, with a warning.
 */
function combineGroup(g: RuleGroup, abis: readonly LinuxArchName[], defaultAction: Action, warnings: string[], shadowWarned: Set<string>): AbiRule[] {
  const firstUnconditional = g.rules.find((r) => r.conditions.length === 0);
  if (firstUnconditional !== undefined) {
    // Rules added before it were still checked against each other when added: libseccomp refuses a rule whose
    // tests equal, or extend, those of an earlier rule of another action (EEXIST), and runc fails.
    const before = g.rules.slice(0, g.rules.indexOf(firstUnconditional));
    const beforeActions = new Set(before.map((r) => label(r.rule.action))).size;
    if (before.length > MAX_CONFLICT_CHECK && beforeActions > 1) {
      throw new ProfileError(before[0]!.rule.path, `more than ${MAX_CONFLICT_CHECK} conditional rules with different actions for one syscall`);
    }
    for (let j = 1; j < (beforeActions > 1 ? before.length : 0); j++) {
      for (let i = 0; i < j; i++) {
        const a = before[i]!;
        const b = before[j]!;
        if (actionsEqual(a.rule.action, b.rule.action) || !chainsNest(a.conditions, b.conditions)) continue;
        throw new ProfileError(b.rule.path, `libseccomp refuses the rule ${label(b.rule.action)} for ${describeRule(b)}: ` +
          `its tests repeat those of the rule ${label(a.rule.action)} for ${describeRule(a)} at ${a.rule.path}` +
          `${g.abi === abis[0] ? '' : ` (on ${g.abi})`} (EEXIST), so runc fails`);
      }
    }
    const shadowed = g.rules.filter((r) => r !== firstUnconditional && !actionsEqual(r.rule.action, firstUnconditional.rule.action));
    for (const s of shadowed) {
      const key = `${s.rule.path}|${s.rule.name}`;
      if (shadowWarned.has(key) || s.multiplexed) continue;
      shadowWarned.add(key);
      warnings.push(`${s.rule.path}: the rule ${label(s.rule.action)} for '${s.rule.name}' has no effect: ` +
        `${firstUnconditional.rule.path} allows no exceptions (${label(firstUnconditional.rule.action)} for every call; ` +
        'libseccomp keeps the first unconditional rule)');
    }
    return [firstUnconditional];
  }
  const seen = new Set<string>();
  const kept: AbiRule[] = [];
  for (const r of g.rules) {
    const key = `${label(r.rule.action)}|${conditionsKey(r.conditions)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(r);
  }
  const actions = new Set(kept.map((r) => label(r.rule.action)));
  if (actions.size > 1) {
    if (kept.length > MAX_CONFLICT_CHECK) {
      throw new ProfileError(kept[0]!.rule.path, `more than ${MAX_CONFLICT_CHECK} conditional rules with different actions for one syscall`);
    }
    const width = thirtyTwoBit(g.abi) ? 32 : 64;
    for (let i = 0; i < kept.length; i++) {
      for (let j = i + 1; j < kept.length; j++) {
        const a = kept[i]!;
        const b = kept[j]!;
        if (actionsEqual(a.rule.action, b.rule.action)) continue;
        if (!conditionsMayOverlap(a.conditions, b.conditions, width)) continue;
        return inLibseccompOrder(g, abis, defaultAction, warnings, shadowWarned, a, b);
      }
    }
  }
  return kept;
}

/** "the rule ERRNO(1) for 'read'" */
const ruleText = (r: AbiRule): string => `the rule ${label(r.rule.action)} for ${describeRule(r)}`;

/**
 * One syscall's rules decided as libseccomp 2.5.4 decides them when runc adds them in the profile's order (its
 * merged decision tree and the filter it generates from it), written as disjoint policy rules. `first` and
 * `second` are two rules of different actions that can match the same call, for the warning.
 */
function inLibseccompOrder(g: RuleGroup, abis: readonly LinuxArchName[], defaultAction: Action, warnings: string[], warned: Set<string>, first: AbiRule, second: AbiRule): AbiRule[] {
  const on = g.abi === abis[0] ? '' : ` (on ${g.abi})`;
  const wide = !thirtyTwoBit(g.abi);
  /** The earlier rule (of another action, if `otherAction`) most likely to be the one libseccomp trips over. */
  const earlier = (i: number, otherAction: boolean): AbiRule => {
    const b = g.rules[i]!;
    const before = g.rules.slice(0, i).filter((r) => !otherAction || !actionsEqual(r.rule.action, b.rule.action));
    return before.find((r) => conditionsMayOverlap(r.conditions, b.conditions, wide ? 64 : 32)) ?? before[0] ?? g.rules[0]!;
  };
  let tree;
  try {
    tree = buildSyscallTree(g.rules.map((r) => ({ code: encodeAction(r.rule.action), conditions: r.conditions })), wide);
  } catch (err) {
    if (!(err instanceof TreeConflict) && !(err instanceof TreeHang)) throw err;
    const i = (err as { at?: number }).at ?? 0;
    const b = g.rules[i]!;
    const a = earlier(i, err instanceof TreeConflict);
    if (err instanceof TreeConflict) {
      throw new ProfileError(b.rule.path, `libseccomp refuses ${ruleText(b)}: it can match the same calls as ${ruleText(a)} at ` +
        `${a.rule.path}${on} and their tests merge into one it cannot decide (EEXIST), so runc fails`);
    }
    throw new ProfileError(b.rule.path, `libseccomp 2.5.4 never finishes adding ${ruleText(b)} after ${ruleText(a)} at ` +
      `${a.rule.path}${on} (it loops merging their tests), so runc hangs: make their conditions disjoint`);
  }
  if (g.pseudo) return []; // nothing reaches the filter, so nothing needs to be expressible
  let lowered;
  try {
    lowered = treeRules(tree, g.nr, encodeAction(defaultAction));
  } catch (err) {
    if (!(err instanceof TreeNotExpressible)) throw err;
    throw new ProfileError(second.rule.path, `${ruleText(second)} can match the same calls as ${ruleText(first)} at ${first.rule.path}${on}, ` +
      `and the verdicts libseccomp's filter gives them cannot be written as policy conditions (${err.message}): make their conditions disjoint`);
  }
  const key = `${first.rule.path}|${second.rule.path}|${first.rule.name}|${second.rule.name}`;
  if (!warned.has(key)) {
    warned.add(key);
    warnings.push(`${second.rule.path}: ${ruleText(second)} can match the same calls as ${ruleText(first)} at ${first.rule.path}${on}; ` +
      'libseccomp decides such calls by the order runc adds the rules, not by action, and the import gives the verdicts of the ' +
      "profile's order (reordering the entries can change them)");
  }
  return lowered.map((l) => {
    const origin = l.origin >= 0 ? g.rules[l.origin]! : second;
    const action = encodeAction(origin.rule.action) === l.code ? origin.rule.action : decodeAction(l.code);
    return { rule: { ...origin.rule, action }, conditions: l.conditions, multiplexed: origin.multiplexed };
  });
}

/**
 * Imports a Docker or OCI seccomp profile (JSON text, or a parsed object) as a policy whose verdicts are those of
 * the filter runc builds from it with libseccomp. Throws `ProfileError` naming the JSON path for anything
 * malformed or that cannot be honoured.
 */
export function importProfile(input: string | object, options: ImportOptions = {}): ImportResult {
  const profile = readProfile(input);
  const settings = importSettings(options);
  const warnings: string[] = [];
  if (profile.ignoredFields.length > 0) {
    warnings.push(`unknown field${profile.ignoredFields.length > 1 ? 's' : ''} ignored: ${profile.ignoredFields.slice(0, 10).join(', ')}` +
      (profile.ignoredFields.length > 10 ? ` and ${profile.ignoredFields.length - 10} more` : ''));
  }
  const defaultAction = ociAction(profile.defaultAction, profile.defaultErrnoRet, at(profile.base, 'defaultAction'));
  if (defaultAction.kind === 'USER_NOTIF') {
    throw new ProfileError(at(profile.base, 'defaultAction'), 'SCMP_ACT_NOTIFY cannot be the default action (runc refuses it)');
  }
  const abis = coveredAbis(profile, settings.target, warnings);
  const runcRules = toRuncRules(profile, settings, defaultAction, options.strict === true, warnings);
  const shadowWarned = new Set<string>();
  const survivors = ruleGroups(runcRules, abis).flatMap((g) => {
    if (g.pseudo) {
      checkPseudoGroup(g, abis, defaultAction);
      return [];
    }
    return combineGroup(g, abis, defaultAction, warnings, shadowWarned).map((r) => ({ abi: g.abi, nr: g.nr, r }));
  });
  return { policy: buildPolicy(defaultAction, abis, survivors, options), warnings, meta: metaOf(profile) };
}

/** Refuses, as runc fails, rules for a syscall the ABI lacks that libseccomp refuses or never finishes adding. */
function checkPseudoGroup(g: RuleGroup, abis: readonly LinuxArchName[], defaultAction: Action): void {
  try {
    combineGroup(g, abis, defaultAction, [], new Set());
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    throw new ProfileError(err.path, `${err.detail} (libseccomp checks the rules for '${g.rules[0]!.rule.name}' on ${g.abi} ` +
      `although ${g.abi} has no such syscall)`);
  }
}

function describeRule(r: AbiRule): string {
  return r.multiplexed ? `'${r.rule.name}' through ${multiplexedVia(r.rule.name)!.via}` : `'${r.rule.name}'`;
}

/** Whether one rule's tests, in libseccomp's order (by argument), equal or begin with the other's. */
function chainsNest(a: readonly ArgCondition[], b: readonly ArgCondition[]): boolean {
  const chain = (c: readonly ArgCondition[]): string[] => [...c].sort((x, y) => x.arg - y.arg).map((x) => conditionsKey([x]));
  const ca = chain(a);
  const cb = chain(b);
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) if (ca[i] !== cb[i]) return false;
  return true;
}

function metaOf(profile: OciProfile): ProfileMeta {
  return {
    flags: profile.flags,
    ...(profile.listenerPath === undefined ? {} : { listenerPath: profile.listenerPath }),
    ...(profile.listenerMetadata === undefined ? {} : { listenerMetadata: profile.listenerMetadata }),
  };
}

/**
 * Writes the surviving rules as a policy: unconditional rules by name (one rule per profile entry and action),
 * conditional ones per ABI by number, since libseccomp compares 32 bits on i386 and x32 but 64 on x86_64.
 */
function buildPolicy(
  defaultAction: Action,
  abis: readonly LinuxArchName[],
  survivors: ReadonlyArray<{ abi: LinuxArchName; nr: number; r: AbiRule }>,
  options: ImportOptions,
): Policy {
  const byKey = new Map<string, { order: number; action: Action; conditions: readonly ArgCondition[]; refs: Array<{ ref: SyscallRef; sort: number }>; seen: Set<string>; comment?: string }>();
  const order = (r: RuncRule): number => r.entry * 1024 + r.piece;
  // A name stands for the syscall on every ABI, so an unconditional rule is written by name only where it is
  // what libseccomp keeps for that name on every ABI that has it.
  const unconditionalBy = new Map<string, Set<RuncRule>>();
  const survivorCount = new Map<string, number>();
  for (const { r } of survivors) {
    if (!r.multiplexed) survivorCount.set(r.rule.name, (survivorCount.get(r.rule.name) ?? 0) + 1);
    if (r.conditions.length !== 0 || r.multiplexed) continue;
    let set = unconditionalBy.get(r.rule.name);
    if (set === undefined) unconditionalBy.set(r.rule.name, (set = new Set()));
    set.add(r.rule);
  }
  const decidedEverywhere = (rule: RuncRule): boolean => {
    const set = unconditionalBy.get(rule.name);
    if (set === undefined || set.size !== 1) return false;
    return survivorCount.get(rule.name) === abis.filter((a) => exactNr(a, rule.name) !== undefined).length;
  };
  for (const { abi, nr, r } of survivors) {
    const rule = r.rule;
    let key: string;
    let ref: SyscallRef;
    if (r.conditions.length === 0 && !r.multiplexed && rule.conditions.length === 0 && decidedEverywhere(rule)) {
      key = `u|${order(rule)}|${label(rule.action)}`;
      ref = rule.name;
    } else {
      key = `c|${order(rule)}|${label(rule.action)}|${conditionsKey(r.conditions)}`;
      ref = { arch: abi, nr };
    }
    let slot = byKey.get(key);
    if (slot === undefined) {
      slot = {
        order: order(rule), action: rule.action, conditions: r.conditions, refs: [], seen: new Set(),
        ...(rule.comment === undefined ? {} : { comment: rule.comment }),
      };
      byKey.set(key, slot);
    }
    const refKey = typeof ref === 'string' ? ref : `${ref.arch}:${ref.nr}`;
    if (!slot.seen.has(refKey)) {
      slot.seen.add(refKey);
      slot.refs.push({ ref, sort: rule.nameIndex * 4 + abis.indexOf(abi) });
    }
  }
  const slots = [...byKey.entries()].sort(([ka, a], [kb, b]) => a.order - b.order || (ka < kb ? -1 : ka > kb ? 1 : 0));
  const rules: Rule[] = slots.map(([, s]) => ({
    syscalls: s.refs.sort((a, b) => a.sort - b.sort).map((r) => r.ref),
    action: s.action,
    ...(s.conditions.length === 0 ? {} : { conditions: s.conditions }),
    ...(s.comment === undefined ? {} : { comment: s.comment }),
  }));
  return {
    defaultAction,
    arches: abis,
    // libseccomp's default for calls of other ABIs, which runc leaves unchanged.
    badArchAction: { kind: 'KILL_THREAD' },
    rules,
    // runc + libseccomp leave i386 socketcall as the profile says; explicit rules above reproduce its rewrite.
    allowSocketcallHole: true,
    ...(options.enosysGuard === true ? { enosysGuard: true } : {}),
  };
}
