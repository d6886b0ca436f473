/**
 * The emulator runs only programs the kernel would load: for any other program the kernel defines no
 * behaviour, so there is no verdict to give. It runs what the kernel would receive: each instruction encoded
 * to its raw fields (so a constant beyond 32 bits or a fractional slot cannot mean something the kernel could
 * never see) and decoded again. The checked form is remembered per program object.
 */
import { fromRaw, toRaw, type Program } from '../bpf/instructions.js';
import { assertValid } from '../bpf/validator.js';

const admitted = new WeakMap<Program, Program>();

/**
 * The program as the kernel would run it. Throws `InvalidProgramError` (naming the instruction and the rule)
 * unless the kernel accepts it.
 */
export function admit(program: Program): Program {
  const known = admitted.get(program);
  if (known !== undefined) return known;
  const encoded = Object.freeze(program.map((insn) => fromRaw(toRaw(insn))));
  assertValid(encoded);
  admitted.set(program, encoded);
  admitted.set(encoded, encoded);
  return encoded;
}
