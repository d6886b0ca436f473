/**
 * Debian's Chromium driven by playwright-core, for the playground's tests and benchmark: headless, no sandbox
 * (CI runs as root), nothing fetched from the network, a fresh profile folder removed on close.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';
import type { Missing } from './require.js';

export { CHROMIUM, CHROMIUM_ARGS };

/** Why Chromium cannot be used here, or undefined when it can. */
export function chromiumMissing(): Missing {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return undefined;
  } catch {
    return `${CHROMIUM} not found (apt-get install chromium; scripts/install-test-deps.sh does)`;
  }
}

/** A browser with a fresh profile; `close` ends it and removes the profile. */
export async function launchChromium(viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'seccomp-ts-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport, acceptDownloads: true,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Builds the playground into OUT (a fresh folder) with the project's Vite. */
export function buildPlayground(root: string, out: string): void {
  execFileSync(join(root, 'node_modules', '.bin', 'vite'), ['build', '--config', 'web/vite.config.ts', '--outDir', out, '--emptyOutDir'], {
    cwd: root, stdio: 'pipe', timeout: 120_000,
  });
}
