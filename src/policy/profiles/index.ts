/**
 * Built-in profiles by name: `hardened` (`hardened.ts` here) and `docker-default` (the Docker/OCI module).
 *
 * The registry sits above both, so that every built-in is known without any module registering itself on import
 * (the package is `sideEffects: false`: a bundler may drop a module imported only for its side effects). A
 * built-in's policy is built on first use and kept; each `getProfile` returns a fresh copy.
 */
import { PolicyError } from '../errors.js';
import { DOCKER_DEFAULT_PROFILE_JSON } from '../oci/docker-default-data.js';
import { DOCKER_DEFAULT_DESCRIPTION, dockerDefaultPolicy } from '../oci/docker-default.js';
import { hardenedProfile } from './hardened.js';
import type { Policy } from '../types.js';

/** A built-in profile: its name, description and how to build its policy. */
export interface ProfileInfo {
  readonly name: string;
  /** One line for listings. */
  readonly description: string;
  /** Builds the policy (called on first use). */
  readonly build: () => Policy;
  /**
   * Where the profile's rules come from. `oci`: a Docker/OCI profile, whose syscall names are resolved on each
   * ABI separately (as runc does), so names missing on some ABIs are expected and not worth a warning.
   */
  readonly origin?: 'policy' | 'oci';
  /** For a Docker/OCI profile: its JSON text, so that it can be imported with other options (target, kernel). */
  readonly profileJson?: string;
}

const BUILT_IN: readonly ProfileInfo[] = [
  {
    name: 'hardened',
    description: 'container-hardening baseline: default ALLOW, dangerous syscalls ERRNO(EPERM), legacy socket families refused, foreign ABIs killed',
    build: hardenedProfile,
    origin: 'policy',
  },
  {
    name: 'docker-default', description: DOCKER_DEFAULT_DESCRIPTION, build: dockerDefaultPolicy, origin: 'oci',
    profileJson: DOCKER_DEFAULT_PROFILE_JSON,
  },
];

const registered = new Map<string, ProfileInfo>();
const built = new Map<ProfileInfo, Policy>();

/** Adds (or replaces, built-ins included) a named profile. */
export function registerProfile(info: ProfileInfo): void {
  registered.set(info.name, info);
}

/** Names and descriptions of every profile: the built-ins first, then those registered. */
export function listProfiles(): readonly ProfileInfo[] {
  const builtIn = BUILT_IN.map((p) => registered.get(p.name) ?? p);
  return [...builtIn, ...[...registered.values()].filter((p) => !builtIn.includes(p))];
}

/** The profile called `name`, or undefined. */
export function findProfile(name: string): ProfileInfo | undefined {
  return registered.get(name) ?? BUILT_IN.find((p) => p.name === name);
}

/** The policy of the profile called `name` (a fresh copy); throws `PolicyError` listing the known names otherwise. */
export function getProfile(name: string): Policy {
  const info = findProfile(name);
  if (info === undefined) {
    throw new PolicyError('', `unknown profile '${name}' (known: ${listProfiles().map((p) => p.name).join(', ')})`);
  }
  let policy = built.get(info);
  if (policy === undefined) {
    policy = info.build();
    built.set(info, policy);
  }
  return structuredClone(policy);
}
