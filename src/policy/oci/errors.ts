/** Errors in a Docker/OCI profile, each naming the JSON path of the offending value. */

export class ProfileError extends Error {
  constructor(
    /** JSON path such as `syscalls[12].args[0].op`; empty for the document as a whole. */
    readonly path: string,
    /** What is wrong, without the path. */
    readonly detail: string,
  ) {
    super(path === '' ? detail : `${path}: ${detail}`);
    this.name = 'ProfileError';
  }
}

/** `at('syscalls', 3)` is `syscalls[3]`; `at('syscalls[3]', 'action')` is `syscalls[3].action`. */
export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}
