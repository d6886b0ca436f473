/**
 * Generates src/syscalls/tables/{x86_64,i386,x32,source}.ts from libseccomp's syscalls.csv and cross-checks every
 * entry of the kernel's syscall_64.tbl / syscall_32.tbl against it. Any disagreement aborts the run. The other
 * architectures' columns go to tables/arches.ts (one string per column) with the AUDIT_ARCH_* values of audit.h.
 *
 *   npm run gen:syscalls            write the tables
 *   npm run gen:syscalls -- --check exit 1 if the committed tables differ from what would be generated
 *
 * Input directory: $SECCOMP_TS_SHARED_DATA, else ../shared/data next to the repository. Only this script
 * reads it; the library carries the generated TypeScript.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type TableAbi = 'x86_64' | 'i386' | 'x32';

export interface SyscallSources {
  /** libseccomp `src/syscalls.csv`. */
  readonly csv: string;
  /** Linux `arch/x86/entry/syscalls/syscall_64.tbl` (x86_64 and x32). */
  readonly tbl64: string;
  /** Linux `arch/x86/entry/syscalls/syscall_32.tbl` (i386). */
  readonly tbl32: string;
  /** Excerpt of Linux `include/uapi/linux/audit.h` and `elf-em.h` (AUDIT_ARCH_* and EM_* defines). */
  readonly auditArch: string;
}

interface Row {
  readonly nr: number;
  readonly name: string;
  readonly minKernel: string | undefined;
}

/** The csv column holding each ABI's numbers; x32 numbers there lack the x32 bit, as in the kernel tables. */
const CSV_COLUMN: Readonly<Record<TableAbi, string>> = { x86_64: 'x86_64', i386: 'x86', x32: 'x32' };
const ABIS: readonly TableAbi[] = ['x86_64', 'i386', 'x32'];

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TABLES_DIR = 'src/syscalls/tables';

export function defaultDataDir(): string {
  return process.env.SECCOMP_TS_SHARED_DATA ?? resolve(REPO_ROOT, '../shared/data');
}

export function readSources(dataDir = defaultDataDir()): SyscallSources {
  return {
    csv: readFileSync(join(dataDir, 'libseccomp/syscalls.csv'), 'utf8'),
    tbl64: readFileSync(join(dataDir, 'linux/syscall_64.tbl'), 'utf8'),
    tbl32: readFileSync(join(dataDir, 'linux/syscall_32.tbl'), 'utf8'),
    auditArch: readFileSync(join(dataDir, 'linux/audit-arch.txt'), 'utf8'),
  };
}

/** `SCMP_KV_5_3` → `"5.3"`; `SCMP_KV_UNDEF` (or an empty cell) → undefined. */
export function parseKernelVersion(cell: string, where: string): string | undefined {
  if (cell === '' || cell === 'SCMP_KV_UNDEF') return undefined;
  const match = /^SCMP_KV_(\d+)_(\d+)$/.exec(cell);
  if (!match) throw new Error(`${where}: unrecognised kernel version "${cell}"`);
  return `${Number(match[1])}.${Number(match[2])}`;
}

function parseNumber(cell: string, where: string): number | undefined {
  if (cell === 'PNR') return undefined;
  if (!/^\d+$/.test(cell)) throw new Error(`${where}: not a syscall number: "${cell}"`);
  return Number(cell);
}

interface ParsedCsv {
  readonly version: string;
  readonly tables: Readonly<Record<TableAbi, readonly Row[]>>;
}

