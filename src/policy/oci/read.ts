/**
 * Reads a Docker or OCI seccomp profile into a checked, typed form, naming the JSON path of anything wrong.
 * Accepts text (read with the exact-number JSON reader) or an already parsed object.
 */
import { at, ProfileError } from './errors.js';
import { JsonNumber, JsonSyntaxError, parseJsonExact } from './json.js';
import { OCI_ACTIONS, OCI_OPERATORS, SCMP_ARCHES, SECCOMP_FLAGS, type OciAction, type SeccompFlag } from './vocabulary.js';

const U64_MAX = (1n << 64n) - 1n;

/** One `args[]` entry. */
export interface OciArg {
  readonly index: number;
  readonly value: bigint;
  readonly valueTwo: bigint;
  readonly op: keyof typeof OCI_OPERATORS;
}

/** Docker's `includes` / `excludes`. */
export interface OciFilter {
  readonly caps: readonly string[];
  readonly arches: readonly string[];
  readonly minKernel?: string;
}

export interface OciSyscall {
  /** JSON path of the entry, for messages. */
  readonly path: string;
  readonly names: readonly string[];
  readonly action: OciAction;
  readonly errnoRet?: number;
  readonly args: readonly OciArg[];
  readonly includes: OciFilter;
  readonly excludes: OciFilter;
  readonly comment?: string;
}

export interface OciArchMapEntry {
  readonly architecture: string;
  readonly subArchitectures: readonly string[];
}

/** A profile as written, checked for shape and vocabulary but not yet resolved. */
export interface OciProfile {
  readonly defaultAction: OciAction;
  readonly defaultErrnoRet?: number;
  readonly architectures: readonly string[];
  readonly archMap: readonly OciArchMapEntry[];
  readonly syscalls: readonly OciSyscall[];
  readonly flags: readonly SeccompFlag[];
  readonly listenerPath?: string;
  readonly listenerMetadata?: string;
  /** Path prefix when the profile came from an OCI `config.json` (`linux.seccomp`). */
  readonly base: string;
  /** Fields nobody reads (as Docker and runc, they are ignored), with their paths. */
  readonly ignoredFields: readonly string[];
}

type Obj = { readonly [key: string]: unknown };

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof JsonNumber || typeof v === 'number' || typeof v === 'bigint') return 'a number';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

function get(o: Obj, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function expectObject(v: unknown, path: string): Obj {
  if (!isObj(v)) throw new ProfileError(path, `expected an object, found ${typeName(v)}`);
  return v;
}

function expectString(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new ProfileError(path, `expected a string, found ${typeName(v)}`);
  return v;
}

/** An array, or `[]` for null/absent (Go decodes both to an empty slice). */
function optArray(v: unknown, path: string): readonly unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ProfileError(path, `expected an array, found ${typeName(v)}`);
  return v;
}

function stringArray(v: unknown, path: string): string[] {
  return optArray(v, path).map((s, i) => expectString(s, at(path, i)));
}

/** An unsigned integer up to `max`, exactly (numbers past 2^53 keep every digit). */
export function readUint(v: unknown, path: string, max: bigint, what = 'an unsigned integer'): bigint {
  let n: bigint;
  if (v instanceof JsonNumber) {
    if (!/^-?[0-9]+$/.test(v.text)) throw new ProfileError(path, `expected ${what}, found ${v.text}`);
    if (v.text.length > 40) throw new ProfileError(path, `${v.text.slice(0, 24)}… is too large (at most ${max})`);
    n = BigInt(v.text);
  } else if (typeof v === 'bigint') {
    n = v;
  } else if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new ProfileError(path, `expected ${what}, found ${v}`);
    if (!Number.isSafeInteger(v)) throw new ProfileError(path, `${v} is past 2^53 and may have lost precision; pass a bigint`);
    n = BigInt(v);
  } else {
    throw new ProfileError(path, `expected ${what}, found ${typeName(v)}`);
  }
  if (n < 0n) throw new ProfileError(path, `${n} is negative; expected ${what}`);
  if (n > max) throw new ProfileError(path, `${n} is too large (at most ${max})`);
  return n;
}

function readErrno(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  return Number(readUint(v, path, 0xffffn, 'an errno number (0..65535)'));
}

function readAction(v: unknown, path: string): OciAction {
  const s = expectString(v, path);
  if (!(OCI_ACTIONS as readonly string[]).includes(s)) {
    throw new ProfileError(path, `unknown action ${JSON.stringify(s)} (one of ${OCI_ACTIONS.join(', ')})`);
  }
  return s as OciAction;
}

function readArch(v: unknown, path: string): string {
  const s = expectString(v, path);
  if (!(SCMP_ARCHES as readonly string[]).includes(s)) {
    throw new ProfileError(path, `unknown architecture ${JSON.stringify(s)} (one of ${SCMP_ARCHES.join(', ')})`);
  }
  return s;
}

