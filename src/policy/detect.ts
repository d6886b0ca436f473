/**
 * What a document handed to a policy reader is, decided in one place: a seccomp-ts policy, a Docker/OCI profile,
 * an OCI `config.json` (with or without a seccomp section), or a seccomp format of another tool that seccomp-ts
 * reads by other means (Firecracker's filter files, Kubernetes SeccompProfile resources), so that errors
 * say what the input is instead of listing the fields of the wrong format.
 */
import { KUBERNETES_GROUP } from './oci/read.js';
import { isOciProfile } from './oci/index.js';

/** The kinds of document a policy reader may be given. */
export type PolicyDocument =
  | { readonly kind: 'policy' }
  | { readonly kind: 'oci-profile' }
  /** An OCI runtime `config.json` whose `linux` object has no `seccomp` (it sets no filter). */
  | { readonly kind: 'oci-config-without-seccomp' }
  /** Firecracker's seccompiler JSON: thread names mapping to `{ default_action, filter_action, filter }` (read by policy/formats/firecracker). */
  | { readonly kind: 'firecracker' }
  /** A Kubernetes `SeccompProfile` of the Security Profiles Operator (JSON or YAML). */
  | { readonly kind: 'kubernetes-seccomp-profile'; readonly apiVersion: string }
  /** Valid JSON that is no object (`"hello"`, `null`, `5`, an array): `what` names it ("a JSON string"). */
  | { readonly kind: 'not-an-object'; readonly what: string };

/** Formats recognised but not read in every form, by kind: how messages name them. */
export const UNSUPPORTED_FORMATS = {
  'kubernetes-seccomp-profile': 'a Kubernetes SeccompProfile file',
} as const;

const K8S_GROUP = KUBERNETES_GROUP;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a non-object JSON value is, for a message. */
function jsonKind(v: unknown): string {
  if (v === null) return 'JSON null';
  if (Array.isArray(v)) return 'a JSON array';
  switch (typeof v) {
    case 'string': return 'a JSON string';
    case 'number': return 'a JSON number';
    case 'boolean': return `JSON ${String(v)}`;
    default: return `a JSON ${typeof v}`;
  }
}

/**
 * A Kubernetes SeccompProfile written as YAML (the usual form): `apiVersion: security-profiles-operator.x-k8s.io/…`
 * and `kind: SeccompProfile` as top-level keys. Returns the apiVersion, or undefined.
 */
export function kubernetesYamlApiVersion(text: string): string | undefined {
  const api = /^apiVersion:[ \t]*["']?(security-profiles-operator\.x-k8s\.io\/[\w.-]+)["']?[ \t]*$/m.exec(text);
  if (api === null || !/^kind:[ \t]*["']?SeccompProfile["']?[ \t]*$/m.test(text)) return undefined;
  return api[1];
}

/**
 * Firecracker's format: every top-level value an object with `default_action` (or `mismatch_action`) and
 * `filter_action` (or `match_action`), seccompiler's two spellings.
 */
function isFirecracker(o: Record<string, unknown>): boolean {
  const values = Object.values(o);
  return values.length > 0 && values.every((v) => isObject(v) && ('default_action' in v || 'mismatch_action' in v) &&
    ('filter_action' in v || 'match_action' in v));
}

/** An OCI runtime configuration: `ociVersion`, or a `linux` object next to `process` or `root`. */
function isOciConfig(o: Record<string, unknown>): boolean {
  return 'ociVersion' in o || (isObject(o.linux) && ('process' in o || 'root' in o || 'mounts' in o));
}

/** What a parsed JSON document is, as far as reading a policy from it goes. */
export function identifyPolicyDocument(json: unknown): PolicyDocument {
  if (!isObject(json)) return { kind: 'not-an-object', what: jsonKind(json) };
  if (typeof json.apiVersion === 'string' && json.apiVersion.startsWith(K8S_GROUP) && json.kind === 'SeccompProfile') {
    return { kind: 'kubernetes-seccomp-profile', apiVersion: json.apiVersion };
  }
  if (isOciProfile(json)) return { kind: 'oci-profile' };
  if (isOciConfig(json)) return { kind: 'oci-config-without-seccomp' };
  if (!('rules' in json) && isFirecracker(json)) return { kind: 'firecracker' };
  return { kind: 'policy' };
}
