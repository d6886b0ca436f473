import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assemble } from '../src/bpf/asm.js';
import { encodeProgram } from '../src/bpf/encode.js';
import { formatC } from '../src/bpf/format-c.js';
import { cli } from './support/cli.js';
import { itWhen } from './support/require.js';

const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-bpf-cli-'));
const golden = join(import.meta.dirname, 'golden', 'bpf');
const source = readFileSync(join(golden, 'x86_64-allowlist.s'), 'utf8');
const program = assemble(source);
const raw = encodeProgram(program);

describe('seccomp-ts asm / disasm / check', () => {
  it('asm writes raw bytes to -o, and disasm of those bytes reads back to the same bytes', async () => {
    const out = join(dir, 'allow.bpf');
    const asm = await cli(['asm', '-', '-o', out], source);
    expect(asm).toMatchObject({ code: 0, stderr: '' });
    expect(Array.from(readFileSync(out))).toEqual(Array.from(raw));
    const dis = await cli(['disasm', out]);
    expect(dis.code).toBe(0);
    expect(dis.stdout).toBe(readFileSync(join(golden, 'x86_64-allowlist.disasm'), 'utf8'));
    const again = await cli(['asm', '-'], dis.stdout);
    expect(again.code).toBe(0);
    expect(Array.from(again.stdoutBytes)).toEqual(Array.from(raw));
  });

  it('asm refuses raw bytes on a terminal but writes text formats there', async () => {
    const tty = await cli(['asm', '-'], source, true);
    expect(tty.code).toBe(2);
    expect(tty.stderr).toMatch(/refusing to write raw filter bytes to a terminal/);
    expect(tty.stdout).toBe('');
    for (const format of ['c', 'hex', 'json']) {
      const r = await cli(['asm', '-', '--format', format], source, true);
      expect(r.code).toBe(0);
      const back = await cli(['check', '-'], r.stdout);
      expect(back.stdout).toBe('valid: 17 instructions\n');
    }
    expect((await cli(['asm', '-', '--format', 'c'], source)).stdout).toBe(formatC(program));
  });

  it('check: valid, invalid (first rule with the index, exit 1), --all, and input errors (exit 2)', async () => {
    writeFileSync(join(dir, 'ok.bpf'), raw);
    expect(await cli(['check', join(dir, 'ok.bpf')])).toMatchObject({ code: 0, stdout: 'valid: 17 instructions\n' });
    const bad = await cli(['check', '-'], 'A = data[2]\nA = mem[3]\nreturn ALLOW\n');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('invalid: instruction 0001 (A = mem[3]): mem[3] is loaded but not stored on every path that reaches it [memory-uninitialized]\n(1 more; --all lists them)\n');
    const all = await cli(['check', '-', '--all'], 'A = data[2]\nA = mem[3]\nreturn ALLOW\n');
    expect(all.stdout.split('\n').filter(Boolean)).toHaveLength(2);
    const partial = await cli(['check', '-', '--format', 'raw'], new Uint8Array(12));
    expect(partial.code).toBe(2);
    expect(partial.stderr).toBe('seccomp-ts: <stdin>: 12 bytes is not a whole number of 8-byte instructions: 4 stray bytes at byte offset 8\n');
    const syntax = await cli(['check', '-'], 'A = arch\nif (A = 3) goto 2\nreturn ALLOW\n');
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toBe('seccomp-ts: <stdin>: line 2, column 7: expected ==, !=, >, >=, <, <= or &, found "="\n');
    expect((await cli(['check', join(dir, 'missing.bpf')])).stderr).toMatch(/missing\.bpf: cannot read file \(ENOENT\)/);
    expect((await cli(['check', '-', '--format', 'yaml'], '')).stderr).toMatch(/unknown format "yaml"/);
    expect((await cli(['check'])).code).toBe(2);
  });

  it('asm refuses an invalid program unless --allow-invalid, naming line and column for syntax errors', async () => {
    const invalid = await cli(['asm', '-', '--format', 'hex'], 'A %= 3\nreturn ALLOW\n');
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/instruction 0000 \(A %= 3\): modulo .*not allowed in seccomp filters/);
    const forced = await cli(['asm', '-', '--format', 'hex', '--allow-invalid'], 'A %= 3\nreturn ALLOW\n');
    expect(forced).toMatchObject({ code: 0, stdout: '94 00 00 00 03 00 00 00\n06 00 00 00 00 00 ff 7f\n' });
    const far = await cli(['asm', '-'], `if (A == 1) goto end\n${'A = 0\n'.repeat(300)}end: return ALLOW\n`);
    expect(far.code).toBe(2);
    expect(far.stderr).toMatch(/line 1, column 18: jump to end is 301 instructions ahead; a conditional jump reaches at most 256/);
  });

  it('disasm --no-columns prints the text alone; --help explains each command', async () => {
    const r = await cli(['disasm', '-', '--no-columns'], source);
    expect(r.stdout.split('\n')[0]).toBe('A = arch');
    for (const c of ['asm', 'disasm', 'check']) {
      const h = await cli([c, '--help']);
      expect(h.code).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`usage: seccomp-ts ${c} FILE\\|-`));
    }
  });
});

