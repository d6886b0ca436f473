/**
 * fast-check for the CommonJS build of `seccomp-ts/testing` (in place of src/testing/fast-check.ts): `require`d
 * inside a `try` so that a missing package is caught and named in one line.
 */
import type FastCheck from 'fast-check';
import { fastCheckLoadError } from './missing.js';

declare const require: (id: string) => unknown;

let fc: typeof FastCheck;
try {
  fc = require('fast-check') as typeof FastCheck;
} catch (err) {
  throw fastCheckLoadError(err);
}

export default fc;
