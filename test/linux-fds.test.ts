/**
 * Which descriptors `run` and `record` pass on to CMD: those this process inherited, less any that closed (or
 * were reused for another file) after start-up, as a module loader's short-lived ones do.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';

const TSX = `file://${createRequire(import.meta.url).resolve('tsx')}`;
const FDS = new URL('../src/linux/fds.ts', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-fds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('inherited descriptors', () => {
  it('keeps those still open on the same file, drops one closed or reused since start-up', () => {
    // The child inherits 3, 4 and 5; after loading the module it closes 4 and 5 and opens another file (at 4, the
    // lowest free number): one number reused, one closed.
    const script = join(dir, 'child.mts');
    writeFileSync(script, [
      "import { closeSync, openSync } from 'node:fs';",
      `const { inheritedFds, listInheritedFds } = await import(${JSON.stringify(FDS)});`,
      'const before = listInheritedFds();',
      'closeSync(4);',
      'closeSync(5);',
      `const reused = openSync(${JSON.stringify(join(dir, 'other'))}, 'w');`,
      'console.log(JSON.stringify({ before, reused, after: inheritedFds() }));',
    ].join('\n'));
    const files = ['a', 'b', 'c'].map((n) => openSync(join(dir, n), 'w'));
    try {
      const r = spawnSync(process.execPath, ['--import', TSX, script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', ...files] });
      expect(r.status, r.stderr).toBe(0);
      const { before, reused, after } = JSON.parse(r.stdout) as { before: number[]; reused: number; after: number[] };
      expect(before).toEqual(expect.arrayContaining([3, 4, 5]));
      expect(reused).toBe(4);
      expect(after).toContain(3);
      expect(after).not.toContain(4);
      expect(after).not.toContain(5);
    } finally {
      for (const fd of files) closeSync(fd);
    }
  });
});
