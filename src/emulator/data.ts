/**
 * `struct seccomp_data` as a value: the 64 bytes a filter reads, laid out as the kernel lays them out on the
 * call's ABI (in its byte order), together with the 16 aligned 32-bit words the filter's loads return. On a
 * big-endian ABI the high half of each 64-bit field is the first word.
 */
import { ARG_COUNT, OFFSET_ARCH, OFFSET_IP_LO, OFFSET_NR, SECCOMP_DATA_SIZE } from '../bpf/seccomp-data.js';
import { LINUX_ARCHES, X32_SYSCALL_BIT, isLinuxArchName, type Endian, type LinuxArchName } from '../syscalls/arch.js';

/** An argument or instruction pointer as given by a caller: a bigint, or a safe integer. */
export type DataValue = bigint | number;

/** What a syscall looks like to a filter, before it is laid out in memory. */
export interface SeccompDataInput {
  /**
   * The ABI the call enters through: sets `seccomp_data.arch` (x32 calls carry arch x86_64) and the byte order
   * of the layout.
   */
  readonly arch: LinuxArchName;
  /**
   * `seccomp_data.nr` exactly as the filter sees it: for x32, including the 0x40000000 bit
   * ({@link callData} adds it for you).
   */
  readonly nr: number;
  /**
   * Up to six arguments; missing ones are 0. Values are 64-bit: a non-negative value is laid out in full, on
   * every ABI (the kernel shows an i386 filter the whole 64-bit register when a 64-bit process enters through
   * `int $0x80`; a genuine 32-bit process always has zero upper halves). A negative value is wrapped to the
   * ABI's register width: 64 bits on x86_64 and x32, 32 bits on i386 (so `-1` on i386 is `0xffffffff`, as a
   * 32-bit process would pass it).
   */
  readonly args?: readonly DataValue[];
  /** `seccomp_data.instruction_pointer`: the address after the instruction that entered the kernel (default 0). */
  readonly instructionPointer?: DataValue;
}

/** A laid-out `seccomp_data`. */
export interface SeccompData {
  readonly arch: LinuxArchName;
  /** `nr` as an unsigned 32-bit value. */
  readonly nr: number;
  /** The six arguments as unsigned 64-bit values. */
  readonly args: readonly bigint[];
  readonly instructionPointer: bigint;
  /** The 64 bytes, in the ABI's byte order. */
  readonly bytes: Uint8Array;
  /** The same memory as 16 unsigned 32-bit words: word i is what `LD [4*i]` loads. */
  readonly words: Uint32Array;
}

const U64_LIMIT = 1n << 64n;

function toU64(value: DataValue, negativeWidth: 32 | 64, what: string): bigint {
  let v: bigint;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${what}: ${value} is not a safe integer (use a bigint)`);
    v = BigInt(value);
  } else {
    v = value;
  }
  if (v >= U64_LIMIT || v < -(1n << 63n)) throw new RangeError(`${what}: ${v} does not fit in 64 bits`);
  if (v >= 0n) return v;
  return BigInt.asUintN(negativeWidth, v);
}

/** Lays out a syscall as the filter sees it. Throws `RangeError` for values that do not fit. */
export function seccompData(input: SeccompDataInput): SeccompData {
  const { arch } = input;
  if (typeof arch !== 'string' || !isLinuxArchName(arch)) throw new RangeError(`unknown arch '${String(arch)}'`);
  const descriptor = LINUX_ARCHES[arch];
  if (!Number.isInteger(input.nr) || input.nr < -0x80000000 || input.nr > 0xffffffff) {
    throw new RangeError(`nr: ${input.nr} is not a 32-bit integer`);
  }
  const given = input.args ?? [];
  if (given.length > ARG_COUNT) throw new RangeError(`args: ${given.length} given, a syscall has at most ${ARG_COUNT}`);
  const width = descriptor.wordSize;
  const args = Array.from({ length: ARG_COUNT }, (_, i) => toU64(given[i] ?? 0n, width, `args[${i}]`));
  const instructionPointer = toU64(input.instructionPointer ?? 0n, 64, 'instructionPointer');
  const nr = input.nr >>> 0;
  const words = new Uint32Array(SECCOMP_DATA_SIZE / 4);
  words[OFFSET_NR / 4] = nr;
  words[OFFSET_ARCH / 4] = descriptor.auditArch;
  const { endian } = descriptor;
  setU64(words, OFFSET_IP_LO / 4, instructionPointer, endian);
  args.forEach((a, i) => setU64(words, 4 + 2 * i, a, endian));
  return { arch, nr, args, instructionPointer, bytes: wordsToBytes(words, endian), words };
}

/** A 64-bit field as two words: low half first on little-endian ABIs, high half first on big-endian ones. */
function setU64(words: Uint32Array, index: number, value: bigint, endian: Endian): void {
  const lo = Number(value & 0xffffffffn);
  const hi = Number(value >> 32n);
  words[index] = endian === 'little' ? lo : hi;
  words[index + 1] = endian === 'little' ? hi : lo;
}

/** The bytes of 32-bit words in the given order (independent of the host's byte order). */
function wordsToBytes(words: Uint32Array, endian: Endian): Uint8Array {
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w, endian === 'little'));
  return bytes;
}

/** The ABI whose audit arch and byte order the raw `arch` word matches (x86_64 and x32 told apart by `nr`). */
function archOfBytes(view: DataView): { arch: LinuxArchName; little: boolean } | undefined {
  for (const little of [true, false]) {
    const auditArch = view.getUint32(OFFSET_ARCH, little);
    const nr = view.getUint32(OFFSET_NR, little);
    const matches = Object.values(LINUX_ARCHES)
      .filter((d) => d.auditArch === auditArch && (d.endian === 'little') === little);
    if (matches.length === 0) continue;
    if (auditArch === LINUX_ARCHES.x86_64.auditArch) return { arch: (nr & X32_SYSCALL_BIT) !== 0 ? 'x32' : 'x86_64', little };
    return { arch: matches[0]!.name, little };
  }
  return undefined;
}

/**
 * Reads a `seccomp_data` from its 64 raw bytes (for instance a dump), inferring the ABI from `arch` and the
 * x32 bit of `nr` and the byte order from which reading of `arch` names a known ABI. Throws for a wrong length
 * or an arch no ABI has.
 */
export function seccompDataFromBytes(bytes: Uint8Array): SeccompData {
  if (bytes.length !== SECCOMP_DATA_SIZE) {
    throw new RangeError(`seccomp_data is ${SECCOMP_DATA_SIZE} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = archOfBytes(view);
  if (found === undefined) {
    throw new RangeError(`seccomp_data.arch 0x${view.getUint32(OFFSET_ARCH, true).toString(16)} (little-endian) is no ABI's audit arch`);
  }
  const { arch, little } = found;
  const u64 = (o: number): bigint => view.getBigUint64(o, little);
  const nr = view.getUint32(OFFSET_NR, little);
  return seccompData({
    arch,
    nr,
    instructionPointer: u64(OFFSET_IP_LO),
    args: Array.from({ length: ARG_COUNT }, (_, i) => u64(16 + 8 * i)),
  });
}
