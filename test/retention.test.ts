// Retention of removed modules' store trees (issue 14 item 4): the state records when a module's link was removed, a
// later pass prunes its trees once `target.retainRemoved` (default 90 days) has passed, and a prune that fails is a
// warning, never the pass's outcome. Ages are set by writing the recorded time, never by waiting.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clearUnlinked, dueForPruning, markUnlinked } from '../src/state/retention.js';
import { emptyState } from '../src/state/types.js';
import { buildPlatform, type Platform, show, tempRoot } from './fixtures-platform.js';
import { tmpfsAt, unmountAll } from './support/mounts.js';

let disposers: (() => void)[] = [];
afterEach(() => {
  unmountAll();
  for (const d of disposers.reverse()) d();
  disposers = [];
});

async function platform(label: string, targetConfig = ''): Promise<Platform> {
  const t = tempRoot(label);
  disposers.push(t.dispose);
  return buildPlatform(
    t.root,
    { orders: { version: '1.0.0' }, base: { version: '1.0.0' } },
    { targetConfig },
  );
}

/** Removes `base` from the lock and applies with --prune. */
async function removeBase(p: Platform): Promise<void> {
  p.removeModule('base');
  await p.ok(['lock']);
  const r = await p.apply(['--prune']);
  expect(r.code, show(r)).toBe(0);
}

/** Moves the recorded unlink time of `module` back by `days`. */
function age(p: Platform, module: string, days: number): void {
  const file = join(p.stateDir(), 'state.json');
  const s = JSON.parse(readFileSync(file, 'utf8'));
  for (const u of s.unlinked)
    if (u.module === module) u.since = new Date(Date.now() - days * 86_400_000).toISOString();
  writeFileSync(file, JSON.stringify(s));
}

const baseStore = (p: Platform) => join(p.stateDir(), 'store/base');

describe('retention of removed modules', () => {
  it('keeps a removed module 90 days by default, then a later pass prunes it', async () => {
    const p = await platform('retain-default');
    expect((await p.apply()).code).toBe(0);
    await removeBase(p);
    expect(existsSync(join(p.target, 'base'))).toBe(false);
    expect(p.state().unlinked).toEqual([{ module: 'base', reason: 'removed', since: expect.any(String) }]);
    expect(existsSync(baseStore(p))).toBe(true);
    age(p, 'base', 89);
    expect((await p.apply()).code).toBe(0);
    expect(existsSync(baseStore(p))).toBe(true);
    age(p, 'base', 91);
    const r = await p.apply();
    expect(r.code, show(r)).toBe(0);
    expect(existsSync(baseStore(p))).toBe(false);
    expect(p.state().unlinked).toBeUndefined();
    // Pruning is housekeeping, not an operation: the history has the install and the removal only.
    expect(
      p
        .history()
        .filter((h) => h.module === 'base')
        .map((h) => h.op),
    ).toEqual(['install', 'remove']);
  });

  it('target.retainRemoved: 0s prunes on the next pass; reinstalling before that keeps the trees', async () => {
    const p = await platform('retain-zero', '  retainRemoved: 0s');
    expect((await p.apply()).code).toBe(0);
    const lock = p.readLock();
    await removeBase(p);
    // Back in the lock before the next pass: linked again, so nothing is pruned.
    p.writeLock(lock);
    expect((await p.apply()).code).toBe(0);
    expect(p.state().unlinked).toBeUndefined();
    expect((await p.apply()).code).toBe(0);
    expect(existsSync(join(p.target, 'base/src/index.php'))).toBe(true);
    await removeBase(p);
    expect(existsSync(baseStore(p))).toBe(true);
    expect((await p.apply()).code).toBe(0);
    expect(existsSync(baseStore(p))).toBe(false);
  });

  it('a prune that fails (the store dir is a mount point: EBUSY) is a warning; the next pass tries again', async () => {
    const p = await platform('retain-busy', '  retainRemoved: 0s');
    expect((await p.apply()).code).toBe(0);
    await removeBase(p);
    tmpfsAt(baseStore(p));
    const r = await p.apply();
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toMatch(/warning: could not prune the retained store of base \(removed .*EBUSY/);
    expect(p.state().unlinked?.map((u) => u.module)).toEqual(['base']);
    unmountAll();
    const again = await p.apply();
    expect(again.code, show(again)).toBe(0);
    expect(again.stderr).not.toContain('warning');
    expect(existsSync(baseStore(p))).toBe(false);
    expect(p.state().unlinked).toBeUndefined();
  });

  it('trees of a module removed before retention was recorded start their retention at the next pass', async () => {
    const p = await platform('retain-orphan');
    expect((await p.apply()).code).toBe(0);
    await removeBase(p);
    // As an older ringlock left it: the trees, and no record of when the module went.
    const file = join(p.stateDir(), 'state.json');
    const s = JSON.parse(readFileSync(file, 'utf8'));
    delete s.unlinked;
    writeFileSync(file, JSON.stringify(s));
    expect((await p.apply()).code).toBe(0);
    expect(p.state().unlinked).toEqual([{ module: 'base', reason: 'removed', since: expect.any(String) }]);
    expect(existsSync(baseStore(p))).toBe(true);
    age(p, 'base', 91);
    expect((await p.apply()).code).toBe(0);
    expect(existsSync(baseStore(p))).toBe(false);
  });

  it('a retainRemoved that is not a duration is refused with its line, and nothing changes', async () => {
    const p = await platform('retain-bad');
    expect((await p.apply()).code).toBe(0);
    const cfg = join(p.repo, 'ringlock.yaml');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('target:\n', 'target:\n  retainRemoved: 90days\n'));
    const before = readFileSync(join(p.stateDir(), 'state.json'), 'utf8');
    const r = await p.apply();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ringlock\.yaml:\d+:\d+: \/target\/retainRemoved/);
    expect(readFileSync(join(p.stateDir(), 'state.json'), 'utf8')).toBe(before);
  });
});

describe('retention records (state/retention.ts)', () => {
  const at = '2026-01-01T00:00:00.000Z';
  const day = 86_400_000;

  it('marks, replaces and clears one record per module', () => {
    let s = markUnlinked(emptyState(), 'a', 'removed', at);
    s = markUnlinked(s, 'a', 'disabled', at);
    expect(s.unlinked).toEqual([{ module: 'a', reason: 'disabled', since: at }]);
    expect(clearUnlinked(s, 'a').unlinked).toBeUndefined();
  });

  it('is due only past the age, and never for a module the state shows active again', () => {
    const s = markUnlinked(emptyState(), 'a', 'removed', at);
    const t0 = Date.parse(at);
    expect(dueForPruning(s, t0 + 89 * day, 90 * day)).toEqual([]);
    expect(dueForPruning(s, t0 + 90 * day, 90 * day).map((u) => u.module)).toEqual(['a']);
    const active = {
      ...s,
      modules: {
        a: {
          name: 'a',
          active: { version: '1.0.0', sha256: 'sha256:0', storeDir: '.ringlock/store/a/1.0.0-00000000' },
          status: 'active' as const,
          since: at,
          origin: 'lock' as const,
        },
      },
    };
    expect(dueForPruning(active, t0 + 365 * day, 90 * day)).toEqual([]);
  });
});
