/**
 * systemd's seccomp settings of a unit (systemd.exec(5)): `SystemCallFilter=` (an allow-list of names, or a
 * deny-list after `~`, entries optionally `name:errno`), `SystemCallErrorNumber=` (the errno, or `kill`, for
 * calls the filter refuses; the process is killed by default) and `SystemCallArchitectures=`. systemd filters by
 * name, whatever the arguments, and names the same set on every architecture. Groups (`@system-service`, …) are
 * refused: their contents change between systemd releases and are not pinned here.
 */
import { actionsEqual, type Action } from '../../syscalls/actions.js';
import type { LinuxArchName } from '../../syscalls/arch.js';
import { errnoName, errnoNumber } from '../../syscalls/errno.js';
import { formatAction } from '../../syscalls/action-text.js';
import { lookupSyscall, syscallName } from '../../syscalls/resolve.js';
import { PolicyError } from '../errors.js';
import { compareVerdicts } from '../precedence.js';
import { resolvePolicy, type ResolvedAbi } from '../resolve.js';
import type { Policy, Rule } from '../types.js';

/** systemd's architecture names (`SystemCallArchitectures=`) for the ABIs it knows. */
export const SYSTEMD_ARCHES: Readonly<Partial<Record<LinuxArchName, string>>> = {
  x86_64: 'x86-64', i386: 'x86', x32: 'x32', arm: 'arm', aarch64: 'arm64', loongarch64: 'loongarch64',
  mips: 'mips', mipsel: 'mips-le', mips64: 'mips64', mipsel64: 'mips64-le', mips64n32: 'mips64-n32',
  mipsel64n32: 'mips64-le-n32', parisc: 'parisc', parisc64: 'parisc64', ppc: 'ppc', ppc64: 'ppc64',
  ppc64le: 'ppc64-le', riscv64: 'riscv64', s390: 's390', s390x: 's390x',
};

/** Calls systemd.exec(5) says every allow-list permits implicitly. */
export const SYSTEMD_IMPLICIT_ALLOW: readonly string[] = ['execve', 'exit', 'exit_group', 'getrlimit', 'rt_sigreturn', 'sigreturn'];

/** The settings written for a policy, and what they do not carry. */
export interface SystemdExport {
  /** The unit-file lines (for a `[Service]` section or a drop-in), ending in a newline. */
  readonly text: string;
  readonly warnings: readonly string[];
}

const describe = (a: Action): string => formatAction(a);
const denies = (a: Action): boolean => a.kind !== 'ALLOW' && a.kind !== 'LOG';

/** A syscall's verdict on one ABI when it does not depend on arguments, else undefined. */
function uniformVerdict(abi: ResolvedAbi, nr: number, defaultAction: Action): Action | undefined {
  const rules = abi.rules.get(nr) ?? [];
  let unconditional: Action | undefined;
  for (const r of rules) if (r.conditions.length === 0 && (unconditional === undefined || compareVerdicts(r.action, unconditional) < 0)) unconditional = r.action;
  // Without an unconditional rule, a conditional one decides the calls it matches; with one, only a stronger
  // conditional rule changes anything.
  if (unconditional === undefined) return rules.every((r) => actionsEqual(r.action, defaultAction)) ? defaultAction : undefined;
  return rules.every((r) => r.conditions.length === 0 || compareVerdicts(unconditional!, r.action) <= 0) ? unconditional : undefined;
}

/** Every syscall name a rule of the policy reaches on some covered ABI, sorted. */
function ruledNames(abis: readonly ResolvedAbi[]): string[] {
  const names = new Set<string>();
  for (const abi of abis) for (const nr of abi.rules.keys()) {
    const name = syscallName(abi.arch, nr);
    if (name !== undefined) names.add(name);
  }
  return [...names].sort();
}

/** A name's verdict on every covered ABI that has it: one action, 'conditional', or 'differs' across ABIs. */
function nameVerdict(abis: readonly ResolvedAbi[], name: string, defaultAction: Action): Action | 'conditional' | 'differs' {
  let seen: Action | undefined;
  for (const abi of abis) {
    const entry = lookupSyscall(abi.arch, name);
    if (entry === undefined) continue;
    const v = uniformVerdict(abi, entry.nr, defaultAction);
    if (v === undefined) return 'conditional';
    if (seen !== undefined && !actionsEqual(seen, v)) return 'differs';
    seen = v;
  }
  return seen ?? defaultAction;
}

function errnoText(n: number): string {
  return errnoName(n) ?? String(n);
}

/**
 * The policy as systemd unit settings, with a warning for everything systemd cannot say (conditions, per-ABI
 * differences, actions other than errno and kill); where it cannot, the unit is made stricter, never looser.
 */
