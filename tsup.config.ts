import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

const ROOT = dirname(fileURLToPath(import.meta.url));

/**
 * Puts the loader for the output format (src/testing/peer/esm.ts or cjs.ts) in place of src/testing/fast-check.ts,
 * so that `seccomp-ts/testing` without fast-check installed fails with one line naming it, in either format.
 */
export const fastCheckPeerPlugin = {
  name: 'fast-check-peer',
  setup(build: { initialOptions: { format?: string }; onResolve(o: { filter: RegExp }, f: (a: { path: string; importer: string }) => { path: string } | undefined): void }) {
    build.onResolve({ filter: /^\.\/fast-check\.js$/ }, (args) => {
      if (dirname(args.importer) !== join(ROOT, 'src', 'testing')) return undefined;
      const format = build.initialOptions.format === 'cjs' ? 'cjs' : 'esm';
      return { path: join(ROOT, 'src', 'testing', 'peer', `${format}.ts`) };
    });
  },
};

/** The library's entries: the root, seccomp-ts/testing and seccomp-ts/userns, as ESM and CommonJS. */
export const libraryConfig: Options = {
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts', 'userns/index': 'src/userns/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['fast-check'],
  esbuildPlugins: [fastCheckPeerPlugin],
};

/** The CLI: one ESM bundle with a shebang. */
export const cliConfig: Options = {
  entry: { 'cli/main': 'src/cli/main.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  banner: { js: '#!/usr/bin/env node' },
  external: ['fast-check'],
};

export default defineConfig([libraryConfig, cliConfig]);
