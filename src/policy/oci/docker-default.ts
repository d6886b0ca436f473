/**
 * The built-in profile `docker-default`: Docker's default seccomp profile (embedded, see docker-default-data.ts
 * and README.md for its source and licence) imported for amd64 with Docker's default capabilities.
 */
import type { Policy } from '../types.js';
import { DOCKER_DEFAULT_PROFILE_JSON } from './docker-default-data.js';
import { importProfile, type ImportOptions, type ImportResult } from './import.js';

/** Docker's default profile as a policy; `options` choose target, capabilities and kernel version. */
export function importDockerDefault(options: ImportOptions = {}): ImportResult {
  return importProfile(DOCKER_DEFAULT_PROFILE_JSON, options);
}

/** Docker's default profile, as `docker run` applies it on amd64 with the default capabilities. */
export function dockerDefaultPolicy(): Policy {
  return importDockerDefault().policy;
}

export const DOCKER_DEFAULT_DESCRIPTION =
  "Docker's default seccomp profile (moby/profiles seccomp/default.json) for amd64 with Docker's default capabilities; ERRNO(EPERM) for everything else";