function readFilter(v: unknown, path: string): OciFilter {
  if (v === undefined || v === null) return { caps: [], arches: [] };
  const o = expectObject(v, path);
  const minKernel = get(o, 'minKernel');
  const base = { caps: stringArray(get(o, 'caps'), at(path, 'caps')), arches: stringArray(get(o, 'arches'), at(path, 'arches')) };
  if (minKernel === undefined || minKernel === null) return base;
  const k = expectString(minKernel, at(path, 'minKernel'));
  if (parseKernelVersion(k) === undefined) {
    throw new ProfileError(at(path, 'minKernel'), `invalid kernel version ${JSON.stringify(k)} (expected MAJOR.MINOR, e.g. "4.8")`);
  }
  return { ...base, minKernel: k };
}

/** `"5.10"` or `"5.10.3"` (and `"5.10-rc1"`-style suffixes) → [5, 10]; undefined when malformed. */
export function parseKernelVersion(text: string): readonly [number, number] | undefined {
  const m = /^([0-9]{1,4})\.([0-9]{1,4})(?:[.\-+][0-9A-Za-z.\-+]*)?$/.exec(text);
  if (m === null) return undefined;
  return [Number(m[1]), Number(m[2])];
}

const SYSCALL_FIELDS = new Set(['names', 'name', 'action', 'errnoRet', 'args', 'includes', 'excludes', 'comment']);
const TOP_FIELDS = new Set([
  'defaultAction', 'defaultErrnoRet', 'architectures', 'archMap', 'syscalls', 'flags', 'listenerPath',
  'listenerMetadata',
]);

function readArg(v: unknown, path: string): OciArg {
  const o = expectObject(v, path);
  if (get(o, 'index') === undefined) throw new ProfileError(at(path, 'index'), 'missing (required)');
  if (get(o, 'value') === undefined) throw new ProfileError(at(path, 'value'), 'missing (required)');
  if (get(o, 'op') === undefined) throw new ProfileError(at(path, 'op'), 'missing (required)');
  const index = Number(readUint(get(o, 'index'), at(path, 'index'), 0xffffffffn));
  if (index > 5) throw new ProfileError(at(path, 'index'), `argument index ${index} is out of range (a syscall has arguments 0..5)`);
  const value = readUint(get(o, 'value'), at(path, 'value'), U64_MAX, 'an unsigned 64-bit integer');
  const two = get(o, 'valueTwo');
  const valueTwo = two === undefined || two === null ? 0n : readUint(two, at(path, 'valueTwo'), U64_MAX, 'an unsigned 64-bit integer');
  const op = expectString(get(o, 'op'), at(path, 'op'));
  if (!Object.hasOwn(OCI_OPERATORS, op)) {
    throw new ProfileError(at(path, 'op'), `unknown operator ${JSON.stringify(op)} (one of ${Object.keys(OCI_OPERATORS).join(', ')})`);
  }
  return { index, value, valueTwo, op: op as OciArg['op'] };
}

function readSyscall(v: unknown, path: string, ignored: string[]): OciSyscall {
  const o = expectObject(v, path);
  for (const k of Object.keys(o)) if (!SYSCALL_FIELDS.has(k)) ignored.push(at(path, k));
  const namesRaw = get(o, 'names');
  const nameRaw = get(o, 'name');
  let names: string[];
  if (nameRaw !== undefined && nameRaw !== null && nameRaw !== '') {
    const name = expectString(nameRaw, at(path, 'name'));
    if (optArray(namesRaw, at(path, 'names')).length > 0) {
      throw new ProfileError(path, "both 'name' and 'names' are set; use one of them");
    }
    names = [name];
  } else {
    names = stringArray(namesRaw, at(path, 'names'));
  }
  if (names.length === 0) throw new ProfileError(at(path, 'names'), 'at least one syscall name is required');
  names.forEach((n, i) => {
    if (n === '') throw new ProfileError(at(at(path, 'names'), i), 'empty syscall name');
  });
  if (get(o, 'action') === undefined) throw new ProfileError(at(path, 'action'), 'missing (required)');
  const action = readAction(get(o, 'action'), at(path, 'action'));
  const errnoRet = readErrno(get(o, 'errnoRet'), at(path, 'errnoRet'));
  const args = optArray(get(o, 'args'), at(path, 'args')).map((a, i) => readArg(a, at(at(path, 'args'), i)));
  const comment = get(o, 'comment');
  const entry: OciSyscall = {
    path,
    names,
    action,
    args,
    includes: readFilter(get(o, 'includes'), at(path, 'includes')),
    excludes: readFilter(get(o, 'excludes'), at(path, 'excludes')),
    ...(errnoRet === undefined ? {} : { errnoRet }),
    ...(comment === undefined || comment === null || comment === '' ? {} : { comment: expectString(comment, at(path, 'comment')) }),
  };
  return entry;
}

