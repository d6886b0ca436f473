/**
 * The plain JSON form of a policy. It round-trips: `policyFromJson(policyToJson(p))` equals `p`.
 *
 * ```json
 * { "defaultAction": "ALLOW", "arches": ["x86_64"], "badArchAction": "KILL_PROCESS",
 *   "rules": [ { "syscalls": ["socket"], "action": "ERRNO(EAFNOSUPPORT)",
 *                "conditions": [ { "arg": 0, "op": "gt", "value": 16, "width": 32 } ] } ] }
 * ```
 * Values are JSON numbers (safe integers only) or strings holding a decimal or `0x` hexadecimal integer
 * (needed past 2^53). Actions are text (`ERRNO(EPERM)`, `TRAP(5)`, `SCMP_ACT_ALLOW`, ...). Operators are
 * `eq ne lt le gt ge masked_eq`, or `== != < <= > >=`. Every error names its JSON path.
 */
import { errorMessage } from '../util/error-message.js';
import type { Action } from '../syscalls/actions.js';
import { isLinuxArchName, LINUX_ARCH_NAMES, type LinuxArchName } from '../syscalls/arch.js';
import type { ArgIndex } from '../bpf/seccomp-data.js';
import { at, PolicyError } from './errors.js';
import { JsonNumber, parseJsonExact } from './oci/json.js';
import { checkCondition } from './resolve.js';
import { formatAction, parseAction } from '../syscalls/index.js';
import type { ArgCondition, CompareOp, Policy, Rule, SyscallRef } from './types.js';

/** A value in JSON: a safe integer or a decimal / `0x` string. */
export type JsonInteger = number | string;

/** An argument condition in a policy's JSON form. */
export interface ConditionJson {
  arg: number;
  op: string;
  value: JsonInteger;
  mask?: JsonInteger;
  width?: 32 | 64;
}

/** A rule in a policy's JSON form. */
export interface RuleJson {
  syscalls: (string | { arch: string; nr: number })[];
  action: string;
  conditions?: ConditionJson[];
  comment?: string;
}

/** A policy in its JSON form (64-bit values as decimal or `0x` strings). */
export interface PolicyJson {
  defaultAction: string;
  arches: string[];
  badArchAction?: string;
  enosysGuard?: boolean;
  allowSocketcallHole?: boolean;
  rules: RuleJson[];
}

const OP_ALIASES: Readonly<Record<string, CompareOp | 'masked_eq'>> = {
  eq: 'eq', ne: 'ne', lt: 'lt', le: 'le', gt: 'gt', ge: 'ge', masked_eq: 'masked_eq',
  '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new PolicyError(at(path, k), `unknown field (expected ${allowed.join(', ')})`);
  }
}

/**
 * A problem with a JSON number. `JSON.parse` may have rounded it (1.2345678901234568e+29), so `policyFromJsonText`
 * rewrites the message from the number's text as written, through `explain`.
 */
class NumberError extends PolicyError {
  constructor(path: string, detail: string, readonly explain: (text: string) => string) {
    super(path, detail);
  }
}

/** A JSON value for a message: a number through `NumberError` (exact when the text is known), anything else as JSON. */
function badValue(v: unknown, path: string, detail: (shown: string) => string): PolicyError {
  if (typeof v === 'number') return new NumberError(path, detail(String(v)), detail);
  return new PolicyError(path, detail(v === undefined ? 'nothing' : JSON.stringify(v)));
}

const U64_MAX = (1n << 64n) - 1n;

/** What is wrong with a JSON number written as TEXT where an unsigned 64-bit value is expected. */
function numberProblem(text: string): string {
  if (!/^-?\d+$/.test(text)) return `${text} is not an integer`;
  const n = BigInt(text);
  if (n < 0n) return `values are unsigned: ${text} is negative`;
  if (n > U64_MAX) return `${text} does not fit in 64 bits (at most ${U64_MAX} = 0x${U64_MAX.toString(16)})`;
  return `${text} is past 2^53, where JSON numbers lose precision; write it as a string: "${text}" or "0x${n.toString(16)}"`;
}

/** Reads a JSON value (number or decimal / 0x string) as an unsigned bigint. */
export function parseJsonValue(v: unknown, path: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) {
      throw new NumberError(path, Number.isInteger(v)
        ? `${v} is past 2^53, where JSON numbers lose precision; write values past 2^53 as strings ("0x...")`
        : `${v} is not an integer`, numberProblem);
    }
    if (v < 0) throw new PolicyError(path, `values are unsigned: ${v} is negative`);
    return BigInt(v);
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^[0-9]+$/.test(t) || /^0x[0-9a-f]+$/i.test(t)) {
      const b = BigInt(t);
      if (b > U64_MAX) throw new PolicyError(path, `${t} does not fit in 64 bits (at most ${U64_MAX} = 0x${U64_MAX.toString(16)})`);
      return b;
    }
    throw new PolicyError(path, `${JSON.stringify(v)} is not a decimal or 0x-hexadecimal integer`);
  }
  throw new PolicyError(path, `expected a number or a string, got ${v === null ? 'null' : typeof v}`);
}

