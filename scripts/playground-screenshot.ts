/**
 * Writes docs/playground.png, the README's picture of the playground: docker-default at 1280×800 with
 * `kexec_load` emulated, in headless Chromium. `node --import tsx scripts/playground-screenshot.ts`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPlayground, chromiumMissing, launchChromium } from '../test/support/browser.js';
import { serveStatic } from '../test/support/static-server.js';

const ROOT = join(import.meta.dirname, '..');
const missing = chromiumMissing();
if (missing !== undefined) {
  process.stderr.write(`playground-screenshot: ${missing}\n`);
  process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), 'seccomp-ts-screenshot-'));
try {
  buildPlayground(ROOT, join(work, 'dist-web'));
  const server = await serveStatic(join(work, 'dist-web'));
  const browser = await launchChromium({ width: 1280, height: 800 });
  try {
    const page = await browser.context.newPage();
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${server.origin}/#profile:docker-default`);
    await page.waitForSelector('body[data-state=ready]');
    await page.fill('#emu-syscall', 'kexec_load');
    await page.waitForFunction(() => document.querySelector('#verdict')?.textContent?.includes('kexec_load'));
    await page.waitForSelector('#why:not([aria-busy])');
    // The start of the path (the arch and number checks) rather than the return it reached.
    await page.$eval('#disasm', (list) => { list.scrollTop = 0; });
    await page.screenshot({ path: join(ROOT, 'docs', 'playground.png') });
  } finally {
    await browser.close();
    await server.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
