/**
 * Firecracker's seccomp filter files (the JSON that seccompiler compiles), read as policies with seccompiler's
 * semantics. A file maps thread names (`vmm`, `api`, `vcpu`) to filters; each filter has one action for calls
 * that match (`filter_action`, also spelt `match_action`) and one for the rest (`default_action`, also
 * `mismatch_action`). Its rules list a syscall by name with optional `args` conditions, all of which must hold;
 * rules of one syscall are alternatives. See docs/formats.md for the sources and every detail reproduced here.
 *
 * Accepts documents from `JSON.parse` (integers as numbers or bigints) and from the exact reader
 * (`parseJsonExact`, integers as `JsonNumber`), so values past 2^53 stay exact.
 */
import type { Action } from '../../syscalls/actions.js';
import type { LinuxArchName } from '../../syscalls/arch.js';
import { lookupSyscall } from '../../syscalls/resolve.js';
import type { ArgIndex } from '../../bpf/seccomp-data.js';
import { at, PolicyError } from '../errors.js';
import { JsonNumber } from '../oci/json.js';
import type { ArgCondition, CompareOp, Policy, Rule } from '../types.js';

/** The machines seccompiler builds filters for, by its names. */
export const FIRECRACKER_ARCHES = ['x86_64', 'aarch64', 'riscv64'] as const;
/** A machine seccompiler builds filters for. */
export type FirecrackerArch = (typeof FIRECRACKER_ARCHES)[number];

/** How to read a Firecracker filter file. */
export interface FirecrackerImportOptions {
  /** The filter (thread name) to read; required when the file holds more than one. */
  readonly name?: string;
  /** The machine the filter is built for (seccompiler's `--target-arch`); default x86_64. */
  readonly arch?: FirecrackerArch;
}

/** One filter of a Firecracker file read as a policy. */
export interface FirecrackerImport {
  readonly policy: Policy;
  /** The filter's name in the file. */
  readonly name: string;
  /** What seccompiler does that a reader may not expect, each naming the place. */
  readonly warnings: readonly string[];
}

const MAX_U64 = (1n << 64n) - 1n;
const FILTER_KEYS = new Set(['default_action', 'mismatch_action', 'filter_action', 'match_action', 'filter']);
const RULE_KEYS = new Set(['syscall', 'args', 'comment']);
const CONDITION_KEYS = new Set(['index', 'type', 'op', 'val', 'comment']);
const PLAIN_OPS: Readonly<Record<string, CompareOp>> = { eq: 'eq', ne: 'ne', lt: 'lt', le: 'le', gt: 'gt', ge: 'ge' };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);

/** A JSON key as it appears in a path: bare when it is an identifier, else quoted. */
const key = (path: string, name: string): string => (/^[A-Za-z_][\w-]*$/.test(name) ? at(path, name) : `${path}[${JSON.stringify(name)}]`);

/** What a JSON value is, for messages. */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof JsonNumber || typeof v === 'number' || typeof v === 'bigint') return 'a number';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** An unsigned integer of at most `max`, from a number, a bigint or an exact JSON number. */
function unsigned(v: unknown, path: string, max: bigint, what: string): bigint {
  let n: bigint | undefined;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) {
      throw new PolicyError(path, Number.isInteger(v) ? `${what} ${v} is past 2^53 and lost precision when parsed; read the file with an exact JSON reader` : `${what} must be an integer, not ${v}`);
    }
    n = BigInt(v);
  } else if (v instanceof JsonNumber) {
    if (!/^-?(0|[1-9]\d*)$/.test(v.text)) throw new PolicyError(path, `${what} must be an integer, not ${v.text}`);
    n = BigInt(v.text);
  } else throw new PolicyError(path, `${what} must be an unsigned integer, not ${describe(v)}`);
  if (n < 0n || n > max) throw new PolicyError(path, `${what} ${n} is out of range (0 to ${max})`);
  return n;
}

function refuseUnknownKeys(o: Record<string, unknown>, allowed: ReadonlySet<string>, path: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.has(k)) throw new PolicyError(key(path, k), `unknown field (seccompiler accepts ${[...allowed].join(', ')})`);
  }
}

function optionalComment(o: Record<string, unknown>, path: string): string | undefined {
  if (o.comment === undefined) return undefined;
  if (typeof o.comment !== 'string') throw new PolicyError(at(path, 'comment'), `a comment must be a string, not ${describe(o.comment)}`);
  return o.comment;
}