export function parseCsv(csv: string): ParsedCsv {
  const lines = csv.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');
  const header = lines[0];
  if (header === undefined || !header.startsWith('#syscall')) throw new Error('syscalls.csv: missing "#syscall" header line');
  const columns = header.split(',');
  const version = /\(([^)]*)\)/.exec(columns[0] ?? '')?.[1] ?? 'unknown version';
  const tables: Record<TableAbi, Row[]> = { x86_64: [], i386: [], x32: [] };
  const seenNames = new Set<string>();
  for (const [index, line] of lines.slice(1).entries()) {
    const where = `syscalls.csv line ${index + 2}`;
    const cells = line.split(',');
    if (cells.length !== columns.length) throw new Error(`${where}: ${cells.length} cells, header has ${columns.length}`);
    const name = cells[0] ?? '';
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`${where}: bad syscall name "${name}"`);
    if (seenNames.has(name)) throw new Error(`${where}: duplicate syscall "${name}"`);
    seenNames.add(name);
    for (const abi of ABIS) {
      const col = columns.indexOf(CSV_COLUMN[abi]);
      const kverCol = columns.indexOf(`${CSV_COLUMN[abi]}_kver`);
      if (col < 0 || kverCol < 0) throw new Error(`syscalls.csv: no "${CSV_COLUMN[abi]}" / "${CSV_COLUMN[abi]}_kver" column`);
      const nr = parseNumber(cells[col] ?? '', `${where} (${name}, ${abi})`);
      if (nr === undefined) continue;
      tables[abi].push({ nr, name, minKernel: parseKernelVersion(cells[kverCol] ?? '', `${where} (${name}, ${abi})`) });
    }
  }
  for (const abi of ABIS) {
    const rows = tables[abi].sort((a, b) => a.nr - b.nr);
    for (let i = 1; i < rows.length; i++) {
      if (rows[i]!.nr === rows[i - 1]!.nr) {
        throw new Error(`syscalls.csv: ${abi} number ${rows[i]!.nr} used by both ${rows[i - 1]!.name} and ${rows[i]!.name}`);
      }
    }
  }
  return { version, tables };
}

interface KernelEntry {
  readonly nr: number;
  readonly abi: string;
  readonly name: string;
  readonly line: number;
}

export function parseKernelTable(text: string): KernelEntry[] {
  const entries: KernelEntry[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const [nr, abi, name] = line.split(/\s+/);
    if (nr === undefined || abi === undefined || name === undefined || !/^\d+$/.test(nr)) {
      throw new Error(`syscall table line ${index + 1}: cannot parse "${raw}"`);
    }
    entries.push({ nr: Number(nr), abi, name, line: index + 1 });
  }
  return entries;
}

/** Which of our ABIs a kernel table's `abi` column applies to. */
function abisOf(file: string, abi: string, line: number): readonly TableAbi[] {
  if (file === 'syscall_64.tbl') {
    if (abi === 'common') return ['x86_64', 'x32'];
    if (abi === '64') return ['x86_64'];
    if (abi === 'x32') return ['x32'];
  } else if (abi === 'i386') {
    return ['i386'];
  }
  throw new Error(`${file} line ${line}: unknown abi "${abi}"`);
}

/**
 * Every (number, name) the kernel tables list must be in the csv table of each ABI it applies to. The kernel
 * tables are older than the csv, so csv entries they lack (later additions, which also fill gaps such as
 * x86_64 336) are accepted. Returns the list of problems (empty when the sources agree).
 */
export function crossCheck(tables: ParsedCsv['tables'], sources: SyscallSources): string[] {
  const problems: string[] = [];
  const byNr = (abi: TableAbi) => new Map(tables[abi].map((r) => [r.nr, r] as const));
  const csvByNr = { x86_64: byNr('x86_64'), i386: byNr('i386'), x32: byNr('x32') };
  const files: Array<[string, string]> = [['syscall_64.tbl', sources.tbl64], ['syscall_32.tbl', sources.tbl32]];
  for (const [file, text] of files) {
    const kernel = parseKernelTable(text);
    for (const entry of kernel) {
      for (const abi of abisOf(file, entry.abi, entry.line)) {
        const ours = csvByNr[abi].get(entry.nr);
        if (ours?.name !== entry.name) {
          const has = tables[abi].find((r) => r.name === entry.name);
          problems.push(`${file} line ${entry.line}: ${abi} ${entry.nr} is ${entry.name}, csv has ` +
            `${ours ? ours.name : 'nothing'} there${has ? ` (and ${entry.name} at ${has.nr})` : ''}`);
        }
      }
    }
  }
  return problems;
}

const HEADER_NOTE: Readonly<Record<TableAbi, string>> = {
  x86_64: 'x86_64 (64-bit ABI), checked against Linux syscall_64.tbl ("common" and "64" entries)',
  i386: 'i386 (32-bit x86 ABI), checked against Linux syscall_32.tbl',
  x32: 'x32 ABI, checked against Linux syscall_64.tbl ("common" and "x32" entries)',
};

const CONST_NAME: Readonly<Record<TableAbi, string>> = { x86_64: 'X86_64_ROWS', i386: 'I386_ROWS', x32: 'X32_ROWS' };

