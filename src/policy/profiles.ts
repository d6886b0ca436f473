/**
 * Built-in profiles by name. `hardened` ships here; other modules register theirs (`docker-default`).
 */
import { PolicyError } from './errors.js';
import type { Policy } from './types.js';
import { hardenedProfile } from './profiles/hardened.js';

export interface ProfileInfo {
  readonly name: string;
  /** One line for listings. */
  readonly description: string;
  /** Builds the policy (called on each `getProfile`, so registrations can be lazy). */
  readonly build: () => Policy;
}

const registry = new Map<string, ProfileInfo>();

/** Adds (or replaces) a named profile. */
export function registerProfile(info: ProfileInfo): void {
  registry.set(info.name, info);
}

/** Names and descriptions of every registered profile. */
export function listProfiles(): readonly ProfileInfo[] {
  return [...registry.values()];
}

/** The profile called `name`; throws `PolicyError` listing the known names otherwise. */
export function getProfile(name: string): Policy {
  const info = registry.get(name);
  if (info === undefined) {
    throw new PolicyError('', `unknown profile '${name}' (known: ${[...registry.keys()].join(', ')})`);
  }
  return info.build();
}

registerProfile({
  name: 'hardened',
  description: 'container-hardening baseline: default ALLOW, dangerous syscalls ERRNO(EPERM), legacy socket families refused, foreign ABIs killed',
  build: hardenedProfile,
});
