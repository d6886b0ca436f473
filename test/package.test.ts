/**
 * The package as a user gets it: `npm pack` (which builds), the tarball installed into a fresh folder without
 * network, then the README's library example in ESM and CommonJS, the subpath entries, and the README's first
 * CLI commands run from `node_modules/.bin`. Also what the tarball holds and leaves out.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'seccomp-ts-pack-'));
const app = join(work, 'app');
let files: string[] = [];
let tarball = '';

beforeAll(() => {
  // npm pack builds through the prepare script; build first so that its log does not mix with pack's JSON.
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe', timeout: 180_000 });
  const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 })) as [{ filename: string; files: { path: string }[] }];
  files = packed[0].files.map((f) => f.path);
  tarball = join(work, packed[0].filename);
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--omit=optional', '--ignore-scripts', join(work, packed[0].filename)], { cwd: app, stdio: 'pipe', timeout: 180_000 });
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const node = (file: string, code: string) => {
  writeFileSync(join(app, file), code);
  return spawnSync(process.execPath, [file], { cwd: app, encoding: 'utf8', timeout: 60_000 });
};

const LIBRARY_EXAMPLE = `
const p = policy('x86_64')
  .defaultAction('ERRNO(EPERM)')
  .allow(['read', 'write', 'exit_group'])
  .errno('EAFNOSUPPORT', 'socket', arg32(0).gt(16))
  .allow('socket')
  .build();
const v = evaluatePolicy(p, { arch: 'x86_64', nr: 41, args: [17n] });
const { program } = compilePolicy(p);
const bytes = encodeProgram(program);
const docker = getProfile('docker-default');
console.log(JSON.stringify(v), bytes.length === program.length * 8, docker.arches.join(','));
`;
const EXPECTED = '{"kind":"ERRNO","data":97} true x86_64,i386,x32\n';

describe('the packed package', () => {
  it('holds the builds, the docs the README links to, LICENSE and CHANGELOG, and no source maps', () => {
    for (const f of ['dist/index.js', 'dist/index.cjs', 'dist/testing/index.cjs', 'dist/userns/index.js', 'dist/cli/main.js', 'dist/linux/launcher.js', 'LICENSE', 'CHANGELOG.md', 'README.md', 'docs/policy.md', 'examples/testing/socket-policy.ts']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    // Every relative link of the README resolves inside the package.
    const links = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/\]\((?!https?:|#)([^)#]+)/g)].map((m) => m[1]!);
    expect(links.filter((l) => !files.includes(l))).toEqual([]);
  });

  it('runs the README library example in ESM and in CommonJS', () => {
    const esm = node('example.mjs', `import { policy, arg32, compilePolicy, evaluatePolicy, encodeProgram, getProfile } from 'seccomp-ts';\n${LIBRARY_EXAMPLE}`);
    expect([esm.status, esm.stdout, esm.stderr]).toEqual([0, EXPECTED, '']);
    const cjs = node('example.cjs', `const { policy, arg32, compilePolicy, evaluatePolicy, encodeProgram, getProfile } = require('seccomp-ts');\n${LIBRARY_EXAMPLE}`);
    expect([cjs.status, cjs.stdout, cjs.stderr]).toEqual([0, EXPECTED, '']);
  });

  it('resolves the subpath entries in ESM and CommonJS', () => {
    const esm = node('subpaths.mjs', "import { kernelMapWrite } from 'seccomp-ts/userns';\nconsole.log(kernelMapWrite('0 100000 65536', 'uid', { privileged: true, euid: 0, egid: 0 }).ok);\n");
    expect([esm.status, esm.stdout]).toEqual([0, 'true\n']);
    const cjs = node('subpaths.cjs', "const { toHost } = require('seccomp-ts/userns');\nconsole.log(toHost([{ containerId: 0, hostId: 100000, size: 65536 }], 5));\n");
    expect([cjs.status, cjs.stdout]).toEqual([0, '100005\n']);
  });

  it('passes publint, and arethetypeswrong for every entry and resolution (seccomp-ts/linux is ESM only)', () => {
    const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
    // Colours off (CI turns them on); any left are stripped.
    const plain = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    const lint = spawnSync(bin('publint'), ['--strict'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: plain });
    const lastLine = lint.stdout.replace(/\u001b\[[0-9;]*m/g, '').trim().split('\n').at(-1);
    expect([lint.status, lastLine]).toEqual([0, 'All good!']);
    const types = spawnSync(bin('attw'), [tarball, '--ignore-rules', 'no-resolution', '--format', 'ascii'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: plain });
    expect([types.status, types.stderr]).toEqual([0, '']);
  });

  it('generates the API documentation with TypeDoc without errors', () => {
    const out = join(work, 'api-docs');
    const doc = spawnSync(join(ROOT, 'node_modules', '.bin', 'typedoc'), ['--entryPoints', 'src/index.ts', 'src/testing/index.ts', 'src/userns/index.ts', 'src/linux/index.ts', '--out', out, '--logLevel', 'Error'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
    expect([doc.status, doc.stderr]).toEqual([0, '']);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('seccomp-ts');
  });

  it('runs the README set-up command and a few more from node_modules/.bin', () => {
    const bin = join(app, 'node_modules', '.bin', 'seccomp-ts');
    const asm = spawnSync(bin, ['compile', '--profile', 'hardened', '--format', 'asm'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    expect([asm.status, asm.stderr]).toEqual([0, '']);
    expect(asm.stdout).toMatch(/return ERRNO\(EAFNOSUPPORT\)/);
    const resolve = spawnSync(bin, ['resolve', 'getcwd', '--arch', 'i386'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    expect(resolve.stdout.trim()).toMatch(/183/);
    const version = spawnSync(bin, ['--version'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    expect(version.stdout.trim()).toBe(`seccomp-ts ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}`);
  });
});
