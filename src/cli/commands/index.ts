/** Every CLI command, in the order `seccomp-ts --help` lists them. */
import type { Command } from '../command.js';
import { asmCommand } from './asm.js';
import { auditCommand } from './audit.js';
import { checkCommand } from './check.js';
import { compileCommand } from './compile.js';
import { diffCommand } from './diff.js';
import { subsetCommand } from './subset.js';
import { intersectCommand, mergeCommand } from './combine.js';
import { disasmCommand } from './disasm.js';
import { emuCommand } from './emu.js';
import { explainCommand } from './explain.js';
import { resolveCommand } from './resolve.js';
import { recordCommandCli } from './record.js';
import { runCommand } from './run.js';
import { statsCommand } from './stats.js';
import { syscallsCommand } from './syscalls.js';
import { usernsCommand } from './userns.js';

export const commands: readonly Command[] = [
  compileCommand,
  resolveCommand,
  syscallsCommand,
  disasmCommand,
  asmCommand,
  checkCommand,
  emuCommand,
  statsCommand,
  explainCommand,
  diffCommand,
  subsetCommand,
  intersectCommand,
  mergeCommand,
  usernsCommand,
  runCommand,
  recordCommandCli,
  auditCommand,
];