function renderTable(abi: TableAbi, rows: readonly Row[], version: string): string {
  const out: string[] = [
    `// Generated by scripts/gen-syscalls.ts (npm run gen:syscalls) from libseccomp's syscalls.csv (${version}).`,
    `// ${HEADER_NOTE[abi]}.`,
    '// Do not edit: change the generator or its input and regenerate.',
    "import type { SyscallRow } from '../types.js';",
    '',
  ];
  if (abi === 'x32') {
    out.push('/** x32 system calls as [number, name, minKernel?], sorted by number; numbers WITHOUT the x32 bit. */');
  } else {
    out.push(`/** ${abi} system calls as [number, name, minKernel?], sorted by number. */`);
  }
  out.push(`export const ${CONST_NAME[abi]}: readonly SyscallRow[] = [`);
  for (const row of rows) {
    const kver = row.minKernel === undefined ? '' : `, '${row.minKernel}'`;
    out.push(`  [${row.nr}, '${row.name}'${kver}],`);
  }
  out.push('];', '');
  return out.join('\n');
}

/** Generated files, keyed by path relative to the repository root. Throws if the sources disagree. */
export function generateSyscallTables(sources: SyscallSources): Map<string, string> {
  const parsed = parseCsv(sources.csv);
  const problems = crossCheck(parsed.tables, sources);
  if (problems.length > 0) {
    throw new Error(`syscalls.csv disagrees with the kernel tables:\n  ${problems.join('\n  ')}`);
  }
  const files = new Map<string, string>();
  for (const abi of ABIS) files.set(`${TABLES_DIR}/${abi}.ts`, renderTable(abi, parsed.tables[abi], parsed.version));
  files.set(`${TABLES_DIR}/arches.ts`, renderArchTables(sources, parsed.version));
  files.set(`${TABLES_DIR}/source.ts`, [
    `// Generated by scripts/gen-syscalls.ts (npm run gen:syscalls). Do not edit.`,
    '',
    '/** The data the syscall tables were generated from. */',
    `export const SYSCALL_DATA_SOURCE = 'libseccomp syscalls.csv (${parsed.version}), checked against Linux ' +`,
    "  'syscall_64.tbl and syscall_32.tbl';",
    '',
  ].join('\n'));
  return files;
}

/** csv columns of the architectures beyond x86 (whose three tables above are checked against the kernel's). */
export const ARCH_COLUMNS = [
  'arm', 'aarch64', 'loongarch64', 'm68k', 'mips', 'mips64', 'mips64n32', 'parisc', 'parisc64', 'ppc', 'ppc64',
  'riscv64', 's390', 's390x', 'sh',
] as const;

/** The `AUDIT_ARCH_*` values the architecture descriptors use. */
export const AUDIT_ARCH_NAMES = [
  'I386', 'X86_64', 'ARM', 'AARCH64', 'LOONGARCH64', 'M68K', 'MIPS', 'MIPSEL', 'MIPS64', 'MIPSEL64', 'MIPS64N32',
  'MIPSEL64N32', 'PARISC', 'PARISC64', 'PPC', 'PPC64', 'PPC64LE', 'RISCV64', 'S390', 'S390X', 'SH', 'SHEL',
] as const;

/**
 * Defines the audit.h excerpt predates: `EM_LOONGARCH` (258, elf-em.h since Linux 5.19) and
 * `AUDIT_ARCH_LOONGARCH64` built from it as audit.h builds every 64-bit little-endian value.
 */
const LATER_DEFINES: ReadonlyMap<string, string> = new Map([
  ['EM_LOONGARCH', '258'],
  ['AUDIT_ARCH_LOONGARCH64', '(EM_LOONGARCH|__AUDIT_ARCH_64BIT|__AUDIT_ARCH_LE)'],
]);

/** Evaluates the `AUDIT_ARCH_*` values from the `#define`s of audit.h and elf-em.h (OR of names and numbers). */
export function parseAuditArches(text: string): Record<string, number> {
  const defines = new Map<string, string>();
  const joined = text.replace(/\\\n/g, ' ');
  for (const line of joined.split('\n')) {
    const m = /^#define\s+(\w+)\s+(.*?)\s*(?:\/\*.*)?$/.exec(line);
    if (m) defines.set(m[1]!, m[2]!);
  }
  for (const [name, value] of LATER_DEFINES) if (!defines.has(name)) defines.set(name, value);
  const evaluate = (name: string, depth: number): number => {
    const body = defines.get(name);
    if (body === undefined) throw new Error(`audit-arch.txt: ${name} is not defined`);
    if (depth > 8) throw new Error(`audit-arch.txt: ${name} is defined in terms of itself`);
    let value = 0;
    for (const token of body.replace(/[()]/g, '').split('|').map((t) => t.trim())) {
      if (/^(0x[0-9a-f]+|\d+)$/i.test(token)) value |= Number(token);
      else if (/^\w+$/.test(token)) value |= evaluate(token, depth + 1);
      else throw new Error(`audit-arch.txt: cannot read "${body}" (${name})`);
    }
    return value >>> 0;
  };
  return Object.fromEntries(AUDIT_ARCH_NAMES.map((n) => [n, evaluate(`AUDIT_ARCH_${n}`, 0)]));
}

