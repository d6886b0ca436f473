import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../src/policy/index.js';
import { dockerDefaultPolicy } from '../src/policy/oci/docker-default.js';
import { findProfile, getProfile, listProfiles, registerProfile } from '../src/policy/profiles/index.js';
import { resolveSyscall } from '../src/syscalls/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('built-in profile registry', () => {
  it('knows both built-ins without importing the Docker/OCI module', () => {
    expect(listProfiles().slice(0, 2).map((p) => [p.name, p.origin])).toEqual([['hardened', 'policy'], ['docker-default', 'oci']]);
    expect(getProfile('docker-default')).toEqual(dockerDefaultPolicy());
  });
  it('builds a profile once and hands out copies a caller cannot spoil for the next', () => {
    let builds = 0;
    registerProfile({ name: 'counted', description: 'x', build: () => { builds++; return getProfile('hardened'); } });
    const a = getProfile('counted');
    (a.rules as unknown[]).length = 0;
    expect(getProfile('counted').rules.length).toBeGreaterThan(0);
    expect(builds).toBe(1);
  });
  it('a registration may replace a built-in, and the list keeps one entry per name', () => {
    const original = findProfile('hardened');
    registerProfile({ name: 'hardened', description: 'replaced', build: () => ({ defaultAction: { kind: 'LOG' }, arches: ['x86_64'], rules: [] }) });
    try {
      expect(getProfile('hardened').defaultAction).toEqual({ kind: 'LOG' });
      expect(listProfiles().filter((p) => p.name === 'hardened').map((p) => p.description)).toEqual(['replaced']);
    } finally {
      if (original) registerProfile(original);
    }
    expect(getProfile('hardened').defaultAction).toEqual({ kind: 'ALLOW' });
  });
  it('an unknown name lists every known one', () => {
    expect(() => getProfile('docker')).toThrow(/unknown profile 'docker' \(known: hardened, docker-default/);
  });
});

describe('package root (built bundle, fresh node process)', () => {
  // Built the way `npm run build` builds the root entry (ESM and CJS), into a temporary folder so that the
  // working tree's dist/ is left alone.
  const out = mkdtempSync(join(tmpdir(), 'seccomp-ts-root-'));
  execFileSync(process.execPath, [join(ROOT, 'node_modules/tsup/dist/cli-default.js'), '--no-config',
    '--entry.index', 'src/index.ts', '--format', 'esm,cjs', '--target', 'es2022', '--out-dir', out, '--silent'],
  { cwd: ROOT, stdio: 'pipe' });
  const socketNr = resolveSyscall('x86_64', 'socket');
  const script = (load: string): string => `${load}
const h = m.getProfile('hardened');
const d = m.getProfile('docker-default');
const v = (p, nr, a0) => m.evaluatePolicy(p, { arch: 'x86_64', nr, args: [a0] });
console.log(JSON.stringify({
  names: m.listProfiles().map((p) => p.name),
  hardened: v(h, ${socketNr}, 9n), docker: v(d, ${socketNr}, 40n), dockerRules: d.rules.length,
}));`;
  const expected = {
    names: ['hardened', 'docker-default'],
    hardened: { kind: 'ERRNO', data: 97 },
    docker: evaluatePolicy(dockerDefaultPolicy(), { arch: 'x86_64', nr: socketNr, args: [40n] }),
    dockerRules: dockerDefaultPolicy().rules.length,
  };
  it('a tree-shaken bundle of a consumer that imports only getProfile still knows both (sideEffects: false)', () => {
    const consumer = join(out, 'consumer.ts');
    writeFileSync(consumer, `import { getProfile } from ${JSON.stringify(join(ROOT, 'src/index.js'))};
console.log(JSON.stringify([getProfile('hardened').rules.length, getProfile('docker-default').rules.length]));`);
    execFileSync(process.execPath, [join(ROOT, 'node_modules/tsup/dist/cli-default.js'), '--no-config', '--entry.consumer', consumer,
      '--format', 'esm', '--target', 'es2022', '--treeshake', '--out-dir', join(out, 'bundle'), '--silent'], { cwd: ROOT, stdio: 'pipe' });
    const stdout = execFileSync(process.execPath, [join(out, 'bundle', 'consumer.js')], { encoding: 'utf8' });
    expect(JSON.parse(stdout)).toEqual([getProfile('hardened').rules.length, expected.dockerRules]);
  });
  it.each([
    ['ESM', 'run.mjs', `import * as m from ${JSON.stringify(join(out, 'index.js'))};`],
    ['CJS', 'run.cjs', `const m = require(${JSON.stringify(join(out, 'index.cjs'))});`],
  ])('%s: getProfile resolves hardened and docker-default', (_kind, file, load) => {
    writeFileSync(join(out, file), script(load));
    const stdout = execFileSync(process.execPath, [join(out, file)], { encoding: 'utf8' });
    expect(JSON.parse(stdout)).toEqual(expected);
  });
});
