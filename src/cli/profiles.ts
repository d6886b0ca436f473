/**
 * Built-in profiles as the CLI reads them: `hardened` from its own small module; any other name through the
 * registry (src/policy/profiles/index.ts), loaded only then, since it carries Docker's profile and the Docker/OCI
 * reader, about a third of the CLI's code.
 */
import { errorMessage } from '../util/error-message.js';
import type { ImportOptions } from '../policy/oci/index.js';
import { hardenedProfile } from '../policy/profiles/hardened.js';
import type { Policy } from '../policy/types.js';
import { CliError, naming } from './command.js';

/** How FILE names a built-in profile. */
export const PROFILE_PREFIX = 'profile:';

/** The built-in profiles' names as `listProfiles()` gives them, for help text that loads none of them. */
export const BUILT_IN_PROFILE_NAMES: readonly string[] = ['hardened', 'docker-default'];

/** A built-in profile's policy, and whether it is a Docker/OCI profile (its names resolved per ABI). */
export interface BuiltInProfile {
  readonly policy: Policy;
  readonly oci: boolean;
}

/**
 * The built-in profile called PROFILE. A Docker/OCI one is imported afresh when IMPORT_OPTIONS are given; an
 * error there names the profile, an unknown name is an error of COMMAND listing the known ones.
 */
export async function builtInProfile(profile: string, importOptions: ImportOptions | undefined, command: string): Promise<BuiltInProfile> {
  if (profile === 'hardened') {
    // A copy, as `getProfile` gives one: the profile shares its syscall lists between calls.
    return { policy: structuredClone(hardenedProfile()), oci: false };
  }
  const { findProfile, getProfile, loadProfile } = await import('./on-demand.js');
  const info = findProfile(profile);
  const oci = info?.origin === 'oci';
  if (info?.profileJson !== undefined && importOptions !== undefined) {
    const name = `${PROFILE_PREFIX}${profile}`;
    try {
      return { policy: loadProfile(info.profileJson, name, importOptions).policy, oci };
    } catch (err) {
      throw new CliError(naming(name, errorMessage(err)));
    }
  }
  try {
    return { policy: getProfile(profile), oci };
  } catch (err) {
    throw new CliError(`${command}: ${errorMessage(err)}`);
  }
}