/** seccompiler's actions: `"allow"`, `"trap"`, `"log"`, `"kill_thread"`, `"kill_process"`, `{"errno": N}`, `{"trace": N}`. */
function parseAction(v: unknown, path: string): Action {
  if (typeof v === 'string') {
    switch (v) {
      case 'allow': return { kind: 'ALLOW' };
      case 'log': return { kind: 'LOG' };
      case 'trap': return { kind: 'TRAP', data: 0 };
      case 'kill_thread': return { kind: 'KILL_THREAD' };
      case 'kill_process': return { kind: 'KILL_PROCESS' };
      default:
        throw new PolicyError(path, `unknown action "${v}" (allow, log, trap, kill_thread, kill_process, {"errno": N}, {"trace": N})`);
    }
  }
  if (isObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && (keys[0] === 'errno' || keys[0] === 'trace')) {
      const k = keys[0];
      // seccompiler keeps the low 16 bits (SECCOMP_RET_DATA) of a u32.
      const data = Number(unsigned(v[k], at(path, k), 0xffffffffn, `${k} value`) & 0xffffn);
      return { kind: k === 'errno' ? 'ERRNO' : 'TRACE', data };
    }
  }
  throw new PolicyError(path, `an action is "allow", "log", "trap", "kill_thread", "kill_process", {"errno": N} or {"trace": N}, not ${describe(v)}`);
}

/** One of two spellings of a field (serde alias): exactly one must be present. */
function aliased(o: Record<string, unknown>, a: string, b: string, path: string): { value: unknown; path: string } {
  if (a in o && b in o) throw new PolicyError(key(path, b), `${a} and ${b} are the same field; give one`);
  const name = a in o ? a : b in o ? b : undefined;
  if (name === undefined) throw new PolicyError(path, `missing ${a} (or ${b})`);
  return { value: o[name], path: key(path, name) };
}

const sameAction = (x: Action, y: Action): boolean =>
  x.kind === y.kind && ('data' in x ? x.data : 0) === ('data' in y ? y.data : 0);

function parseCondition(v: unknown, path: string): ArgCondition {
  if (!isObject(v)) throw new PolicyError(path, `a condition is an object with index, type, op and val, not ${describe(v)}`);
  refuseUnknownKeys(v, CONDITION_KEYS, path);
  for (const k of ['index', 'type', 'op', 'val']) if (!(k in v)) throw new PolicyError(path, `missing ${k}`);
  optionalComment(v, path);
  const arg = Number(unsigned(v.index, at(path, 'index'), 255n, 'index'));
  if (arg > 5) throw new PolicyError(at(path, 'index'), `argument index ${arg} is out of range (0 to 5)`);
  if (v.type !== 'dword' && v.type !== 'qword') {
    throw new PolicyError(at(path, 'type'), `type is "dword" (low 32 bits) or "qword" (64 bits), not ${typeof v.type === 'string' ? `"${v.type}"` : describe(v.type)}`);
  }
  // dword compares the argument's low word with the constant's low word only (seccompiler drops the high words).
  const width = v.type === 'dword' ? 32 : 64;
  const low = width === 32 ? 0xffffffffn : MAX_U64;
  const value = unsigned(v.val, at(path, 'val'), MAX_U64, 'val') & low;
  const index = arg as ArgIndex;
  if (typeof v.op === 'string' && v.op in PLAIN_OPS) return { arg: index, op: PLAIN_OPS[v.op]!, value, width };
  if (isObject(v.op) && Object.keys(v.op).length === 1 && 'masked_eq' in v.op) {
    const mask = unsigned(v.op.masked_eq, at(at(path, 'op'), 'masked_eq'), MAX_U64, 'mask') & low;
    // seccompiler masks the constant too, so (arg & mask) == (val & mask).
    return { arg: index, op: 'masked_eq', mask, value: value & mask, width };
  }
  throw new PolicyError(at(path, 'op'), `op is "eq", "ne", "lt", "le", "gt", "ge" or {"masked_eq": MASK}, not ${typeof v.op === 'string' ? `"${v.op}"` : describe(v.op)}`);
}

/** The filter names (thread names) of a Firecracker file, in file order; throws PolicyError when it is no such file. */
export function firecrackerFilterNames(doc: unknown): string[] {
  if (!isObject(doc)) throw new PolicyError('', `a Firecracker filter file is a JSON object of named filters, not ${describe(doc)}`);
  const names = Object.keys(doc);
  if (names.length === 0) throw new PolicyError('', 'a Firecracker filter file holds at least one named filter');
  return names;
}

/** The policy's ABIs for a machine: on x86_64, x32 calls (numbers with the x32 bit) match no rule of seccompiler's. */
function policyArches(arch: FirecrackerArch): LinuxArchName[] {
  return arch === 'x86_64' ? ['x86_64', 'x32'] : [arch];
}

/**
 * One filter of a Firecracker/seccompiler file as a policy with the verdicts seccompiler's filter gives: calls of
 * another audit arch are killed (KILL_PROCESS), calls whose syscall matches a rule get the match action, all
 * others the mismatch action. Rules name syscalls by number on the machine's ABI, with the name as comment, so
 * that x32 calls (which seccompiler's x86_64 filter treats as unknown numbers) get the mismatch action.
 */
