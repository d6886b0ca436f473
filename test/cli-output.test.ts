/** The CLI's stdout and stderr: a reader that goes away early or a full disk ends the process without a stack trace. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assemble } from '../src/bpf/asm.js';
import { encodeProgram } from '../src/bpf/encode.js';
import { EXIT_BROKEN_PIPE } from '../src/cli/output.js';
import { bashWithCli } from './support/built-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-output-'));
// 4,096 instructions disassemble to far more than a pipe holds (64 KiB), so the writer meets the closed pipe.
const big = join(dir, 'big.bpf');
writeFileSync(big, encodeProgram(assemble(`${'A = sys_number\n'.repeat(4095)}return ALLOW\n`)));

describe('output to a pipe that closes early', () => {
  it.each([
    ['disasm big.bpf | head -1', `$CLI disasm ${big} | head -1`],
    ['explain profile:docker-default --json | head -c 10', '$CLI explain profile:docker-default --json | head -c 10'],
    ['diff … --json | head', '$CLI diff profile:hardened profile:docker-default --json | head'],
    ['asm --format hex | head -c 1', `$CLI asm ${big} --format hex | head -c 1`],
  ])('%s: no message, status 141 as for cat', (_name, pipeline) => {
    const r = bashWithCli(`${pipeline} >/dev/null; echo "\${PIPESTATUS[0]}"`);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(String(EXIT_BROKEN_PIPE));
  });

  it('cat gives the same status in the same pipeline (the status imitated)', () => {
    const r = bashWithCli(`cat ${big} ${big} ${big} ${big} ${big} ${big} ${big} ${big} ${big} | head -c 1 >/dev/null; echo "\${PIPESTATUS[0]}"`);
    expect(r.stdout.trim()).toBe(String(EXIT_BROKEN_PIPE));
  });

  it('a small output read in full is not affected', () => {
    const r = bashWithCli(`$CLI check ${big} | head -c 5; echo " \${PIPESTATUS[0]}"`);
    expect(r).toMatchObject({ stderr: '', stdout: 'valid 0\n' });
  });

  it('stderr closed early (sync and callback writes) ends quietly with 141 too', () => {
    const script = `
      import { processOutput } from ${JSON.stringify(join(import.meta.dirname, '../src/cli/output.ts'))};
      const io = processOutput();
      for (let i = 0; i < 2000; i++) io.stderr('x'.repeat(1000) + '\\n');
      await new Promise((r) => setTimeout(r, 200));
      process.exitCode = 0;`;
    const file = join(dir, 'stderr.mts');
    writeFileSync(file, script);
    const r = spawnSync('bash', ['-c', `${process.execPath} --import tsx ${file} 2>&1 >/dev/null | head -c 1 >/dev/null; echo "\${PIPESTATUS[0]}"`],
      { encoding: 'utf8', timeout: 60_000, cwd: join(import.meta.dirname, '..') });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(String(EXIT_BROKEN_PIPE));
  });
});

describe('output that cannot be written', () => {
  it('stdout on a full disk (/dev/full): one line naming the error, status 2', () => {
    const r = bashWithCli(`$CLI disasm ${big} >/dev/full; echo "status $?"`);
    expect(r.stderr).toBe('seccomp-ts: cannot write to stdout (ENOSPC)\n');
    expect(r.stdout).toBe('status 2\n');
  });
});
