/**
 * The public API: `src/index.ts` lists its exports explicitly, keeps optimizer internals out, and every name the
 * README's "Library API" table shows is exported from the entry the row names.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiExports } from '../scripts/api-exports.js';

const ROOT = join(import.meta.dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Each row of the README's Library API table: its entry (from the row's label) and the names in it. */
function tableRows(): { label: string; entry: string; names: string[] }[] {
  const section = README.slice(README.indexOf('## Library API'));
  const rows = section.split('\n').filter((l) => /^\| [^-|]/.test(l) && !l.startsWith('| Task'));
  return rows.map((row) => {
    const [label = '', names = ''] = row.split('|').slice(1).map((c) => c.trim());
    const entry = /`seccomp-ts\/(testing|userns|linux)`/.exec(label)?.[1] ?? (label === 'testing kit' ? 'testing' : 'index');
    return { label, entry, names: [...names.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((m) => m[1]!) };
  });
}

describe('the public API', () => {
  it('is listed explicitly: no export * in the entries', () => {
    for (const entry of ['index', 'testing/index', 'userns/index', 'linux/index']) {
      expect(readFileSync(join(ROOT, 'src', `${entry}.ts`), 'utf8')).not.toMatch(/^export (type )?\* from/m);
    }
  });

  it('documents every exported name with TSDoc, in every entry', () => {
    const undocumented = ['index', 'testing/index', 'userns/index', 'linux/index'].flatMap((entry) =>
      apiExports(join(ROOT, 'src', `${entry}.ts`), ROOT).filter((e) => !e.documented).map((e) => `${entry}: ${e.name} (${e.file})`));
    // A name here needs a one-sentence /** … */ comment on its declaration.
    expect(undocumented).toEqual([]);
  });

  it('keeps optimizer internals out', () => {
    const names = new Set(apiExports(join(ROOT, 'src/index.ts'), ROOT).map((e) => e.name));
    for (const internal of ['lowerCaseChains', 'MIN_CASE_CHAIN', 'dispatchRuns', 'emitValueSearch', 'ValueRun', 'DispatchRun', 'DispatchOutcome', 'compileFilter']) {
      expect(names.has(internal), internal).toBe(false);
    }
  });

  it("exports every name the README's Library API table shows, from the entry its row names", () => {
    const exported = new Map<string, Set<string>>();
    const missing: string[] = [];
    for (const row of tableRows()) {
      if (!exported.has(row.entry)) {
        exported.set(row.entry, new Set(apiExports(join(ROOT, 'src', row.entry === 'index' ? 'index.ts' : `${row.entry}/index.ts`), ROOT).map((e) => e.name)));
      }
      for (const name of row.names) if (!exported.get(row.entry)!.has(name)) missing.push(`${row.label}: ${name}`);
    }
    expect(tableRows().length).toBeGreaterThan(8);
    // A name here is in the README table but not exported: export it from the entry, or fix the table.
    expect(missing).toEqual([]);
  });
});
