/** `seccomp-ts syscalls`: lists an ABI's syscall table. */
import { parseFlags, CliError, type Command } from '../command.js';
import { LINUX_ARCHES, SYSCALL_DATA_SOURCE, X32_SYSCALL_BIT, syscallTable } from '../../syscalls/index.js';
import { linuxArchOption } from '../options.js';

const hex = (n: number): string => `0x${n.toString(16)}`;

export const syscallsCommand: Command = {
  name: 'syscalls',
  usage: [
    'usage: seccomp-ts syscalls [--arch ARCH] [--json]',
    '',
    'Lists every syscall of the ABI, sorted by number as a seccomp filter sees it in seccomp_data.nr',
    '(x32 numbers include the x32 bit 0x40000000), with the kernel version that introduced it when known.',
    '',
    'options:',
    '  --arch ARCH  any ABI libseccomp knows: x86_64 (default), i386, x32, arm, aarch64 (arm64), loongarch64,',
    '               m68k, mips, mipsel, mips64, mipsel64, mips64n32, mipsel64n32, parisc, parisc64, ppc, ppc64,',
    '               ppc64le, riscv64, s390, s390x, sh, sheb; Go/Debian and SCMP_ARCH_* names work too',
    '  --json       {"arch", "auditArch", "endian", "source", "syscalls": [{"nr", "name", "minKernel"}]}',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      arch: { type: 'string' },
      json: { type: 'boolean' },
    }, 'syscalls');
    if (positionals.length > 0) throw new CliError(`syscalls: unexpected argument "${positionals[0]}"`);
    const arch = linuxArchOption(values.arch, 'syscalls');
    const descriptor = LINUX_ARCHES[arch];
    const table = syscallTable(arch);
    if (values.json) {
      io.stdout(`${JSON.stringify({
        arch,
        auditArch: hex(descriptor.auditArch),
        endian: descriptor.endian,
        source: SYSCALL_DATA_SOURCE,
        syscalls: table.map((e) => ({ nr: e.nr, name: e.name, minKernel: e.minKernel })),
      }, null, 2)}\n`);
      return 0;
    }
    const nrWidth = Math.max(...table.map((e) => String(e.nr).length), 2);
    const hexWidth = Math.max(...table.map((e) => hex(e.nr).length), 3);
    const nameWidth = Math.max(...table.map((e) => e.name.length), 4);
    const lines = [
      `# ${arch}: ${table.length} syscalls, AUDIT_ARCH ${hex(descriptor.auditArch)}, ${descriptor.endian}-endian` +
        (descriptor.nrBase === X32_SYSCALL_BIT ? `, numbers include the x32 bit ${hex(descriptor.nrBase)}`
          : descriptor.nrBase !== 0 ? `, numbers include the ABI base ${descriptor.nrBase}` : ''),
      `# ${SYSCALL_DATA_SOURCE}`,
      `${'NR'.padStart(nrWidth)}  ${'HEX'.padEnd(hexWidth)}  ${'NAME'.padEnd(nameWidth)}  SINCE`,
      ...table.map((e) =>
        `${String(e.nr).padStart(nrWidth)}  ${hex(e.nr).padEnd(hexWidth)}  ${e.name.padEnd(nameWidth)}  ${e.minKernel ?? '-'}`),
    ];
    io.stdout(`${lines.map((l) => l.trimEnd()).join('\n')}\n`);
    return 0;
  },
};
