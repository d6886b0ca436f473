/**
 * Tests that need something from the machine (a C compiler, the kernel's seccomp, libseccomp, headers).
 * On a laptop a missing requirement skips the test with its reason printed; in CI (CI=true, or
 * SECCOMP_TS_STRICT=1) the same test fails instead, so nothing is silently left unchecked.
 */
import { it } from 'vitest';

export const STRICT = process.env.CI === 'true' || process.env.CI === '1' || process.env.SECCOMP_TS_STRICT === '1';

/** `undefined` when available; otherwise the reason it is not. */
export type Missing = string | undefined;

/** Declares a test that runs only when `missing` is undefined. */
export function itWhen(missing: Missing, name: string, fn: () => unknown | Promise<unknown>, timeout?: number): void {
  if (missing === undefined) {
    it(name, fn, timeout);
  } else if (STRICT) {
    it(name, () => {
      throw new Error(`required in CI but unavailable: ${missing}`);
    });
  } else {
    console.warn(`[seccomp-ts tests] skipped "${name}": ${missing}`);
    it.skip(`${name} (skipped: ${missing})`, () => undefined);
  }
}
