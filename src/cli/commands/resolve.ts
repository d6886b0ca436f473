/** `seccomp-ts resolve`: syscall name → number, number → name, per ABI. */
import { CliError, parseFlags, type Command } from '../command.js';
import { linuxArchOption } from '../options.js';
import {
  LINUX_ARCHES, X32_SYSCALL_BIT, lookupSyscall, resolveSyscall, syscallByNr, type LinuxArchName, type SyscallEntry,
} from '../../syscalls/index.js';

/** Reads a decimal or 0x-hexadecimal syscall number; undefined when `text` does not look like a number. */
function parseNumberArg(text: string): number | undefined {
  if (/^\d+$/.test(text) || /^0x[0-9a-f]+$/i.test(text)) {
    // Read exactly: a double would round 9007199254740993 to …992 and call 1e20 no integer.
    const n = BigInt(text);
    if (n > 0xffffffffn) {
      throw new CliError(`resolve: syscall number ${text} is larger than any: seccomp_data.nr is 32 bits (at most 4294967295 = 0xffffffff)`);
    }
    return Number(n);
  }
  if (/^-(\d|0x)/i.test(text)) throw new CliError(`resolve: syscall number ${text} is negative`);
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i.test(text) || /^-0x/i.test(text)) {
    throw new CliError(`resolve: "${text}" is not a syscall number (a non-negative integer, decimal or 0x hex)`);
  }
  return undefined;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

interface Answer {
  readonly query: string;
  readonly entry: SyscallEntry;
}

function resolveOne(arch: LinuxArchName, query: string): Answer {
  const { nrBase } = LINUX_ARCHES[arch];
  try {
    const number = parseNumberArg(query);
    if (number === undefined) {
      resolveSyscall(arch, query);
      return { query, entry: lookupSyscall(arch, query)! };
    }
    // Users often type an x32 or MIPS number as the csv lists it, without the x32 bit or the ABI's base.
    const withBit = nrBase !== 0 && number < nrBase ? (number + nrBase) >>> 0 : number;
    return { query, entry: syscallByNr(arch, withBit) };
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`resolve: ${(err as Error).message}`);
  }
}

function describeNr(arch: LinuxArchName, nr: number): string {
  const { nrBase } = LINUX_ARCHES[arch];
  if (nrBase === 0) return String(nr);
  if (nrBase !== X32_SYSCALL_BIT) return `${nr} (${arch} base ${nrBase} + ${nr - nrBase})`;
  return `${nr} (${hex(nr)} = x32 bit ${hex(nrBase)} + ${nr - nrBase})`;
}

export const resolveCommand: Command = {
  name: 'resolve',
  usage: [
    'usage: seccomp-ts resolve NAME|NUMBER... [--arch ARCH] [--json]',
    '',
    'Prints the number of each syscall NAME, or the name of each NUMBER (decimal or 0x hex), as a seccomp',
    'filter sees it in seccomp_data.nr. x32 numbers carry the x32 bit 0x40000000 and MIPS numbers their ABI\'s',
    'base (o32 4000, n64 5000, n32 6000); a number given without it is read as the table lists it.',
    '',
    'options:',
    '  --arch ARCH  x86_64 (default; also amd64), i386 (x86, 386), x32, arm, aarch64 (arm64), loongarch64,',
    '               m68k, mips, mipsel, mips64, mipsel64, mips64n32, mipsel64n32, parisc, parisc64, ppc, ppc64,',
    '               ppc64le, riscv64, s390, s390x, sh, sheb; Go/Debian and SCMP_ARCH_* names work too',
    '  --json       one JSON array of {"query", "name", "nr", "minKernel"} objects',
    '',
    'examples:',
    '  seccomp-ts resolve getcwd --arch i386     # 183',
    '  seccomp-ts resolve 79                     # getcwd',
    '  seccomp-ts resolve 0x4f openat',
    '  seccomp-ts resolve openat --arch arm64     # 56',
  ].join('\n'),
  async run(argv, io) {
    // A negative number is a wrong number, not an unknown option.
    const negative = argv.find((a) => /^-\d+$/.test(a));
    if (negative !== undefined) throw new CliError(`resolve: syscall number ${negative} is negative`);
    const { values, positionals } = parseFlags(argv, {
      arch: { type: 'string' },
      json: { type: 'boolean' },
    }, 'resolve');
    const arch = linuxArchOption(values.arch, 'resolve');
    if (positionals.length === 0) throw new CliError("resolve: name a syscall or give a number (see 'seccomp-ts resolve --help')");
    const answers = positionals.map((query) => resolveOne(arch, query));
    if (values.json) {
      const out = answers.map(({ query, entry }) => ({ query, arch, name: entry.name, nr: entry.nr, minKernel: entry.minKernel }));
      io.stdout(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    }
    const lines = answers.map(({ query, entry }) =>
      parseNumberArg(query) === undefined ? describeNr(arch, entry.nr) : entry.name);
    io.stdout(`${lines.join('\n')}\n`);
    return 0;
  },
};
