/**
 * Errors in a Docker/OCI profile, each naming the JSON path of the offending value: a {@link PolicyError} under
 * its own name, so that callers can tell a profile's errors from a policy's and handle both alike.
 */
import { PolicyError } from '../errors.js';

export { at } from '../errors.js';

/** An error in a Docker/OCI profile, naming the JSON path of the offending value. */
export class ProfileError extends PolicyError {
  constructor(path: string, detail: string) {
    super(path, detail);
    this.name = 'ProfileError';
  }
}
