/**
 * Docker and OCI seccomp profiles: import (with the verdicts runc + libseccomp give), export, and the built-in
 * profile `docker-default`.
 */
import { ProfileError } from './errors.js';
import { importProfile, type ImportOptions, type ImportResult } from './import.js';

export { ProfileError } from './errors.js';
export { JsonSyntaxError, MAX_JSON_DEPTH } from './json.js';
export { importProfile, type ImportOptions, type ImportResult, type ProfileMeta } from './import.js';
export {
  exportProfile, formatProfileJson, type ExportOptions, type ExportResult, type ProfileJson, type ProfileSyscallJson,
  type ProfileArgJson,
} from './export.js';
export { importDockerDefault, dockerDefaultPolicy } from './docker-default.js';
export { DOCKER_DEFAULT_PROFILE_JSON } from './docker-default-data.js';
export { DOCKER_DEFAULT_CAPABILITIES, CAPABILITIES, type TargetArch, type SeccompFlag, TARGETS } from './vocabulary.js';

/**
 * Whether a parsed JSON document is a Docker/OCI seccomp profile (or an OCI `config.json` carrying one) rather
 * than a seccomp-ts policy: it names `SCMP_ACT_*` actions or has `syscalls`, and no `rules`.
 */
export function isOciProfile(json: unknown): boolean {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const o = json as Record<string, unknown>;
  if ('rules' in o) return false;
  if (typeof o.linux === 'object' && o.linux !== null && 'seccomp' in (o.linux as object)) return true;
  return 'syscalls' in o || (typeof o.defaultAction === 'string' && /^SCMP_ACT_/.test(o.defaultAction));
}

/**
 * Loads a Docker/OCI profile file's text for the CLI and other callers: like {@link importProfile}, but errors
 * and warnings start with the file name (`profile.json: syscalls[12].args[0].op: unknown operator ...`).
 */
export function loadProfile(text: string, fileName: string, options: ImportOptions = {}): ImportResult {
  try {
    const r = importProfile(text, options);
    return { ...r, warnings: r.warnings.map((w) => `${fileName}: ${w}`) };
  } catch (err) {
    if (err instanceof ProfileError) {
      const e = new ProfileError(err.path, err.detail);
      e.message = `${fileName}: ${err.message}`;
      throw e;
    }
    throw err;
  }
}
