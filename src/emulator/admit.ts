/**
 * The emulator runs only programs the kernel would load: for any other program the kernel defines no
 * behaviour, so there is no verdict to give. Validation is remembered per program object.
 */
import type { Program } from '../bpf/instructions.js';
import { assertValid } from '../bpf/validator.js';

const admitted = new WeakSet<Program>();

/** Throws `InvalidProgramError` (naming the instruction and the rule) unless the kernel accepts `program`. */
export function admit(program: Program): void {
  if (admitted.has(program)) return;
  assertValid(program);
  admitted.add(program);
}
