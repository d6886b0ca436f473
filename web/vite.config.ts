import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The playground: a static page built from web/ into dist-web/, importing the library from src/ as a user would. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist-web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // One script and one style sheet: no preload helper (it would fetch), no source maps.
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
  preview: { host: '127.0.0.1', port: 4173, strictPort: false },
});