/** Writes a value as a JSON number when exact, else as a 0x string. */
export function jsonValue(v: bigint): JsonInteger {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : `0x${v.toString(16)}`;
}

function parseActionAt(v: unknown, path: string): Action {
  if (typeof v !== 'string') throw new PolicyError(path, `an action is a string such as "ERRNO(EPERM)", got ${typeof v}`);
  try {
    return parseAction(v);
  } catch (err) {
    throw new PolicyError(path, errorMessage(err));
  }
}

function parseBoolean(v: unknown, path: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new PolicyError(path, `expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

function parseCondition(v: unknown, path: string): ArgCondition {
  if (!isObject(v)) throw new PolicyError(path, 'a condition is an object {"arg", "op", "value"}');
  checkKeys(v, ['arg', 'op', 'value', 'mask', 'width'], path);
  const arg = v.arg;
  if (typeof arg !== 'number' || !Number.isInteger(arg) || arg < 0 || arg > 5) {
    throw badValue(arg, at(path, 'arg'), (shown) => `argument index must be 0..5, got ${shown}`);
  }
  if (typeof v.op !== 'string' || OP_ALIASES[v.op] === undefined) {
    throw new PolicyError(at(path, 'op'), `unknown operator ${JSON.stringify(v.op)} (one of ${Object.keys(OP_ALIASES).join(' ')})`);
  }
  const op = OP_ALIASES[v.op] as CompareOp | 'masked_eq';
  if (v.width !== undefined && v.width !== 32 && v.width !== 64) {
    throw badValue(v.width, at(path, 'width'), (shown) => `width must be 32 or 64, got ${shown}`);
  }
  const width = v.width as 32 | 64 | undefined;
  if (v.value === undefined) throw new PolicyError(at(path, 'value'), 'missing');
  const value = parseJsonValue(v.value, at(path, 'value'));
  let cond: ArgCondition;
  if (op === 'masked_eq') {
    if (v.mask === undefined) throw new PolicyError(at(path, 'mask'), 'masked_eq needs a mask');
    const mask = parseJsonValue(v.mask, at(path, 'mask'));
    cond = { arg: arg as ArgIndex, op, mask, value, ...(width !== undefined && { width }) };
  } else {
    if (v.mask !== undefined) throw new PolicyError(at(path, 'mask'), `only masked_eq takes a mask, not ${op}`);
    cond = { arg: arg as ArgIndex, op, value, ...(width !== undefined && { width }) };
  }
  checkCondition(cond, path);
  return cond;
}

function parseSyscallRef(v: unknown, path: string): SyscallRef {
  if (typeof v === 'string') {
    if (v.trim() === '') throw new PolicyError(path, 'empty syscall name');
    return v;
  }
  if (isObject(v)) {
    checkKeys(v, ['arch', 'nr'], path);
    if (typeof v.arch !== 'string' || !isLinuxArchName(v.arch)) {
      throw new PolicyError(at(path, 'arch'), `unknown ABI ${JSON.stringify(v.arch)} (one of ${LINUX_ARCH_NAMES.join(', ')})`);
    }
    const nr = v.nr;
    if (typeof nr !== 'number' || !Number.isInteger(nr) || nr < 0 || nr > 0xffffffff) {
      throw badValue(nr, at(path, 'nr'), (shown) => `a syscall number is an integer 0..0xffffffff, got ${shown}`);
    }
    return { arch: v.arch, nr };
  }
  throw new PolicyError(path, 'a syscall is a name or {"arch", "nr"}');
}

function parseRule(v: unknown, path: string): Rule {
  if (!isObject(v)) throw new PolicyError(path, 'a rule is an object {"syscalls", "action", "conditions"}');
  checkKeys(v, ['syscalls', 'action', 'conditions', 'comment'], path);
  const sp = at(path, 'syscalls');
  if (!Array.isArray(v.syscalls)) throw new PolicyError(sp, 'a list of syscall names is required');
  if (v.syscalls.length === 0) throw new PolicyError(sp, 'a rule must name at least one syscall');
  const syscalls = v.syscalls.map((s, i) => parseSyscallRef(s, at(sp, i)));
  if (v.action === undefined) throw new PolicyError(at(path, 'action'), 'missing');
  const action = parseActionAt(v.action, at(path, 'action'));
  let conditions: ArgCondition[] | undefined;
  if (v.conditions !== undefined) {
    const cp = at(path, 'conditions');
    if (!Array.isArray(v.conditions)) throw new PolicyError(cp, 'must be a list');
    conditions = v.conditions.map((c, i) => parseCondition(c, at(cp, i)));
  }
  if (v.comment !== undefined && typeof v.comment !== 'string') throw new PolicyError(at(path, 'comment'), 'must be a string');
  return {
    syscalls,
    action,
    ...(conditions !== undefined && { conditions }),
    ...(v.comment !== undefined && { comment: v.comment as string }),
  };
}

/**
 * Reads a policy from its JSON form (a parsed value or JSON text). Checks the shape and every value;
 * syscall names are checked against the tables when the policy is resolved (compiled or evaluated).
 * Throws `PolicyError` naming the JSON path.
 */
export function policyFromJson(input: unknown): Policy {
  if (typeof input === 'string') return policyFromJsonText(input);
  return policyFromValue(input);
}

/** The number written at PATH (`rules[0].conditions[1].value`) in JSON TEXT, as written, if there is one. */
function numberTextAt(text: string, path: string): string | undefined {
  let node: unknown;
  try {
    node = parseJsonExact(text.replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
  for (const [, key, index] of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (index !== undefined) node = Array.isArray(node) ? node[Number(index)] : undefined;
    else node = typeof node === 'object' && node !== null && !Array.isArray(node) ? (node as Record<string, unknown>)[key!] : undefined;
  }
  return node instanceof JsonNumber ? node.text : undefined;
}

/**
 * Reads a policy from its JSON text, like `policyFromJson`, with numbers that are no exact integers named as
 * written (`123456789012345678901234567890 does not fit in 64 bits`), not as `JSON.parse` rounded them. PARSED
 * is the text already parsed, when the caller has it.
 */
export function policyFromJsonText(text: string, parsed?: unknown): Policy {
  let v = parsed;
  if (v === undefined) {
    try {
      v = JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
    } catch (err) {
      throw new PolicyError('', `not valid JSON: ${errorMessage(err)}`);
    }
  }
  try {
    return policyFromValue(v);
  } catch (err) {
    if (err instanceof NumberError) {
      const written = numberTextAt(text, err.path);
      throw new PolicyError(err.path, written !== undefined ? err.explain(written) : err.detail);
    }
    throw err;
  }
}

function policyFromValue(v: unknown): Policy {
  if (!isObject(v)) throw new PolicyError('', 'a policy is a JSON object {"defaultAction", "arches", "rules"}');
  checkKeys(v, ['defaultAction', 'arches', 'badArchAction', 'enosysGuard', 'allowSocketcallHole', 'rules'], '');
  if (v.defaultAction === undefined) throw new PolicyError('defaultAction', 'missing');
  const defaultAction = parseActionAt(v.defaultAction, 'defaultAction');
  if (!Array.isArray(v.arches)) throw new PolicyError('arches', 'a list of ABIs (x86_64, i386, x32, aarch64, …) is required');
  const arches = v.arches.map((a, i) => {
    if (typeof a !== 'string' || !isLinuxArchName(a)) {
      throw new PolicyError(at('arches', i), `unknown ABI ${JSON.stringify(a)} (one of ${LINUX_ARCH_NAMES.join(', ')})`);
    }
    return a as LinuxArchName;
  });
  const badArchAction = v.badArchAction === undefined ? undefined : parseActionAt(v.badArchAction, 'badArchAction');
  const enosysGuard = parseBoolean(v.enosysGuard, 'enosysGuard');
  const allowSocketcallHole = parseBoolean(v.allowSocketcallHole, 'allowSocketcallHole');
  if (!Array.isArray(v.rules)) throw new PolicyError('rules', 'a list of rules is required (it may be empty)');
  const rules = v.rules.map((r, i) => parseRule(r, at('rules', i)));
  return {
    defaultAction,
    arches,
    ...(badArchAction !== undefined && { badArchAction }),
    ...(enosysGuard !== undefined && { enosysGuard }),
    ...(allowSocketcallHole !== undefined && { allowSocketcallHole }),
    rules,
  };
}

function conditionToJson(c: ArgCondition): ConditionJson {
  const base: ConditionJson = { arg: c.arg, op: c.op, value: jsonValue(c.value) };
  if (c.op === 'masked_eq') base.mask = jsonValue(c.mask);
  if (c.width !== undefined) base.width = c.width;
  return base;
}

/** The JSON form of a policy (a plain object; `JSON.stringify` it to write it). */
export function policyToJson(policy: Policy): PolicyJson {
  const out: PolicyJson = {
    defaultAction: formatAction(policy.defaultAction),
    arches: [...policy.arches],
    rules: [],
  };
  if (policy.badArchAction !== undefined) out.badArchAction = formatAction(policy.badArchAction);
  if (policy.enosysGuard !== undefined) out.enosysGuard = policy.enosysGuard;
  if (policy.allowSocketcallHole !== undefined) out.allowSocketcallHole = policy.allowSocketcallHole;
  out.rules = policy.rules.map((r) => {
    const rule: RuleJson = {
      syscalls: r.syscalls.map((s) => (typeof s === 'string' ? s : { arch: s.arch, nr: s.nr })),
      action: formatAction(r.action),
    };
    if (r.conditions !== undefined) rule.conditions = r.conditions.map(conditionToJson);
    if (r.comment !== undefined) rule.comment = r.comment;
    return rule;
  });
  return out;
}

/** The JSON text of a policy, indented. */
export function formatPolicyJson(policy: Policy): string {
  return `${JSON.stringify(policyToJson(policy), null, 2)}\n`;
}
