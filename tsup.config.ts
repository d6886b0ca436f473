import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts', 'userns/index': 'src/userns/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    external: ['fast-check'],
  },
  {
    // The kernel side: Node only, ESM only, koffi loaded at run time.
    entry: { 'linux/index': 'src/linux/index.ts', 'linux/launcher': 'src/linux/launcher.ts' },
    format: ['esm'],
    dts: { entry: { 'linux/index': 'src/linux/index.ts' } },
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    external: ['koffi', 'fast-check'],
  },
  {
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
    external: ['fast-check', 'koffi'],
  },
]);