/** Every csv column as one string: cells aligned with the name list, `nr`, `nr@kver` or empty (not present). */
export function parseArchColumns(csv: string): { names: string[]; columns: Record<string, string> } {
  const lines = csv.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');
  const header = (lines[0] ?? '').split(',');
  const names: string[] = [];
  const cells: Record<string, string[]> = {};
  const seen: Record<string, Map<number, string>> = {};
  for (const column of ARCH_COLUMNS) {
    if (header.indexOf(column) < 0 || header.indexOf(`${column}_kver`) < 0) {
      throw new Error(`syscalls.csv: no "${column}" / "${column}_kver" column`);
    }
    cells[column] = [];
    seen[column] = new Map();
  }
  for (const [index, line] of lines.slice(1).entries()) {
    const row = line.split(',');
    const name = row[0] ?? '';
    names.push(name);
    for (const column of ARCH_COLUMNS) {
      const where = `syscalls.csv line ${index + 2} (${name}, ${column})`;
      const nr = parseNumber(row[header.indexOf(column)] ?? '', where);
      const kver = parseKernelVersion(row[header.indexOf(`${column}_kver`)] ?? '', where);
      if (nr !== undefined) {
        const other = seen[column]!.get(nr);
        if (other !== undefined) throw new Error(`syscalls.csv: ${column} number ${nr} used by both ${other} and ${name}`);
        seen[column]!.set(nr, name);
      }
      cells[column]!.push(nr === undefined ? '' : kver === undefined ? String(nr) : `${nr}@${kver}`);
    }
  }
  return { names, columns: Object.fromEntries(ARCH_COLUMNS.map((c) => [c, cells[c]!.join(',')])) };
}

function renderArchTables(sources: SyscallSources, version: string): string {
  const { names, columns } = parseArchColumns(sources.csv);
  const audit = parseAuditArches(sources.auditArch);
  const out: string[] = [
    `// Generated by scripts/gen-syscalls.ts (npm run gen:syscalls) from libseccomp's syscalls.csv (${version}) and`,
    "// Linux's audit.h / elf-em.h. Do not edit: change the generator or its input and regenerate.",
    '',
    '/** Every syscall name of the csv, in its order, separated by spaces; the columns below align with it. */',
    `export const ARCH_TABLE_NAMES = '${names.join(' ')}';`,
    '',
    '/**',
    ' * One string per csv column: comma-separated cells aligned with ARCH_TABLE_NAMES, each empty (the ABI lacks',
    " * the call), a number as the csv gives it (without the MIPS ABIs' 4000/5000/6000 base) or number@kernel.",
    ' */',
    'export const ARCH_TABLE_COLUMNS = {',
    ...ARCH_COLUMNS.map((c) => `  ${c}: '${columns[c]}',`),
    '} as const;',
    '',
    '/** `AUDIT_ARCH_*` values, evaluated from their definitions in audit.h and elf-em.h. */',
    'export const AUDIT_ARCH_VALUES = {',
    ...AUDIT_ARCH_NAMES.map((n) => `  ${n}: 0x${audit[n]!.toString(16).padStart(8, '0')},`),
    '} as const;',
    '',
  ];
  return out.join('\n');
}

function main(argv: readonly string[]): number {
  const check = argv.includes('--check');
  let files: Map<string, string>;
  try {
    files = generateSyscallTables(readSources());
  } catch (err) {
    console.error(`gen-syscalls: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  let stale = 0;
  for (const [path, text] of files) {
    const full = join(REPO_ROOT, path);
    let current: string | undefined;
    try {
      current = readFileSync(full, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === text) continue;
    stale++;
    if (check) console.error(`gen-syscalls: ${path} is out of date`);
    else writeFileSync(full, text);
    if (!check) console.log(`wrote ${path}`);
  }
  if (stale === 0) console.log('gen-syscalls: tables up to date');
  return check && stale > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
