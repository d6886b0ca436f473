/**
 * fast-check for the ESM build of `seccomp-ts/testing` (in place of src/testing/fast-check.ts): loaded with a
 * top-level `await import` so that a missing package is caught and named in one line.
 */
import type FastCheck from 'fast-check';
import { fastCheckLoadError } from './missing.js';

let fc: typeof FastCheck;
try {
  fc = (await import('fast-check')).default;
} catch (err) {
  throw fastCheckLoadError(err);
}

export default fc;
