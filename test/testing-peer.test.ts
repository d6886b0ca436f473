/**
 * `seccomp-ts/testing` as a consumer installs it: built as `npm run build` builds it (ESM and CommonJS), copied into
 * a folder of its own, and imported with and without its peer dependency fast-check.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'tsup';
import { beforeAll, describe, expect, it } from 'vitest';
import { libraryCjsConfig, libraryConfig } from '../tsup.config.js';
import { MISSING_FAST_CHECK } from '../src/testing/peer/missing.js';

const ROOT = join(import.meta.dirname, '..');
const app = mkdtempSync(join(tmpdir(), 'seccomp-ts-peer-'));
const pkg = join(app, 'node_modules', 'seccomp-ts');

beforeAll(async () => {
  // The library build's own options (the peer loader plugin included), for the testing entry only; config: false
  // keeps tsup from also merging in every build of tsup.config.ts.
  for (const config of [libraryConfig, libraryCjsConfig]) {
    await build({
      ...config, entry: { 'testing/index': 'src/testing/index.ts' }, outDir: join(pkg, 'dist'),
      dts: false, sourcemap: false, silent: true, config: false, clean: false,
    });
  }
  cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  // Without fast-check, the consumer imports only the kit (its own import of fast-check would fail first).
  writeFileSync(join(app, 'kit.mjs'), "import { expectFilter } from 'seccomp-ts/testing';\nconsole.log(typeof expectFilter);\n");
  writeFileSync(join(app, 'kit.cjs'), "const { expectFilter } = require('seccomp-ts/testing');\nconsole.log(typeof expectFilter);\n");
  writeFileSync(join(app, 'esm.mjs'), "import { expectFilter, syscallArb } from 'seccomp-ts/testing';\nimport fc from 'fast-check';\nconsole.log(typeof expectFilter, fc.sample(syscallArb('x86_64'), 3).length);\n");
  writeFileSync(join(app, 'cjs.cjs'), "const { expectFilter, syscallArb } = require('seccomp-ts/testing');\nconst fc = require('fast-check');\nconsole.log(typeof expectFilter, fc.sample(syscallArb('x86_64'), 3).length);\n");
}, 120_000);

const run = (file: string) => spawnSync(process.execPath, [file], { cwd: app, encoding: 'utf8', timeout: 30_000 });

describe('seccomp-ts/testing without fast-check installed', () => {
  it.each([['ESM', 'kit.mjs'], ['CommonJS', 'kit.cjs']])('%s: fails with one line naming the missing peer, no stack', (_kind, file) => {
    const r = run(file);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines.filter((l) => l.includes('fast-check'))).toEqual([`[Error: ${MISSING_FAST_CHECK}]`]);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/Cannot find (module|package)/);
  });
});

describe('seccomp-ts/testing with fast-check installed', () => {
  it.each([['ESM', 'esm.mjs'], ['CommonJS', 'cjs.cjs']])('%s: loads and samples with the consumer\'s fast-check', (_kind, file) => {
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    try {
      symlinkSync(join(ROOT, 'node_modules', 'fast-check'), join(app, 'node_modules', 'fast-check'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const r = run(file);
    expect(r).toMatchObject({ status: 0, stdout: 'function 3\n', stderr: '' });
  });
});
