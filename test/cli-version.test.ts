/** `seccomp-ts --version` and `-V`: the version in package.json, from source and from the built bundle. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';
import { builtCli, runBuiltCli } from './support/built-cli.js';

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };

describe('--version', () => {
  it.each([['--version'], ['-V']])('%s from source prints the package version', async (flag) => {
    expect(await cli([flag])).toEqual({ code: 0, stdout: `seccomp-ts ${pkg.version}\n`, stdoutBytes: expect.anything(), stderr: '' });
  });

  it.each([['--version'], ['-V']])('%s from the built CLI prints the same, with only the version copied into the bundle', (flag) => {
    const r = runBuiltCli([flag]);
    expect(r).toMatchObject({ status: 0, stdout: `seccomp-ts ${pkg.version}\n`, stderr: '' });
    const bundle = readFileSync(builtCli(), 'utf8');
    expect(bundle).not.toContain('"devDependencies"');
    expect(bundle).not.toContain(pkg.devDependencies.vitest!);
  });

  it('the help names it', async () => {
    expect((await cli(['--help'])).stdout).toMatch(/seccomp-ts --version' \(-V\) prints the version/);
  });
});
