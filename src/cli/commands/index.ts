/** Every CLI command, in the order `seccomp-ts --help` lists them. */
import type { Command } from '../command.js';

export const commands: readonly Command[] = [
];