const cc = spawnSync('cc', ['--version']);
describe('C output compiles to the same bytes', () => {
  itWhen(cc.status === 0 ? undefined : 'no C compiler (`cc`)', 'cc builds formatC output into an array equal to the encoded program', () => {
    const multi = assemble(readFileSync(join(golden, 'multi-arch.s'), 'utf8'));
    const scratch = assemble(readFileSync(join(golden, 'scratch-and-x.s'), 'utf8'));
    for (const [name, p] of [['allow', program], ['multi', multi], ['scratch', scratch]] as const) {
      const c = `${formatC(p)}
#include <stdio.h>
int main(void) { fwrite(filter, 1, sizeof(filter), stdout); return 0; }
`;
      const src = join(dir, `${name}.c`);
      const exe = join(dir, name);
      writeFileSync(src, c);
      const build = spawnSync('cc', ['-Wall', '-Werror', '-o', exe, src], { encoding: 'utf8' });
      expect(build.stderr).toBe('');
      expect(build.status).toBe(0);
      const run = spawnSync(exe);
      expect(Array.from(run.stdout)).toEqual(Array.from(encodeProgram(p)));
    }
  });
});

describe('CLI input and output errors', () => {
  it('disasm of an empty input is an error, not an empty listing', async () => {
    expect(await cli(['disasm', '-'], '')).toMatchObject({ code: 2, stdout: '', stderr: 'seccomp-ts: <stdin>: empty (expected a filter, or a policy to compile)\n' });
  });
  it('an output file that cannot be written is named, with no stack trace', async () => {
    const r = await cli(['asm', '-', '-o', join(dir, 'no/such/dir/out.bpf')], 'return ALLOW\n');
    expect(r).toMatchObject({ code: 2, stderr: `seccomp-ts: ${join(dir, 'no/such/dir/out.bpf')}: cannot write file (ENOENT)\n` });
  });
  it('raw bytes on a terminal are refused before the input is read', async () => {
    const r = await cli(['asm', join(dir, 'missing.s')], '', true);
    expect(r.stderr).toMatch(/^seccomp-ts: asm: refusing to write raw filter bytes to a terminal; use -o FILE, a pipe, or --format c\|hex\|json\n$/);
  });
  it('no command: the usage goes to stderr with exit 2; --help to stdout with exit 0', async () => {
    const none = await cli([]);
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toMatch(/^usage: seccomp-ts COMMAND/);
    const help = await cli(['--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toBe(none.stderr);
  });
  it('an unknown or incomplete flag gets one short line', async () => {
    expect((await cli(['check', '-', '--bogus'])).stderr)
      .toBe("seccomp-ts: check: unknown option '--bogus' (a value starting with '-' goes after '--') (see 'seccomp-ts check --help')\n");
    expect((await cli(['resolve', '--arch'])).stderr)
      .toBe("seccomp-ts: resolve: option '--arch <value>' argument missing (see 'seccomp-ts resolve --help')\n");
    expect(await cli(['resolve', 'read', '--arch', 'i386', '--arch', 'x32'])).toMatchObject({ code: 2, stdout: '',
      stderr: "seccomp-ts: resolve: --arch given more than once (see 'seccomp-ts resolve --help')\n" });
    // Flags meant to repeat still do.
    expect((await cli(['compile', '--profile', 'hardened', '--arch', 'x86_64', '--arch', 'x32', '--format', 'hex'])).code).toBe(0);
  });
});

describe('programs read from JSON', () => {
  it('a policy given where a program is expected says what it is', async () => {
    const r = await cli(['check', '-', '--format', 'json'], '{"defaultAction": "ALLOW", "arches": ["x86_64"], "rules": []}\n');
    expect(r).toMatchObject({ code: 2, stderr: 'seccomp-ts: <stdin>: $: expected an array of {code, jt, jf, k}, got an ' +
      'object (a policy or a Docker/OCI profile is compiled into a program first)\n' });
  });
});
