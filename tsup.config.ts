import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

const ROOT = dirname(fileURLToPath(import.meta.url));

/**
 * Puts the loader for the output format (src/testing/peer/esm.ts or cjs.ts) in place of src/testing/fast-check.ts,
 * so that `seccomp-ts/testing` without fast-check installed fails with one line naming it, in either format.
 */
export const fastCheckPeerPlugin = (format: 'esm' | 'cjs') => ({
  name: `fast-check-peer-${format}`,
  setup(build: { onResolve(o: { filter: RegExp }, f: (a: { path: string; importer: string }) => { path: string } | undefined): void }) {
    // The output format is given, not read from esbuild's options: tsup builds split CommonJS as ESM first.
    build.onResolve({ filter: /^\.\/fast-check\.js$/ }, (args) => {
      if (dirname(args.importer) !== join(ROOT, 'src', 'testing')) return undefined;
      return { path: join(ROOT, 'src', 'testing', 'peer', `${format}.ts`) };
    });
  },
});

/** The library's entries: the root, seccomp-ts/testing and seccomp-ts/userns, as ESM and CommonJS. */
const libraryEntries = { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts', 'userns/index': 'src/userns/index.ts' };

/**
 * Each format shares one chunk between the entries (not a copy of the library per entry). No source maps in the
 * package: they would be most of its size, and the code is readable as it is.
 */
const libraryCommon: Options = {
  entry: libraryEntries,
  dts: true,
  sourcemap: false,
  splitting: true,
  target: 'es2022',
  external: ['fast-check'],
};

// No `clean`: the builds run in parallel and a clean in one removes another's declaration files (npm run build
// empties dist/ first).
export const libraryConfig: Options = { ...libraryCommon, format: ['esm'], esbuildPlugins: [fastCheckPeerPlugin('esm')] };
export const libraryCjsConfig: Options = { ...libraryCommon, format: ['cjs'], esbuildPlugins: [fastCheckPeerPlugin('cjs')] };

/**
 * The kernel side, seccomp-ts/linux (Node only, ESM only), and the launcher process that run and record spawn
 * (dist/linux/launcher.js, found beside the entry or from the CLI); koffi is loaded at run time.
 */
export const linuxConfig: Options = {
  entry: { 'linux/index': 'src/linux/index.ts', 'linux/launcher': 'src/linux/launcher.ts' },
  format: ['esm'],
  dts: { entry: { 'linux/index': 'src/linux/index.ts' } },
  sourcemap: false,
  target: 'node20',
  platform: 'node',
  external: ['koffi', 'fast-check'],
};

/**
 * The CLI: a CommonJS bundle with a shebang, split into chunks, all under dist/cli/ beside a package.json that makes
 * them CommonJS (the package is ESM). CommonJS because Node starts it faster: no ES module loader to set up, and
 * each chunk is read and linked synchronously; about 5 ms of a cold start of 90 (docs/performance.md).
 */
export const cliConfig: Options = {
  entry: { 'cli/main': 'src/cli/main.ts' },
  format: ['cjs'],
  outExtension: () => ({ js: '.js' }),
  // Each command in its own chunk, loaded when it runs: starting the CLI parses only what the command needs.
  splitting: true,
  // import.meta.url, which finds the launcher and koffi (src/linux), from the chunk's own file name.
  shims: true,
  target: 'node20',
  platform: 'node',
  banner: { js: '#!/usr/bin/env node' },
  external: ['fast-check', 'koffi'],
  // The YAML reader (bundled, loaded only for YAML input) in its ES module build: its Node build is CommonJS
  // and requires `process`, which an ESM bundle cannot.
  esbuildOptions(options) {
    options.alias = { ...options.alias, yaml: join(ROOT, 'node_modules', 'yaml', 'browser', 'index.js') };
    options.chunkNames = 'cli/[name]-[hash]';
  },
  async onSuccess() {
    writeFileSync(join(ROOT, 'dist', 'cli', 'package.json'), '{ "type": "commonjs" }\n');
  },
};

export default defineConfig([libraryConfig, libraryCjsConfig, linuxConfig, cliConfig]);
