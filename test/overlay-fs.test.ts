// A target on file systems where rename() fails with EXDEV (AutoCom's bug #4): the target in the lower layer of a real
// overlay mount (renaming a lower-layer directory is EXDEV), and a store on a tmpfs apart from the modules' paths.
// Each operation must succeed once, be recorded once with one outcome, and leave nothing for the next pass to redo.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { moveSync } from '../src/fsutil/move.js';
import { buildPlatform, type Platform, type Run, show, tempRoot } from './fixtures-platform.js';
import { overlayOver, tmpfsAt, unmountAll } from './support/mounts.js';

let disposers: (() => void)[] = [];
afterEach(() => {
  unmountAll();
  for (const d of disposers.reverse()) d();
  disposers = [];
});

function root(label: string): string {
  const t = tempRoot(label);
  disposers.push(t.dispose);
  return t.root;
}

type Mode = 'symlink' | 'copy';

async function platform(mode: Mode, label: string): Promise<Platform> {
  return buildPlatform(
    root(label),
    { orders: { version: '1.0.0' }, base: { version: '1.0.0' } },
    {
      targetConfig: `  mode: ${mode}\n  keepVersions: 2`,
    },
  );
}

async function upgrade(p: Platform, version: string): Promise<Run> {
  p.writeModule('orders', { version });
  await p.release(['orders']);
  return p.apply(['--json']);
}

function opsOf(p: Platform, module: string) {
  return p.history().filter((h) => h.module === module);
}

/** What the platform sees at the module's path. */
function served(p: Platform, module: string): string {
  return readFileSync(join(p.target, module, 'src/index.php'), 'utf8');
}

describe.each(['symlink', 'copy'] as Mode[])('target in an overlay lower layer (%s mode)', (mode) => {
  it('upgrades succeed, are recorded once, prune old versions and do not repeat', async () => {
    const p = await platform(mode, `overlay-${mode}`);
    expect((await p.apply()).code).toBe(0);
    // The deployed target becomes the read-only lower layer of an overlay: every dir ringlock made is in it.
    overlayOver(p.target, join(p.root, 'layers'));
    for (const v of ['1.1.0', '1.2.0']) {
      const r = await upgrade(p, v);
      expect(r.code, show(r)).toBe(0);
      expect(served(p, 'orders')).toContain(`orders ${v}`);
      expect(p.state().modules.orders?.status).toBe('active');
      expect(existsSync(join(p.stateDir(), 'journal.json'))).toBe(false);
    }
    const ops = opsOf(p, 'orders');
    expect(ops.map((h) => `${h.op} ${h.to} ${h.outcome}`)).toEqual([
      'install 1.0.0 succeeded',
      'upgrade 1.1.0 succeeded',
      'upgrade 1.2.0 succeeded',
    ]);
    // keepVersions 2: 1.0.0 (from the lower layer) is gone from the store.
    const store = readdirSync(join(p.stateDir(), 'store/orders')).sort();
    expect(store.map((n) => n.split('-')[0])).toEqual(['1.1.0', '1.2.0']);
    // Nothing left to do: the next pass is a no-op.
    const again = await p.apply(['--json']);
    expect(again.code, show(again)).toBe(0);
    expect(opsOf(p, 'orders')).toHaveLength(3);
    if (mode === 'copy') expect(lstatSync(join(p.target, 'orders')).isDirectory()).toBe(true);
    else expect(p.link('orders')).toMatch(/^\.ringlock\/store\/orders\/1\.2\.0-/);
  });

  it('a rollback to a version in the lower layer and a removal work too', async () => {
    const p = await platform(mode, `overlay-rb-${mode}`);
    expect((await p.apply()).code).toBe(0);
    overlayOver(p.target, join(p.root, 'layers'));
    const lock1 = p.readLock();
    expect((await upgrade(p, '1.1.0')).code).toBe(0);
    p.writeLock(lock1);
    const back = await p.apply(['--json']);
    expect(back.code, show(back)).toBe(0);
    expect(served(p, 'orders')).toContain('orders 1.0.0');
    p.removeModule('base');
    await p.ok(['lock']);
    const rm = await p.apply(['--prune', '--json']);
    expect(rm.code, show(rm)).toBe(0);
    expect(existsSync(join(p.target, 'base'))).toBe(false);
    expect(opsOf(p, 'base').map((h) => `${h.op} ${h.outcome}`)).toEqual([
      'install succeeded',
      'remove succeeded',
    ]);
  });
});

