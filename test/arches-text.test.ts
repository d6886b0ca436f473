/**
 * The disassembler and assembler on every ABI: a load of a 64-bit argument is named by the half it reads in the
 * byte order of the architectures checked on its path (offset 16 is `args[0] >> 32` on s390x, `args[0]` on
 * x86_64), and the text reads back to the same bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble } from '../src/bpf/asm.js';
import { disassemble, disassembleLines } from '../src/bpf/disasm.js';
import { encodeProgram } from '../src/bpf/encode.js';
import { analyzeFlow } from '../src/bpf/flow.js';
import { compilePolicy } from '../src/compiler/index.js';
import { performanceCompileOptions } from '../src/compiler/performance.js';
import { DOCKER_DEFAULT_PROFILE_JSON, importProfile } from '../src/policy/oci/index.js';
import type { Policy } from '../src/policy/types.js';
import { LINUX_ARCH_NAMES } from '../src/syscalls/arch.js';
import { policyArb } from '../src/testing/arbitraries.js';
import { goldenDir } from './support/golden.js';
import { resolves } from './support/policies.js';

const { expectGolden } = goldenDir('arch');

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe('argument loads named per byte order', () => {
  it('names halves by the ABI checked on the path, shared big-endian bodies included (golden)', () => {
    const policy: Policy = {
      defaultAction: { kind: 'ALLOW' }, arches: ['x86_64', 's390x', 's390'],
      rules: [
        { syscalls: ['read'], action: { kind: 'ERRNO', data: 1 }, conditions: [{ arg: 0, op: 'eq', value: 0x1_0000_0002n }] },
        { syscalls: ['write'], action: { kind: 'ERRNO', data: 2 }, conditions: [{ arg: 2, op: 'gt', value: 0xffff_ffff_0000n }] },
      ],
    };
    const program = compilePolicy(policy).program;
    const text = disassemble(program);
    expectGolden('halves-x86_64-s390x-s390.asm', text);
    expect(sameBytes(encodeProgram(assemble(text)), encodeProgram(program))).toBe(true);
  });

  it('docker-default --target s390x: every argument load names its half big-endian and reads back', () => {
    const { policy } = importProfile(DOCKER_DEFAULT_PROFILE_JSON, { target: 's390x' });
    const program = compilePolicy(policy, performanceCompileOptions()).program;
    const lines = disassembleLines(program);
    const facts = analyzeFlow(program);
    let loads = 0;
    program.forEach((insn, i) => {
      if (insn.kind !== 'ld_abs' || insn.offset < 16 || !facts[i]!.reachable) return;
      expect(facts[i]!.endian, `instruction ${i}`).toBe('big');
      const index = Math.floor((insn.offset - 16) / 8);
      const high = insn.offset % 8 === 0;
      expect(lines[i]!.text, `instruction ${i}`).toBe(`A = args[${index}]${high ? ' >> 32' : ''}`);
      loads++;
    });
    expect(loads).toBeGreaterThan(3);
    const back = assemble(disassemble(program, { columns: false }));
    expect(sameBytes(encodeProgram(back), encodeProgram(program))).toBe(true);
  });

  it('the same offset reads back to the same bytes under a little- and a big-endian check', () => {
    const text = [
      'A = arch',
      'if (A == ARCH_S390X) goto big',
      'if (A == ARCH_AARCH64) goto little',
      'return KILL_PROCESS',
      'big: A = args[1] >> 32',
      'return A',
      'little: A = args[1] >> 32',
      'return A',
    ].join('\n');
    const program = assemble(text);
    expect(program[4]).toMatchObject({ kind: 'ld_abs', offset: 24 });
    expect(program[6]).toMatchObject({ kind: 'ld_abs', offset: 28 });
    const lines = disassembleLines(program).map((l) => l.text);
    expect([lines[4], lines[6]]).toEqual(['A = args[1] >> 32', 'A = args[1] >> 32']);
  });

  it('random policies on random ABIs disassemble and read back to the same bytes (property)', () => {
    const arches = fc.uniqueArray(fc.constantFrom(...LINUX_ARCH_NAMES), { minLength: 1, maxLength: 4 });
    const policies = arches.chain((a) => policyArb({ syscalls: ['read', 'write', 'close', 'ioctl', 'socket', 'kill'], arches: a, maxRules: 6 })).filter(resolves);
    fc.assert(fc.property(policies, fc.boolean(), (policy, optimized) => {
      const program = compilePolicy(policy, optimized ? performanceCompileOptions() : {}).program;
      expect(sameBytes(encodeProgram(assemble(disassemble(program))), encodeProgram(program))).toBe(true);
    }), { numRuns: 60 });
  });
});
