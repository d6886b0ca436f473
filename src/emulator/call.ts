/**
 * A syscall described the way people write it (a name or a number, per ABI) turned into `seccomp_data`.
 */
import { X32_SYSCALL_BIT, type LinuxArchName } from '../syscalls/arch.js';
import { resolveSyscall } from '../syscalls/resolve.js';
import { seccompData, type DataValue, type SeccompData } from './data.js';

/** A syscall as a person names it (ABI, number or name, arguments), for building `seccomp_data`. */
export interface CallInput {
  readonly arch: LinuxArchName;
  /**
   * A syscall name of that ABI (resolved through the syscall tables), or a number. On x32 the x32 bit is added
   * to a number that lacks it, since every x32 call carries it.
   */
  readonly syscall: string | number;
  readonly args?: readonly DataValue[];
  readonly instructionPointer?: DataValue;
}

/** The `seccomp_data` of a call. Throws `UnknownSyscallError` (with suggestions) for a name the ABI lacks. */
export function callData(input: CallInput): SeccompData {
  const { arch, syscall } = input;
  let nr = typeof syscall === 'number' ? syscall : resolveSyscall(arch, syscall);
  if (arch === 'x32') nr = (nr | X32_SYSCALL_BIT) >>> 0;
  return seccompData({
    arch,
    nr,
    ...(input.args !== undefined && { args: input.args }),
    ...(input.instructionPointer !== undefined && { instructionPointer: input.instructionPointer }),
  });
}