describe.each(['symlink', 'copy'] as Mode[])('a crash on an overlay target (%s mode)', (mode) => {
  it.each(['after-journal', 'after-switch', 'after-history'])(
    'killed at %s: the next pass recovers and converges',
    async (point) => {
      const p = await platform(mode, `overlay-crash-${mode}`);
      expect((await p.apply()).code).toBe(0);
      overlayOver(p.target, join(p.root, 'layers'));
      p.writeModule('orders', { version: '1.1.0' });
      await p.release(['orders']);
      const crashed = await p.apply([], { env: { RINGLOCK_CRASH_AT: point } });
      expect(crashed.signal).toBe('SIGKILL');
      const r = await p.apply(['--json']);
      expect(r.code, show(r)).toBe(0);
      expect(served(p, 'orders')).toContain('orders 1.1.0');
      expect(p.state().modules.orders?.status).toBe('active');
      expect(existsSync(join(p.stateDir(), 'journal.json'))).toBe(false);
      // One record of the upgrade with one outcome (plus a recovery record when it was undone).
      const upgrades = opsOf(p, 'orders').filter((h) => h.op === 'upgrade' && h.to === '1.1.0');
      expect(upgrades.map((h) => h.outcome)).toEqual(['succeeded']);
    },
  );
});

describe.each(['symlink', 'copy'] as Mode[])('store on another file system (tmpfs, %s mode)', (mode) => {
  it('installs, upgrades and prunes across devices', async () => {
    const p = await platform(mode, `tmpfs-${mode}`);
    tmpfsAt(join(p.stateDir(), 'store'));
    expect((await p.apply()).code).toBe(0);
    for (const v of ['1.1.0', '1.2.0']) {
      const r = await upgrade(p, v);
      expect(r.code, show(r)).toBe(0);
      expect(served(p, 'orders')).toContain(`orders ${v}`);
    }
    expect(opsOf(p, 'orders').map((h) => h.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const store = readdirSync(join(p.stateDir(), 'store/orders')).sort();
    expect(store.map((n) => n.split('-')[0])).toEqual(['1.1.0', '1.2.0']);
    const v = await p.cli(['verify', '--ring', 'canary', '--dir', p.target, '--json']);
    expect(v.code, show(v)).toBe(0);
  });
});

describe('pruning never changes an outcome', () => {
  it('an old version that cannot be deleted (a mount point: EBUSY) is a warning, pruned once it can be', async () => {
    const p = await platform('symlink', 'prune-busy');
    expect((await p.apply()).code).toBe(0);
    expect((await upgrade(p, '1.1.0')).code).toBe(0);
    const old = p.state().modules.orders!.previous!.storeDir;
    // Something holds the oldest version: a mount on it makes rename and rmdir fail with EBUSY.
    tmpfsAt(join(p.target, old));
    utimesSync(join(p.target, old), new Date(2000, 0, 1), new Date(2000, 0, 1)); // still the oldest
    const r = await upgrade(p, '1.2.0');
    expect(r.code, show(r)).toBe(0);
    const res = JSON.parse(r.stdout).results.find((x: { module: string }) => x.module === 'orders');
    expect(res.outcome).toBe('succeeded');
    expect(res.warnings.join('\n')).toContain(`could not prune ${old} (EBUSY)`);
    expect(opsOf(p, 'orders').map((h) => `${h.to} ${h.outcome}`)).toEqual([
      '1.0.0 succeeded',
      '1.1.0 succeeded',
      '1.2.0 succeeded',
    ]);
    expect(existsSync(join(p.target, old))).toBe(true);
    // Released: the next operation prunes it.
    unmountAll();
    const next = await upgrade(p, '1.3.0');
    expect(next.code, show(next)).toBe(0);
    expect(existsSync(join(p.target, old))).toBe(false);
    expect(opsOf(p, 'orders')).toHaveLength(4);
  });
});

describe('moveSync across devices (tmpfs)', () => {
  it('moves a tree with its links and modes, a file, and discards what goes to the trash', () => {
    const dir = root('move');
    const other = join(dir, 'other');
    tmpfsAt(other);
    const src = join(dir, 'tree');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'sub/run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    symlinkSync('sub/run.sh', join(src, 'link'));
    expect(moveSync(src, join(other, 'tree'))).toBe('copied');
    expect(existsSync(src)).toBe(false);
    expect(readlinkSync(join(other, 'tree/link'))).toBe('sub/run.sh');
    expect(statSync(join(other, 'tree/sub/run.sh')).mode & 0o777).toBe(0o755);
    expect(readdirSync(other)).toEqual(['tree']); // no temp left beside it
    writeFileSync(join(dir, 'f'), 'x');
    expect(moveSync(join(dir, 'f'), join(other, 'f'))).toBe('copied');
    expect(readFileSync(join(other, 'f'), 'utf8')).toBe('x');
    expect(moveSync(join(other, 'tree'), join(dir, 'trash-me'), { discard: true })).toBe('deleted');
    expect(existsSync(join(other, 'tree'))).toBe(false);
    expect(existsSync(join(dir, 'trash-me'))).toBe(false);
    mkdirSync(join(dir, 'same'));
    expect(moveSync(join(dir, 'same'), join(dir, 'renamed'))).toBe('renamed');
  });
});
