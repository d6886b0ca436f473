/** Errors in a policy, each naming the place (a JSON path such as `rules[3].conditions[0].value`). */

export class PolicyError extends Error {
  constructor(
    /** Where in the policy: a JSON path (`rules[2].syscalls[0]`), empty for the policy as a whole. */
    readonly path: string,
    /** What is wrong, without the path. */
    readonly detail: string,
  ) {
    super(path === '' ? detail : `${path}: ${detail}`);
    this.name = 'PolicyError';
  }
}

/** Joins a JSON path and a key or index: `at('rules', 2)` is `rules[2]`, `at('rules[2]', 'action')` is `rules[2].action`. */
export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/**
 * A JSON path, or a function that builds it: checks that pass build no path, which keeps resolving a policy of
 * many rules from spending its time on strings it never shows.
 */
export type PathRef = string | (() => string);

/** The path a {@link PathRef} stands for. */
export function pathOf(where: PathRef): string {
  return typeof where === 'string' ? where : where();
}