export function exportSystemd(policy: Policy, source = 'a seccomp-ts policy'): SystemdExport {
  const resolved = resolvePolicy(policy);
  const warnings: string[] = [];
  const archNames = resolved.abis.map((a) => {
    const name = SYSTEMD_ARCHES[a.arch];
    if (name === undefined) throw new PolicyError('arches', `systemd has no architecture name for ${a.arch}`);
    return name;
  });
  const d = resolved.defaultAction;
  const names = ruledNames(resolved.abis);
  const lines = [`# seccomp settings for ${source}, written by seccomp-ts (systemd.exec(5))`, `SystemCallArchitectures=${archNames.join(' ')}`];
  if (!actionsEqual(resolved.badArchAction, { kind: 'KILL_PROCESS' })) {
    warnings.push(`calls of other ABIs get what systemd gives them, not ${describe(resolved.badArchAction)}`);
  }
  if (resolved.enosysGuard) warnings.push('the ENOSYS guard is left out: numbers newer than the tables get the default action');
  const killOr = (a: Action, what: string): void => {
    if (a.kind !== 'KILL_PROCESS' && a.kind !== 'ERRNO') warnings.push(`${what}: ${describe(a)} becomes killing the process (systemd kills or returns an errno)`);
  };

  if (denies(d)) {
    const allowed: string[] = [];
    for (const name of names) {
      const v = nameVerdict(resolved.abis, name, d);
      if (v === 'conditional') warnings.push(`${name}: allowed only for some arguments, which systemd cannot say: left out (denied)`);
      else if (v === 'differs') warnings.push(`${name}: decided differently per ABI, which systemd cannot say: left out (denied)`);
      else if (!denies(v)) {
        if (v.kind === 'LOG') warnings.push(`${name}: LOG becomes a plain allow`);
        allowed.push(name);
      } else if (!actionsEqual(v, d)) warnings.push(`${name}: gets the default ${describe(d)}, not ${describe(v)}`);
    }
    const implicit = SYSTEMD_IMPLICIT_ALLOW.filter((n) => !allowed.includes(n) && resolved.abis.some((a) => lookupSyscall(a.arch, n) !== undefined));
    if (implicit.length > 0) warnings.push(`systemd allows ${implicit.join(', ')} in every allow-list, although the policy denies them`);
    warnings.push("systemd also allows its @default group in every allow-list (its contents depend on systemd's version)");
    lines.push(`SystemCallFilter=${allowed.join(' ')}`);
    killOr(d, 'the default action');
    if (d.kind === 'ERRNO') lines.push(`SystemCallErrorNumber=${errnoText(d.data)}`);
  } else {
    if (d.kind === 'LOG') warnings.push('the default LOG becomes a plain allow');
    const denied: { name: string; action: Action }[] = [];
    for (const name of names) {
      const v = nameVerdict(resolved.abis, name, d);
      if (v === 'conditional' || v === 'differs') {
        const why = v === 'conditional' ? 'denied only for some arguments' : 'decided differently per ABI';
        // Fail closed: the strongest action any of its rules gives, for every call of it.
        const strongest = resolved.abis.flatMap((a) => a.rules.get(lookupSyscall(a.arch, name)?.nr ?? -1) ?? [])
          .map((r) => r.action).filter(denies).sort(compareVerdicts)[0];
        if (strongest === undefined) continue;
        warnings.push(`${name}: ${why}, which systemd cannot say: denied whatever its arguments (${describe(strongest)})`);
        denied.push({ name, action: strongest });
      } else if (denies(v)) denied.push({ name, action: v });
    }
    for (const x of denied) killOr(x.action, x.name);
    const errnos = new Set(denied.map((x) => (x.action.kind === 'ERRNO' ? x.action.data : -1)));
    if (denied.length > 0) {
      if (errnos.size === 1 && !errnos.has(-1)) {
        lines.push(`SystemCallFilter=~${denied.map((x) => x.name).join(' ')}`);
        lines.push(`SystemCallErrorNumber=${errnoText([...errnos][0]!)}`);
      } else {
        lines.push(`SystemCallFilter=~${denied.map((x) => (x.action.kind === 'ERRNO' ? `${x.name}:${errnoText(x.action.data)}` : x.name)).join(' ')}`);
      }
    } else {
      warnings.push('the policy denies nothing: no SystemCallFilter= is written');
    }
  }
  return { text: `${lines.join('\n')}\n`, warnings };
}

/** What importing unit settings gives. */
export interface SystemdImport {
  readonly policy: Policy;
  readonly warnings: readonly string[];
}

const BY_SYSTEMD_NAME: ReadonlyMap<string, LinuxArchName> = new Map(
  Object.entries(SYSTEMD_ARCHES).map(([abi, name]) => [name, abi as LinuxArchName]),
);

