/**
 * The library as it ships, for timing: src/index.ts bundled by tsup the way `npm run build` bundles it (es2022,
 * no source maps), as CommonJS so that it loads synchronously. The benchmarks otherwise run the source through
 * the development loader (tsx), whose transform wraps every function it creates to keep its name: a compile of a
 * small policy costs a quarter to a third more that way than in the package users install. Built afresh on each
 * run (under a second) so that it never lags the source.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BENCH_DIR, OUT_DIR } from './native.js';

type Library = typeof import('../src/index.js');

const SHIPPED_DIR = join(OUT_DIR, 'shipped');
const BUILD = `
import { build } from 'tsup';
await build({
  entry: { index: 'src/index.ts' }, format: ['cjs'], outDir: ${JSON.stringify(SHIPPED_DIR)}, dts: false, sourcemap: false,
  splitting: false, target: 'es2022', silent: true, clean: true, config: false,
});
`;

let loaded: Library | undefined;

/** The bundled library (built on first use in this process). */
export function shippedLibrary(): Library {
  if (loaded === undefined) {
    execFileSync(process.execPath, ['--input-type=module', '-e', BUILD], { cwd: join(BENCH_DIR, '..'), stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });
    loaded = createRequire(import.meta.url)(join(SHIPPED_DIR, 'index.cjs')) as Library;
  }
  return loaded;
}
