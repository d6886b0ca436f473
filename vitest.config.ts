import { accessSync, constants } from 'node:fs';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { CHROMIUM, CHROMIUM_ARGS } from './test/support/chromium.js';

/**
 * Library tests that run unchanged in Chromium as well as in Node (project `chromium`): the emulator, the
 * compiler, the validator, policies and analyses, with no Node import anywhere in what they load. They show that
 * the library runs in a browser, not just that it builds for one.
 */
export const BROWSER_SLICE = [
  'test/emulator.test.ts', 'test/compiler.test.ts', 'test/bpf-validator.test.ts', 'test/policy.test.ts',
  'test/analysis-diff.test.ts', 'test/analysis-cache.test.ts',
];

const strict = process.env.CI === 'true' || process.env.CI === '1' || process.env.SECCOMP_TS_STRICT === '1';
let chromium: string | undefined;
try {
  accessSync(CHROMIUM, constants.X_OK);
} catch {
  chromium = `${CHROMIUM} not found (apt-get install chromium; scripts/install-test-deps.sh does)`;
}
// Without Chromium the browser project is left out with the reason printed; in CI it runs and fails instead.
if (chromium !== undefined && !strict) console.warn(`[seccomp-ts tests] skipped the chromium project (${BROWSER_SLICE.length} files): ${chromium}`);

const browserProject: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: 'chromium',
    include: BROWSER_SLICE,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({ launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS } }),
      instances: [{ browser: 'chromium' }],
    },
  },
};

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'node', include: ['test/**/*.test.ts'], pool: 'forks' } },
      ...(chromium === undefined || strict ? [browserProject] : []),
    ],
  },
});