/** The unit's lines as (line number, key, value), continuation lines joined, comments and sections skipped. */
function assignments(text: string): { line: number; key: string; value: string }[] {
  const out: { line: number; key: string; value: string }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!}`;
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';') || (t.startsWith('[') && t.endsWith(']'))) continue;
    const eq = t.indexOf('=');
    if (eq <= 0) throw new PolicyError(`line ${start}`, `expected KEY=VALUE, found ${JSON.stringify(t.slice(0, 80))}`);
    out.push({ line: start, key: t.slice(0, eq).trim(), value: t.slice(eq + 1).trim() });
  }
  return out;
}

function parseErrno(text: string, where: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : errnoNumber(text);
  if (n === undefined || n < 0 || n > 4095) throw new PolicyError(where, `unknown errno ${JSON.stringify(text)}`);
  return n;
}

/**
 * A policy from systemd unit settings (a unit file, a drop-in, or just the lines): the verdicts systemd's filter
 * gives, the documented implicit allows included; `native` is `host` (default x86_64).
 */
export function importSystemd(text: string, host: LinuxArchName = 'x86_64'): SystemdImport {
  const warnings: string[] = [];
  let mode: 'allow' | 'deny' | undefined;
  let entries = new Map<string, { errno?: number; line: number }>();
  let errorNumber: Action | undefined;
  let arches: LinuxArchName[] | undefined;
  let seen = false;
  for (const { line, key, value } of assignments(text)) {
    const where = `line ${line}`;
    if (key === 'SystemCallFilter') {
      seen = true;
      if (value === '') {
        mode = undefined;
        entries = new Map();
        continue;
      }
      const deny = value.startsWith('~');
      const list = (deny ? value.slice(1) : value).trim().split(/\s+/).filter(Boolean);
      mode ??= deny ? 'deny' : 'allow';
      const adds = (mode === 'deny') === deny;
      for (const item of list) {
        const [name = '', errno] = item.split(':');
        if (name.startsWith('@')) throw new PolicyError(where, `${name}: systemd's groups change between releases and are not pinned here; list the calls by name`);
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new PolicyError(where, `${JSON.stringify(item)} is not a syscall name`);
        if (adds) entries.set(name, { ...(errno !== undefined && { errno: parseErrno(errno, where) }), line });
        else entries.delete(name);
      }
    } else if (key === 'SystemCallErrorNumber') {
      errorNumber = value === '' ? undefined : value === 'kill' ? { kind: 'KILL_PROCESS' } : { kind: 'ERRNO', data: parseErrno(value, where) };
    } else if (key === 'SystemCallArchitectures') {
      if (value === '') arches = undefined;
      else {
        arches ??= [];
        for (const name of value.split(/\s+/)) {
          const abi = name === 'native' ? host : BY_SYSTEMD_NAME.get(name);
          if (abi === undefined) throw new PolicyError(where, `unknown architecture ${JSON.stringify(name)} (${['native', ...BY_SYSTEMD_NAME.keys()].join(', ')})`);
          if (!arches.includes(abi)) arches.push(abi);
        }
      }
    }
  }
  if (!seen) throw new PolicyError('', 'no SystemCallFilter= setting: nothing restricts the unit');
  const covered = arches ?? (host === 'x86_64' ? ['x86_64', 'i386', 'x32'] as LinuxArchName[] : [host]);
  const known = (name: string) => covered.some((a) => lookupSyscall(a, name) !== undefined);
  for (const [name, e] of entries) {
    if (!known(name)) {
      warnings.push(`line ${e.line}: ${name} is no syscall on ${covered.join(', ')}; ignored, as systemd ignores it`);
      entries.delete(name);
    }
  }
  const refused: Action = errorNumber ?? { kind: 'KILL_PROCESS' };
  let rules: Rule[];
  let defaultAction: Action;
  if (mode === 'deny') {
    defaultAction = { kind: 'ALLOW' };
    rules = [...entries].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, e]) => ({
      syscalls: [name], action: e.errno !== undefined ? { kind: 'ERRNO', data: e.errno } : refused,
    }));
  } else {
    defaultAction = refused;
    const allowed = [...new Set([...entries.keys(), ...SYSTEMD_IMPLICIT_ALLOW.filter(known)])].sort();
    rules = allowed.length > 0 ? [{ syscalls: allowed, action: { kind: 'ALLOW' } }] : [];
    warnings.push("systemd also allows its @default group in an allow-list; its contents depend on systemd's version and are not added (the policy is stricter there)");
  }
  return { policy: { defaultAction, arches: covered, badArchAction: { kind: 'KILL_PROCESS' }, rules }, warnings };
}

/** Whether a text looks like systemd unit settings with a syscall filter. */
export function isSystemdUnit(text: string): boolean {
  return /^\s*SystemCallFilter\s*=/m.test(text);
}

