/** Golden files under test/golden/: compare, or rewrite with SECCOMP_TS_UPDATE_GOLDEN=1 (UPDATE_GOLDEN=1 too). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const GOLDEN_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden');
const UPDATE = process.env.SECCOMP_TS_UPDATE_GOLDEN === '1' || process.env.UPDATE_GOLDEN === '1';

/** The checker for test/golden/SUBDIR: `expectGolden(name, actual)` fails naming the file when they differ. */
export function goldenDir(subdir: string): { readonly dir: string; expectGolden(name: string, actual: string): void } {
  const dir = join(GOLDEN_ROOT, subdir);
  return {
    dir,
    expectGolden(name, actual) {
      const path = join(dir, name);
      if (UPDATE || !existsSync(path)) {
        if (!UPDATE) throw new Error(`golden file ${path} missing (run with SECCOMP_TS_UPDATE_GOLDEN=1 to create it)`);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, actual);
        return;
      }
      expect(actual, `output differs from ${path}`).toBe(readFileSync(path, 'utf8'));
    },
  };
}
