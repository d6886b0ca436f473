/** The error for `seccomp-ts/testing` loaded without its peer dependency fast-check. */

export const MISSING_FAST_CHECK = 'seccomp-ts/testing needs fast-check, an optional peer dependency of seccomp-ts that is not installed: ' +
  'npm install --save-dev fast-check';

/** Whether ERR says fast-check itself could not be found (not that something inside it failed). */
function isFastCheckMissing(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  const notFound = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /cannot find (module|package)|failed to resolve/i.test(message);
  return notFound && /['"]fast-check['"]/.test(message.split('\n')[0] ?? '');
}

/** ERR as it should reach the user: one line naming fast-check when that is what is missing, else unchanged. */
export function fastCheckLoadError(err: unknown): unknown {
  if (!isFastCheckMissing(err)) return err;
  const e = new Error(MISSING_FAST_CHECK);
  // The frames would only show the loader; the message says all there is to say.
  e.stack = `Error: ${MISSING_FAST_CHECK}`;
  return e;
}
