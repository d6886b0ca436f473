/** `seccomp-ts userns`: the commands end to end, and the :U chown on a real tree. */
import { lstatSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, chownSync, unlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';
import { itWhen } from './support/require.js';
import { walkTree, applyChown } from '../src/cli/userns-tree.js';
import { planChown } from '../src/userns/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'seccomp-ts-userns-cli-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const rootMissing = process.geteuid?.() === 0 ? undefined : 'changing owners needs root';

/** A volume with a file, a subfolder, and symlinks pointing out of it at a file and a folder. */
function volume(): { vol: string; outside: string } {
  const base = tempDir();
  const vol = join(base, 'vol');
  const outside = join(base, 'outside');
  mkdirSync(join(vol, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(vol, 'a'), 'a');
  writeFileSync(join(vol, 'sub', 'b'), 'b');
  writeFileSync(join(outside, 'secret'), 's');
  symlinkSync(outside, join(vol, 'to-outside'));
  symlinkSync(join(outside, 'secret'), join(vol, 'sub', 'to-secret'));
  return { vol, outside };
}

describe('userns chown (:U)', () => {
  itWhen(rootMissing, 'gives exactly the planned owners and never follows a symlink out of the tree', async () => {
    const { vol, outside } = volume();
    chownSync(join(vol, 'a'), 1000, 1000);
    const plan = await cli(['userns', 'chown', vol, '--uid-map', '0:100000:65536', '--gid-map', '0:200000:65536', '--owner', '1000:5', '--json']);
    expect(plan.code).toBe(0);
    const planned = JSON.parse(plan.stdout) as { steps: { path: string; to: { uid: number; gid: number } }[] };
    expect(planned.steps.map((s) => s.path)).toEqual(['.', 'a', 'sub', 'sub/b', 'sub/to-secret', 'to-outside']);
    // Planning changed nothing.
    expect(lstatSync(join(vol, 'a')).uid).toBe(1000);
    const applied = await cli(['userns', 'chown', vol, '--uid-map', '0:100000:65536', '--gid-map', '0:200000:65536', '--owner', '1000:5', '--apply']);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('# applied: 6 changed, 0 already right');
    for (const s of planned.steps) {
      const st = lstatSync(join(vol, s.path));
      expect([s.path, st.uid, st.gid]).toEqual([s.path, 101000, 200005]);
    }
    expect([statSync(outside).uid, statSync(join(outside, 'secret')).uid]).toEqual([0, 0]);
    // Run again: everything is already right.
    const again = await cli(['userns', 'chown', vol, '--uid-map', '0:100000:65536', '--gid-map', '0:200000:65536', '--owner', '1000:5', '--apply']);
    expect(again.stdout).toContain('# applied: 0 changed, 6 already right');
  });

  itWhen(rootMissing, 'stops at an entry replaced since planning and says what was and was not changed', () => {
    const { vol, outside } = volume();
    const tree = walkTree(vol);
    const plan = planChown(tree.entries, [{ containerId: 0, hostId: 100000, size: 65536 }], [{ containerId: 0, hostId: 100000, size: 65536 }], { kind: 'owner', uid: 0, gid: 0 });
    // Between plan and apply, sub/b becomes a symlink to a file outside.
    unlinkSync(join(vol, 'sub', 'b'));
    symlinkSync(join(outside, 'secret'), join(vol, 'sub', 'b'));
    const result = applyChown(tree, plan);
    expect(result).toEqual({ changed: 3, alreadyRight: 0, notReached: 3, failure: { path: 'sub/b', reason: 'replaced since it was planned; not changed' } });
    expect(lstatSync(join(vol, 'sub', 'b')).uid).toBe(0);
    expect(statSync(join(outside, 'secret')).uid).toBe(0);
    expect(lstatSync(join(vol, 'a')).uid).toBe(100000);
  });

  it('refuses to apply a plan with owners the map cannot hold, changing nothing', async () => {
    const { vol } = volume();
    const r = await cli(['userns', 'chown', vol, '--uid-map', '0:100000:10', '--owner', '1000', '--apply']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('seccomp-ts: userns chown: nothing changed: 6 entries have owners the map cannot hold\n');
  });
});

describe('userns check, translate, allocate', () => {
  it('check: kernel verdicts per writer, newuidmap, and host IDs two containers share', async () => {
    const ok = await cli(['userns', 'check', '--as', 'root', '0:100000:65536', '0:165536:65536']);
    expect([ok.code, ok.stdout.split('\n').filter(Boolean).length]).toEqual([0, 2]);
    const clash = await cli(['userns', 'check', '--as', 'root', '0:100000:65536', '0:150000:65536']);
    expect(clash.code).toBe(1);
    expect(clash.stdout).toContain('share 15536 host IDs from 150000');
    const bad = await cli(['userns', 'check', '--as', 'root', '0:100000:10,5:200000:10', '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).maps[0].kernel).toBe('EINVAL at line 2: inside range overlaps line 1');
    const dir = tempDir();
    writeFileSync(join(dir, 'subuid'), 'alice:100000:65536\n');
    const unpriv = await cli(['userns', 'check', '--as', '1000', '--subids', join(dir, 'subuid'), '--user', 'alice', '0:1000:1,1:100000:65536']);
    expect(unpriv.stdout).toContain("EPERM: without CAP_SETUID only one extent of size 1 mapping the writer's own uid 1000 is allowed");
    expect(unpriv.stdout).toContain('through newuidmap for alice: accepted');
    expect(unpriv.code).toBe(0);
  });

  it('translate both ways, with the overflow ID for unmapped host IDs', async () => {
    const r = await cli(['userns', 'translate', '--map', '0:100000:65536', '--to', 'container', '100005', '7', '--json']);
    expect(JSON.parse(r.stdout)).toEqual([{ host: 100005, container: 5, shownInside: 5 }, { host: 7, container: null, shownInside: 65534 }]);
    expect(r.code).toBe(1);
    expect((await cli(['userns', 'translate', '--map', '0:100000:65536', '0'])).stdout).toBe('container 0 -> host 100000\n');
  });

  it('allocate: shared as Docker does, and disjoint per-container blocks, reading OCI maps back', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'subuid'), 'alice:300000:65536\n# note\nalice:100000:65536\nbob:500000:65536\nbad line\n');
    const shared = await cli(['userns', 'allocate', '--user', 'alice', '--subuid', join(dir, 'subuid'), '--subgid', join(dir, 'subuid'), '--shared', '--json']);
    expect(shared.code).toBe(0);
    expect(JSON.parse(shared.stdout)).toMatchObject({ rootUid: 100000, dataRoot: '/var/lib/docker/100000.100000', uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }, { containerID: 65536, hostID: 300000, size: 65536 }] });
    expect(shared.stderr).toContain('subuid:5: expected OWNER:START:COUNT');
    const blocks = await cli(['userns', 'allocate', '--user', 'alice', '--subuid', join(dir, 'subuid'), '--subgid', join(dir, 'subuid'), '--containers', '2']);
    const parsed = JSON.parse(blocks.stdout) as { uidMappings: unknown[] }[];
    writeFileSync(join(dir, 'c1.json'), JSON.stringify(parsed[0]!.uidMappings));
    const third = await cli(['userns', 'allocate', '--user', 'alice', '--subuid', join(dir, 'subuid'), '--subgid', join(dir, 'subuid'), '--containers', '1', '--in-use', join(dir, 'c1.json'), '--format', 'compact']);
    expect(third.stdout.split('\n')[0]).toBe('container 1: uid 0:300000:65536 gid 0:300000:65536');
    const none = await cli(['userns', 'allocate', '--user', 'carol', '--subuid', join(dir, 'subuid'), '--shared']);
    expect([none.code, none.stderr.split('\n').at(-2)]).toEqual([2, `seccomp-ts: userns: ${join(dir, 'subuid')}: no ranges for carol`]);
  });

  it('names the place of bad input', async () => {
    expect((await cli(['userns', 'check', '0:x:1'])).stderr).toBe('seccomp-ts: userns: 0:x:1: cannot read file (ENOENT) — a MAP is CONTAINER:HOST:SIZE[,…] or a file\n');
    expect((await cli(['userns', 'check', '0:1:2:3'])).stderr).toBe('seccomp-ts: userns: map entry 1: expected CONTAINER:HOST:SIZE\n');
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ linux: { uidMappings: [{ containerID: 0, hostID: 100000, size: 'many' }] } }));
    const r = await cli(['userns', 'check', join(dir, 'config.json')]);
    expect([r.code, r.stderr]).toEqual([2, `seccomp-ts: userns: ${join(dir, 'config.json')}: linux.uidMappings[0].size: not an ID (an integer from 0 to 4294967295)\n`]);
    expect((await cli(['userns', 'frobnicate'])).stderr).toBe('seccomp-ts: userns: unknown subcommand "frobnicate" (check, translate, allocate, chown)\n');
  });
});
