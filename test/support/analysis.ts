/** Inputs on the boundaries of a filter's own constants, for checking analyses against the emulator. */
import type { Program } from '../../src/bpf/instructions.js';
import { boundaryValues, programConstants } from '../../src/analysis/constants.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64 } from '../../src/syscalls/arch.js';

/** For each word a filter could load and each boundary value c-1, c, c+1: an input with that word set. */
export function boundaryInputs(program: Program, arches: readonly number[] = [AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 0x1234]): Uint32Array[] {
  const values = boundaryValues(programConstants(program));
  const out: Uint32Array[] = [];
  for (const arch of arches) {
    for (const v of values) {
      for (const word of [0, 2, 3, 4, 5, 6, 7, 14, 15]) {
        const w = new Uint32Array(16);
        w[1] = arch;
        w[word] = v;
        out.push(w);
      }
      const all = new Uint32Array(16).fill(v);
      all[1] = arch;
      out.push(all);
    }
  }
  return out;
}
