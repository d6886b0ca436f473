/** Every CLI command, in the order `seccomp-ts --help` lists them. */
import type { Command } from '../command.js';
import { resolveCommand } from './resolve.js';
import { syscallsCommand } from './syscalls.js';

export const commands: readonly Command[] = [
  resolveCommand,
  syscallsCommand,
];
