/** `seccomp-ts emu`: what a filter decides for a syscall, one call or a batch from stdin. */
import { unfilteredNote } from '../../syscalls/unfiltered.js';
import type { Program } from '../../bpf/instructions.js';
import { instructionText, lineLabel } from '../../bpf/text.js';
import { InvalidProgramError } from '../../bpf/validator.js';
import {
  bypassesFilters,
  callData,
  prepareFilter,
  interpret,
  verdictOf,
  type Interpretation,
  type SeccompData,
} from '../../emulator/index.js';
import { formatAction, parseLinuxArch, type LinuxArchName } from '../../syscalls/index.js';
import { CliError, parseFlags, type CliIO, type Command } from '../command.js';
import { formatOption, loadFilterSource, profileOptionHelp, refuseUnoptimizedFilters, singleSource, sourceOf, type Source } from '../inputs.js';
import { linuxArchOption } from '../options.js';

const usage = (): string => [
  'usage: seccomp-ts emu FILE|-|profile:NAME SYSCALL [ARG...] [--arch ARCH] [--ip ADDR] [--trace] [--json]',
  '       seccomp-ts emu --profile NAME SYSCALL [ARG...] [...]',
  '       seccomp-ts emu FILE|profile:NAME|--profile NAME --batch [--json] < probes',
  '',
  'Runs the seccomp filter in FILE on one syscall, exactly as Linux would, and prints its verdict',
  '(ALLOW, ERRNO(EPERM), TRAP(5), KILL_PROCESS, ...). FILE is a raw filter (struct sock_filter[]), C, hex,',
  'JSON or assembler text (detected, or named with --format), or a policy (seccomp-ts JSON or a Docker/OCI',
  "profile, or a built-in profile), compiled first as 'seccomp-ts compile' does; '-' reads it from stdin.",
  'SYSCALL is a name or a number of the ABI (x32 numbers get the x32 bit 0x40000000 added); each ARG is a',
  '64-bit value, decimal (negative allowed) or 0x hex.',
  '',
  'With --batch, stdin holds one probe per line, "ARCH NR_OR_NAME [A0 ... A5]" (blank lines and # comments',
  'are skipped), and one verdict per probe is printed, in order.',
  '',
  'options:',
  '  --arch ARCH     x86_64 (default), i386, x32, or any other ABI (aarch64, s390x, mips, …: seccomp_data is',
    '                  laid out in its byte order)',
  '  --ip ADDR       seccomp_data.instruction_pointer (default 0)',
  '  --format FMT    how FILE is written: raw, c, hex, json or asm (default: detected)',
  '  --trace         print each executed instruction with A and X after it',
  '  --json          one JSON object per verdict: action, data, verdict, raw, executed (and trace)',
  '  --batch         read probes from stdin',
  profileOptionHelp(16),
  '  --unoptimized   compile a policy with linear dispatch and no optimizer passes (refused for a filter)',
  '',
  'examples:',
  '  seccomp-ts emu filter.bpf execve',
  '  seccomp-ts emu filter.bpf socket 2 1 0 --arch i386 --trace',
  "  printf 'x86_64 openat 0xffffff9c 0 0\\nx32 read 0 0 0\\n' | seccomp-ts emu filter.bpf --batch --json",
].join('\n');

/** A 64-bit argument: decimal (negative allowed) or 0x hex. */
function parseValue(text: string, what: string): bigint {
  let v: bigint;
  if (/^-?\d+$/.test(text)) v = BigInt(text);
  else if (/^0x[0-9a-f]+$/i.test(text)) v = BigInt(text);
  else throw new CliError(`${what}: "${text}" is not a number (decimal or 0x hex)`);
  if (v >= 1n << 64n || v < -(1n << 63n)) throw new CliError(`${what}: ${text} does not fit in 64 bits`);
  return v;
}

/** A syscall name, or a number when it looks like one. */
function parseSyscall(text: string, what: string): string | number {
  if (/^(\d+|0x[0-9a-f]+)$/i.test(text)) {
    const n = Number(text);
    if (n > 0xffffffff) throw new CliError(`${what}: syscall number ${text} does not fit in 32 bits`);
    return n;
  }
  if (/^-/.test(text)) throw new CliError(`${what}: syscall number ${text} is negative`);
  return text;
}

