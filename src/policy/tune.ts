/**
 * Tuning a base policy in the syntax operators already use: `allow:NAME`, `deny:NAME`, `deny:all`, applied
 * in order; the `seccomp:` prefix of `--security-opt seccomp:allow:NAME` is accepted too.
 *
 * - `allow:NAME` makes every call of NAME allowed, whatever its arguments: NAME is taken out of every rule
 *   that names it (a rule naming nothing else disappears, the other syscalls of a shared rule keep it), and
 *   when the default is not ALLOW an unconditional ALLOW rule for NAME is added. So `allow:socket` on
 *   `hardened` lifts the address-family restriction. `allow:socketcall` also accepts the i386 socketcall hole.
 * - `deny:NAME` does the same but adds an unconditional rule with the deny action (ERRNO(EPERM) unless
 *   told otherwise), which wins over anything.
 * - `deny:all` drops every rule and makes the deny action the default; later `allow:` entries build an
 *   allow list on top.
 */
import { errorMessage } from '../util/error-message.js';
import { LINUX_ARCH_NAMES } from '../syscalls/arch.js';
import type { Action } from '../syscalls/actions.js';
import { at, PolicyError } from './errors.js';
import { lookupSyscall, quoteName, resolveSyscall } from '../syscalls/index.js';
import type { Policy, Rule, SyscallRef } from './types.js';

/** One tuning (`allow:NAME`, `deny:NAME`, `deny:all`) as parsed. */
export interface Tuning {
  readonly op: 'allow' | 'deny';
  /** A syscall name, or `all` (only with `deny`). */
  readonly name: string;
}

/** How `tunePolicy` applies tunings. */
export interface TuneOptions {
  /** The verdict `deny:` gives; ERRNO(EPERM) unless set. */
  readonly denyAction?: Action;
}

/** The action `deny:NAME` tuning gives: ERRNO(EPERM). */
export const DEFAULT_DENY_ACTION: Action = { kind: 'ERRNO', data: 1 };

/** Reads one tuning entry (`allow:ptrace`, `seccomp:deny:all`); `path` names it in errors. */
export function parseTuning(text: string, path = 'tune'): Tuning {
  const t = text.trim().replace(/^seccomp[:=]/i, '');
  const m = /^(allow|deny):(.+)$/i.exec(t);
  if (m === null) {
    throw new PolicyError(path, `${quoteName(text)} is not a tuning entry (allow:NAME, deny:NAME or deny:all)`);
  }
  const op = (m[1] as string).toLowerCase() as 'allow' | 'deny';
  const name = (m[2] as string).trim().toLowerCase();
  if (name === 'all') {
    if (op === 'allow') throw new PolicyError(path, 'allow:all is not supported (deny:all followed by allow:NAME entries builds an allow list)');
    return { op, name };
  }
  canonicalName(name, path);
  return { op, name };
}

/** The table spelling of a syscall name known on any ABI; an unknown name is an error with suggestions. */
function canonicalName(name: string, path: string): string {
  for (const a of LINUX_ARCH_NAMES) {
    const e = lookupSyscall(a, name);
    if (e !== undefined) return e.name;
  }
  try {
    resolveSyscall('x86_64', name);
  } catch (err) {
    throw new PolicyError(path, errorMessage(err));
  }
  throw new PolicyError(path, `unknown syscall ${quoteName(name)}`);
}

/** Whether `ref` names the same syscall as `name` on some ABI. */
function refNames(ref: SyscallRef, name: string): boolean {
  if (typeof ref === 'string') {
    return LINUX_ARCH_NAMES.some((a) => {
      const x = lookupSyscall(a, ref);
      return x !== undefined && x.name === lookupSyscall(a, name)?.name;
    });
  }
  const e = lookupSyscall(ref.arch, name);
  if (e === undefined) return false;
  const nr = ref.arch === 'x32' ? (ref.nr | 0x40000000) >>> 0 : ref.nr;
  return e.nr === nr;
}

function withoutSyscall(rules: readonly Rule[], name: string): Rule[] {
  const out: Rule[] = [];
  for (const r of rules) {
    const kept = r.syscalls.filter((s) => !refNames(s, name));
    if (kept.length === r.syscalls.length) out.push(r);
    else if (kept.length > 0) out.push({ ...r, syscalls: kept });
  }
  return out;
}

/** Applies tuning entries (text or parsed) to a base policy, in order; returns the tuned policy. */
export function tunePolicy(base: Policy, tunings: readonly (string | Tuning)[], options: TuneOptions = {}): Policy {
  const deny = options.denyAction ?? DEFAULT_DENY_ACTION;
  let p: Policy = base;
  tunings.forEach((entry, i) => {
    const path = at('tune', i);
    const t = typeof entry === 'string' ? parseTuning(entry, path) : entry;
    if (t.name === 'all') {
      if (t.op !== 'deny') throw new PolicyError(path, 'allow:all is not supported');
      const { allowSocketcallHole: _dropped, ...rest } = p;
      p = { ...rest, defaultAction: deny, rules: [] };
      return;
    }
    const name = canonicalName(t.name, path);
    const rules = withoutSyscall(p.rules, name);
    if (t.op === 'allow') {
      if (p.defaultAction.kind !== 'ALLOW') rules.push({ syscalls: [name], action: { kind: 'ALLOW' }, comment: `allow:${name}` });
      p = { ...p, rules, ...(name === 'socketcall' && { allowSocketcallHole: true }) };
    } else {
      rules.push({ syscalls: [name], action: deny, comment: `deny:${name}` });
      p = { ...p, rules };
    }
  });
  return p;
}