export function importFirecracker(doc: unknown, options: FirecrackerImportOptions = {}): FirecrackerImport {
  const names = firecrackerFilterNames(doc);
  const file = doc as Record<string, unknown>;
  const arch = options.arch ?? 'x86_64';
  if (!(FIRECRACKER_ARCHES as readonly string[]).includes(arch)) {
    throw new PolicyError('', `seccompiler builds filters for ${FIRECRACKER_ARCHES.join(', ')}, not ${String(arch)}`);
  }
  let name = options.name;
  if (name === undefined) {
    if (names.length > 1) throw new PolicyError('', `this Firecracker filter file holds ${names.length} filters (${names.join(', ')}); name one (--name)`);
    name = names[0]!;
  } else if (!Object.hasOwn(file, name)) {
    throw new PolicyError('', `no filter named "${name}" (the file holds ${names.join(', ')})`);
  }
  const path = key('', name);
  const filter = file[name];
  if (!isObject(filter)) throw new PolicyError(path, `a filter is an object with default_action, filter_action and filter, not ${describe(filter)}`);
  refuseUnknownKeys(filter, FILTER_KEYS, path);
  const mismatch = aliased(filter, 'default_action', 'mismatch_action', path);
  const match = aliased(filter, 'filter_action', 'match_action', path);
  const defaultAction = parseAction(mismatch.value, mismatch.path);
  const matchAction = parseAction(match.value, match.path);
  if (sameAction(defaultAction, matchAction)) throw new PolicyError(match.path, 'the match action equals the default action (seccompiler refuses such a filter)');
  if (!('filter' in filter)) throw new PolicyError(path, 'missing filter (the list of rules)');
  const list = filter.filter;
  const listPath = at(path, 'filter');
  if (!Array.isArray(list)) throw new PolicyError(listPath, `filter is an array of rules, not ${describe(list)}`);

  // Per syscall number: its conditional rules, and whether an entry without args named it.
  const bySyscall = new Map<number, { name: string; alternatives: ArgCondition[][]; bare: number[]; comments: string[] }>();
  list.forEach((entry, i) => {
    const rpath = at(listPath, i);
    if (!isObject(entry)) throw new PolicyError(rpath, `a rule is an object with syscall and optional args, not ${describe(entry)}`);
    refuseUnknownKeys(entry, RULE_KEYS, rpath);
    if (typeof entry.syscall !== 'string') {
      throw new PolicyError(at(rpath, 'syscall'), entry.syscall === undefined ? 'missing syscall (a name)' : `syscall is a name, not ${describe(entry.syscall)}`);
    }
    const comment = optionalComment(entry, rpath);
    const found = lookupSyscall(arch, entry.syscall);
    if (found === undefined) throw new PolicyError(at(rpath, 'syscall'), `unknown syscall "${entry.syscall}" on ${arch}`);
    const slot = bySyscall.get(found.nr) ?? { name: entry.syscall, alternatives: [], bare: [], comments: [] };
    bySyscall.set(found.nr, slot);
    if (comment !== undefined) slot.comments.push(comment);
    if (entry.args === undefined) {
      slot.bare.push(i);
      return;
    }
    if (!Array.isArray(entry.args)) throw new PolicyError(at(rpath, 'args'), `args is an array of conditions, not ${describe(entry.args)}`);
    if (entry.args.length === 0) throw new PolicyError(at(rpath, 'args'), 'an empty args list (seccompiler refuses an empty rule; leave args out to match every call)');
    slot.alternatives.push(entry.args.map((c, j) => parseCondition(c, at(at(rpath, 'args'), j))));
  });

  const warnings: string[] = [];
  const rules: Rule[] = [];
  for (const [nr, slot] of [...bySyscall].sort((a, b) => a[0] - b[0])) {
    const comment = [slot.name, ...slot.comments].join(': ');
    const syscalls = [{ arch, nr }];
    if (slot.alternatives.length === 0) {
      rules.push({ syscalls, action: matchAction, comment });
      continue;
    }
    if (slot.bare.length > 0) {
      // seccompiler gathers a syscall's rules, and an entry without args adds none: the conditional rules decide.
      warnings.push(`${at(listPath, slot.bare[0]!)}: ${slot.name} is listed without args and also with args; seccompiler matches it only when the args of another entry hold, as here`);
    }
    for (const conditions of slot.alternatives) rules.push({ syscalls, action: matchAction, conditions, comment });
  }
  const policy: Policy = { defaultAction, arches: policyArches(arch), badArchAction: { kind: 'KILL_PROCESS' }, rules };
  return { policy, name, warnings };
}
