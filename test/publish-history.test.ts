// publish of a named pin the source no longer holds (an older release in a later ring, as `ringlock import` writes
// them): packed from the newest commit whose manifest has that version, and only when that tree hashes to the pin.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RingLock } from '../src/model/types.js';
import { cli } from './helpers.js';
import { platformGitRepo } from './support/check-repo.js';

const readLock = (dir: string, ring: string): RingLock =>
  JSON.parse(readFileSync(join(dir, 'rings', `${ring}.lock.json`), 'utf8'));

/** a and b at 1.0.0 in every ring (committed), then a's source moves on to 1.1.0 (committed; canary re-locked). */
function movedOn() {
  const repo = platformGitRepo();
  const first = repo.commit('first');
  repo.write({ 'modules/a/src/index.php': '<?php // a 1.1.0\n' });
  repo.editManifest('a', (m) => {
    m.version = '1.1.0';
  });
  repo.lock();
  repo.commit('a 1.1.0');
  return { repo, first };
}

describe('publish of an older release', () => {
  it('packs it from git history, records its integrity, and apply installs exactly that tree', () => {
    const { repo } = movedOn();
    const dir = repo.dir;
    expect(readLock(dir, 'stable').modules.a!.version).toBe('1.0.0');
    // a from history, b (its source still at 1.0.0) from the working tree, in one run.
    const r = cli(['publish', 'a', 'b', '--ring', 'stable', '--json', '--cwd', dir]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.published).toHaveLength(2);
    expect(out.published[0]).toMatchObject({ module: 'a', version: '1.0.0' });
    expect(out.published[0].fromCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(out.published[1].fromCommit).toBeUndefined();
    expect(readLock(dir, 'stable').modules.a!.integrity).toMatch(/^sha512-/);
    // The working tree still holds 1.1.0, untouched.
    expect(JSON.parse(repo.read('modules/a/module.json')).version).toBe('1.1.0');
    const apply = cli(['apply', '--ring', 'stable', '--yes', '--skip-hooks', '--cwd', dir]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const list = JSON.parse(cli(['list', '--json', '--cwd', dir]).stdout);
    expect(JSON.stringify(list)).toContain('"1.0.0"');
    expect(readFileSync(join(dir, '.ringlock/target/a/src/index.php'), 'utf8')).toBe('<?php // a\n');
  });

  it('refuses when the tree at that commit does not hash to the pin (exit 1), writing nothing', () => {
    const { repo } = movedOn();
    repo.editLock('stable', (l) => {
      l.modules.a!.sha256 = `sha256:${'0'.repeat(64)}`;
    });
    const before = repo.read('rings/stable.lock.json');
    const r = cli(['publish', 'a', '--ring', 'stable', '--cwd', repo.dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('lock/stale');
    expect(repo.read('rings/stable.lock.json')).toBe(before);
  });

  it('refuses a version no commit of the manifest ever had (exit 2)', () => {
    const { repo } = movedOn();
    repo.editLock('stable', (l) => {
      l.modules.a!.version = '0.9.0';
    });
    const before = repo.read('rings/stable.lock.json');
    const r = cli(['publish', 'a', '--ring', 'stable', '--cwd', repo.dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no commit of its manifest has 0.9.0');
    expect(repo.read('rings/stable.lock.json')).toBe(before);
  });

  it("packs from history only under the modules dir, whatever the lock's source says (exit 2 otherwise)", () => {
    const { repo } = movedOn();
    // b's folder is gone from the working tree; its pin names a folder outside the modules dir whose history has a
    // manifest at that version (without the guard, it would be packed and fail only on the hash: exit 1).
    repo.write({ 'elsewhere/module.json': '{"name": "b", "version": "1.0.0"}\n' });
    repo.commit('a folder outside the modules dir');
    repo.remove('modules/b');
    repo.editLock('stable', (l) => {
      l.modules.b!.source = 'elsewhere';
    });
    const before = repo.read('rings/stable.lock.json');
    const r = cli(['publish', 'b', '--ring', 'stable', '--cwd', repo.dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('b: ring "stable" pins 1.0.0, the source has no module');
    expect(repo.read('rings/stable.lock.json')).toBe(before);
    // With its own folder as the source, the removed module is packed from the commit that last held it.
    repo.editLock('stable', (l) => {
      l.modules.b!.source = 'modules/b';
    });
    const ok = cli(['publish', 'b', '--ring', 'stable', '--json', '--cwd', repo.dir]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).published[0].fromCommit).toMatch(/^[0-9a-f]{40}$/);
  });
});
