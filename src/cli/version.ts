/**
 * The version of seccomp-ts, from package.json: the build copies it into the bundle (only this field), and run
 * from source it is read from the same file, so both always agree with what npm installed.
 */
import { version } from '../../package.json';

/** The package version, e.g. `0.1.0`. */
export const VERSION: string = version;
