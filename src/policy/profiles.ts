/**
 * The profile registry moved to src/profiles (it knows the Docker/OCI module, which sits above src/policy); this
 * re-export keeps the old import path working until every importer uses src/profiles/index.js.
 *
 * @deprecated import from `src/profiles/index.js`.
 */
export { getProfile, registerProfile, listProfiles, findProfile, type ProfileInfo } from '../profiles/index.js';