function buildData(arch: LinuxArchName, syscall: string, args: readonly string[], ip: bigint, where: string): SeccompData {
  if (args.length > 6) throw new CliError(`${where}: ${args.length} arguments given, a syscall has at most 6`);
  const values = args.map((a, i) => parseValue(a, `${where}: argument ${i}`));
  try {
    return callData({ arch, syscall: parseSyscall(syscall, where), args: values, instructionPointer: ip });
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${where}: ${(err as Error).message}`);
  }
}

const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

function verdictJson(data: SeccompData, r: { raw: number; executed: number; action: Interpretation['action'] }) {
  return {
    arch: data.arch,
    nr: data.nr,
    action: r.action.kind,
    data: 'data' in r.action ? r.action.data : null,
    verdict: formatAction(r.action),
    raw: r.raw,
    executed: r.executed,
    ...(bypassesFilters(data) && { filtered: false }),
  };
}

function bypassNote(data: SeccompData): string {
  return `note: ${unfilteredNote(data.nr)}\n`;
}

async function runOne(program: Program, data: SeccompData, trace: boolean, json: boolean, io: CliIO): Promise<void> {
  const r = interpret(program, data, { trace });
  if (bypassesFilters(data)) io.stderr(bypassNote(data));
  // The disassembler's naming (syscall and arch names in the trace) is loaded only for --trace.
  const ctx = trace ? (await import('../on-demand.js')).namingContext(program) : {};
  if (json) {
    const steps = r.trace?.map((s) => ({ pc: s.pc, instruction: instructionText(s.instruction, s.pc, ctx), a: s.a, x: s.x, mem: s.mem }));
    io.stdout(`${JSON.stringify({ ...verdictJson(data, r), ...(steps && { trace: steps }) })}\n`);
    return;
  }
  if (r.trace) {
    const rows = r.trace.map((s) => [` ${lineLabel(s.pc)}  ${instructionText(s.instruction, s.pc, ctx)}`, `A=${hex32(s.a)} X=${hex32(s.x)}`]);
    const width = Math.max(...rows.map(([text]) => (text as string).length));
    for (const [text, regs] of rows) io.stdout(`${(text as string).padEnd(width)}   ${regs}\n`);
    const last = r.trace[r.trace.length - 1];
    const where = last?.instruction.kind === 'ret' ? `return at ${lineLabel(last.pc)}` : `division by zero at ${lineLabel(last?.pc ?? 0)} returns 0`;
    io.stdout(`${formatAction(r.action)}  (${where}, raw ${hex32(r.raw)}, ${r.executed} instructions executed)\n`);
    return;
  }
  io.stdout(`${formatAction(r.action)}\n`);
}

async function runBatch(program: Program, json: boolean, ip: bigint, io: CliIO): Promise<void> {
  const filter = prepareFilter(program);
  const text = new TextDecoder().decode(await io.readStdin());
  const probes: SeccompData[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const where = `<stdin> line ${i + 1}`;
    const [archText, syscall, ...args] = line.split(/\s+/);
    if (syscall === undefined) throw new CliError(`${where}: expected "ARCH NR_OR_NAME [A0 ... A5]", got "${line}"`);
    let arch: LinuxArchName;
    try {
      arch = parseLinuxArch(archText as string);
    } catch (err) {
      throw new CliError(`${where}: ${(err as Error).message}`);
    }
    probes.push(buildData(arch, syscall, args, ip, where));
  });
  // One batch run for every probe: the filter body loops over the records, with no call per probe.
  const records = new Uint32Array(16 * probes.length);
  probes.forEach((data, i) => records.set(data.words, 16 * i));
  const raws = new Uint32Array(probes.length);
  const executed = new Uint32Array(probes.length);
  filter.runBatchCounting(records, raws, executed);
  const out: string[] = [];
  for (const [i, data] of probes.entries()) {
    const r = { raw: raws[i] as number, executed: executed[i] as number };
    const { action } = verdictOf(r.raw);
    // In text the verdict stays first on its line; a `#` comment says when the kernel never applies it.
    const note = bypassesFilters(data) ? `  # not applied: ${unfilteredNote(data.nr)}` : '';
    out.push(json ? JSON.stringify(verdictJson(data, { ...r, action })) : `${formatAction(action)}${note}`);
  }
  if (out.length > 0) io.stdout(`${out.join('\n')}\n`);
}

export const emuCommand: Command = {
  name: 'emu',
  get usage() {
    return usage();
  },
  async run(argv, io) {
    // Negative numbers are arguments, not flags: hide them from the flag parser.
    const negatives = new Map<string, string>();
    const masked = argv.map((a, i) => {
      if (!/^-\d+$/.test(a)) return a;
      const key = `\u0000${i}`;
      negatives.set(key, a);
      return key;
    });
    const parsed = parseFlags(masked, {
      arch: { type: 'string' },
      ip: { type: 'string' },
      format: { type: 'string' },
      trace: { type: 'boolean' },
      json: { type: 'boolean' },
      batch: { type: 'boolean' },
      profile: { type: 'string' },
      unoptimized: { type: 'boolean' },
    }, 'emu');
    const values = parsed.values;
    const positionals = parsed.positionals.map((p) => negatives.get(p) ?? p);
    // With --profile, every positional is the call: SYSCALL [ARG...].
    const file = values.profile !== undefined ? undefined : positionals[0];
    const [syscall, ...args] = values.profile !== undefined ? positionals : positionals.slice(1);
    const source: Source = file !== undefined ? sourceOf(file) : singleSource([], values.profile, 'emu');
    const format = formatOption(values.format, 'emu');
    const ip = values.ip === undefined ? 0n : parseValue(negatives.get(values.ip) ?? values.ip, 'emu: --ip');
    if (ip < 0n) throw new CliError('emu: --ip: the instruction pointer cannot be negative');
    if (values.batch) {
      if (syscall !== undefined) throw new CliError('emu: --batch reads probes from stdin: give only FILE');
      if (source.kind === 'file' && source.path === '-') throw new CliError('emu: --batch reads probes from stdin, so FILE cannot be -');
      if (values.trace) throw new CliError('emu: --trace cannot be combined with --batch');
      if (values.arch !== undefined) throw new CliError('emu: with --batch, each probe line names its ARCH');
    } else if (syscall === undefined) {
      throw new CliError("emu: name a SYSCALL (or use --batch; see 'seccomp-ts emu --help')");
    }
    const loaded = await loadFilterSource(source, io, { command: 'emu', ...(format && { format }), optimize: values.unoptimized !== true });
    refuseUnoptimizedFilters(values.unoptimized, [loaded], 'emu');
    const { program, name } = loaded;
    try {
      if (values.batch) {
        await runBatch(program, values.json ?? false, ip, io);
      } else {
        const data = buildData(linuxArchOption(values.arch, 'emu'), syscall as string, args, ip, 'emu');
        await runOne(program, data, values.trace ?? false, values.json ?? false, io);
      }
    } catch (err) {
      if (err instanceof InvalidProgramError) {
        throw new CliError(`emu: ${name}: ${err.message}`);
      }
      throw err;
    }
    return 0;
  },
};
