/**
 * `seccomp-ts/testing`: fast-check arbitraries and assertion helpers for seccomp filters and policies.
 *
 * @packageDocumentation
 */
export {};