/** The API group of the Kubernetes Security Profiles Operator's resources. */
export const KUBERNETES_GROUP = 'security-profiles-operator.x-k8s.io/';

/**
 * Parses profile text (or takes a parsed object) and checks its shape. An OCI `config.json` is accepted too:
 * its `linux.seccomp` object is read, and paths in messages start with `linux.seccomp`; so is a Kubernetes
 * SeccompProfile (Security Profiles Operator), whose `spec` is read, with paths starting with `spec`.
 * Throws `ProfileError` naming the JSON path (or line and column for malformed JSON).
 */
export function readProfile(input: string | object): OciProfile {
  let doc: unknown;
  if (typeof input === 'string') {
    try {
      doc = parseJsonExact(input);
    } catch (err) {
      if (err instanceof JsonSyntaxError) throw new ProfileError('', `malformed JSON: ${err.message}`);
      throw err;
    }
  } else {
    doc = input;
  }
  let base = '';
  let root = expectObject(doc, '');
  const linux = get(root, 'linux');
  const apiVersion = get(root, 'apiVersion');
  if (get(root, 'kind') === 'SeccompProfile' && typeof apiVersion === 'string' && apiVersion.startsWith(KUBERNETES_GROUP)) {
    // A Security Profiles Operator SeccompProfile: its spec is a Docker/OCI profile.
    root = expectObject(get(root, 'spec'), 'spec');
    base = 'spec';
    const parent = get(root, 'baseProfileName');
    if (parent !== undefined && parent !== null && parent !== '') {
      throw new ProfileError('spec.baseProfileName', `inherits from ${JSON.stringify(parent)}, which the library does not look up: merge the base into this profile first (the seccomp-ts CLI finds it in the profile's folder)`);
    }
  } else if (get(root, 'defaultAction') === undefined && (get(root, 'ociVersion') !== undefined || linux !== undefined)) {
    const l = expectObject(linux, 'linux');
    root = expectObject(get(l, 'seccomp'), 'linux.seccomp');
    base = 'linux.seccomp';
  }
  const p = (key: string | number): string => at(base, key);
  const ignored: string[] = [];
  for (const k of Object.keys(root)) if (!TOP_FIELDS.has(k)) ignored.push(p(k));
  if (get(root, 'defaultAction') === undefined) throw new ProfileError(p('defaultAction'), 'missing (required)');
  const defaultAction = readAction(get(root, 'defaultAction'), p('defaultAction'));
  const defaultErrnoRet = readErrno(get(root, 'defaultErrnoRet'), p('defaultErrnoRet'));
  const architectures = optArray(get(root, 'architectures'), p('architectures')).map((a, i) => readArch(a, at(p('architectures'), i)));
  const archMap = optArray(get(root, 'archMap'), p('archMap')).map((e, i): OciArchMapEntry => {
    const path = at(p('archMap'), i);
    const o = expectObject(e, path);
    if (get(o, 'architecture') === undefined) throw new ProfileError(at(path, 'architecture'), 'missing (required)');
    return {
      architecture: readArch(get(o, 'architecture'), at(path, 'architecture')),
      subArchitectures: optArray(get(o, 'subArchitectures'), at(path, 'subArchitectures'))
        .map((a, j) => readArch(a, at(at(path, 'subArchitectures'), j))),
    };
  });
  if (architectures.length > 0 && archMap.length > 0) {
    throw new ProfileError(base, "both 'architectures' and 'archMap' are set; use one of them (as Docker requires)");
  }
  const flags = optArray(get(root, 'flags'), p('flags')).map((f, i) => {
    const s = expectString(f, at(p('flags'), i));
    if (!(SECCOMP_FLAGS as readonly string[]).includes(s)) {
      throw new ProfileError(at(p('flags'), i), `unknown flag ${JSON.stringify(s)} (one of ${SECCOMP_FLAGS.join(', ')})`);
    }
    return s as SeccompFlag;
  });
  const syscalls = optArray(get(root, 'syscalls'), p('syscalls')).map((s, i) => readSyscall(s, at(p('syscalls'), i), ignored));
  const lp = get(root, 'listenerPath');
  const lm = get(root, 'listenerMetadata');
  const listenerPath = lp === undefined || lp === null || lp === '' ? undefined : expectString(lp, p('listenerPath'));
  const listenerMetadata = lm === undefined || lm === null || lm === '' ? undefined : expectString(lm, p('listenerMetadata'));
  if (listenerMetadata !== undefined && listenerPath === undefined) {
    throw new ProfileError(p('listenerMetadata'), 'must not be set without listenerPath');
  }
  return {
    defaultAction,
    ...(defaultErrnoRet === undefined ? {} : { defaultErrnoRet }),
    architectures,
    archMap,
    syscalls,
    flags,
    ...(listenerPath === undefined ? {} : { listenerPath }),
    ...(listenerMetadata === undefined ? {} : { listenerMetadata }),
    base,
    ignoredFields: ignored,
  };
}
