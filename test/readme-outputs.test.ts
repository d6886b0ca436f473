/**
 * Every file the README's tour writes (`-o FILE`, `> FILE`, `cat > FILE`) is ignored by git, so following the tour
 * in a clone leaves `git status` clean. Nothing is run: the paths are read from the README's shell blocks.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { itWhen } from './support/require.js';

const ROOT = join(import.meta.dirname, '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Output paths named in the README's sh blocks. */
function tourOutputs(text: string): string[] {
  const blocks = [...text.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const paths = new Set<string>();
  for (const block of blocks) {
    for (const line of block.split('\n')) {
      const command = line.replace(/\s#.*$/, '');
      for (const m of command.matchAll(/(?:^|\s)(?:-o|--output)[ =]([^\s;|&)]+)|(?:^|[^0-9&>])>>?\s*([^\s;|&)]+)/g)) {
        const path = m[1] ?? m[2];
        if (path !== undefined && !path.startsWith('/dev/') && !path.startsWith('&')) paths.add(path);
      }
    }
  }
  return [...paths].sort();
}

const git = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: ROOT, encoding: 'utf8' });
const noGit = git.status !== 0 ? `not a git checkout or git missing (${(git.stderr || String(git.error)).trim()})` : undefined;

describe("the README's tour outputs", () => {
  const outputs = tourOutputs(readme);

  it('are found in the README (the extraction sees the tour)', () => {
    expect(outputs).toEqual(expect.arrayContaining(['hardened.bpf', 'hardened.s', 'policy.json', 'tuned.json', 'again.bpf']));
    expect(outputs.every((p) => !p.startsWith('/dev/'))).toBe(true);
  });

  itWhen(noGit, 'are each ignored by git', () => {
    const r = spawnSync('git', ['check-ignore', '--no-index', '--verbose', '--non-matching', ...outputs], { cwd: ROOT, encoding: 'utf8' });
    const notIgnored = r.stdout.split('\n').filter((l) => l.startsWith('::')).map((l) => l.replace(/^::\s+/, ''));
    expect(notIgnored).toEqual([]);
  });

  itWhen(noGit, 'while the files the repository keeps in its root are not', () => {
    const r = spawnSync('git', ['check-ignore', '--no-index', 'package.json', 'tsconfig.json', 'README.md', 'src/index.ts', 'test/fixtures/x.json'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout).toBe('');
  });
});
