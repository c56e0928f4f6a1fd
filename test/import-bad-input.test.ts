// ringlock import: bad input is refused with exit 2 naming file:line and the field, and nothing is written.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, platformRepo, testdir, writeTree } from './helpers.js';
import { autocomLock, autocomRepo, entry, lineOf, readLock, ringFiles } from './support/autocom.js';

describe('ringlock import: bad input', () => {
  const bad = (lock: string, args: string[] = []) => {
    const dir = autocomRepo(lock);
    const r = cli(['import', 'autocom', 'manifest.lock.json', ...args, '--cwd', dir]);
    expect(r.code).toBe(2);
    expect(ringFiles(dir)).toEqual([]);
    return r;
  };

  it('--json carries each problem with its file, line, column and pointer', () => {
    const dir = autocomRepo(
      autocomLock({ orders: entry('1.0', 'orders'), catalog: entry('1.2.0', 'catalog', { sha256: 'x' }) }),
    );
    const r = cli(['import', 'autocom', 'manifest.lock.json', '--json', '--cwd', dir]);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: false, error: { exitCode: 2 } });
    expect(out.error.diagnostics).toEqual([
      expect.objectContaining({
        rule: 'import/version',
        file: 'manifest.lock.json',
        line: 7,
        pointer: '/modules/orders/version',
      }),
      expect.objectContaining({
        rule: 'import/sha256',
        file: 'manifest.lock.json',
        line: 19,
        pointer: '/modules/catalog/sha256',
      }),
    ]);
    expect(ringFiles(dir)).toEqual([]);
  });

  it('not JSON', () => {
    const r = bad('{\n  "modules": {\n    "orders": { "version": "1.0.0", }\n  }\n}\n');
    expect(r.stderr).toContain('manifest.lock.json:3:');
    expect(r.stderr).toContain('trailing comma');
  });

  it('the wrong shape: modules not an object, an entry not an object', () => {
    expect(bad(autocomLock([] as unknown as Record<string, unknown>)).stderr).toMatch(
      /manifest\.lock\.json:5:\d+: \/modules: not an object/,
    );
    const text = autocomLock({ orders: 'x' });
    expect(bad(text).stderr).toContain(`manifest.lock.json:${lineOf(text, '"orders"')}:`);
    expect(bad('[]\n').stderr).toContain('not an AutoCom lock');
  });

  it('a module with no source folder (and --partial leaves it out)', () => {
    const text = autocomLock({
      orders: entry('1.0.0', 'orders'),
      billing: entry('2.0.0', 'billing'),
      catalog: entry('1.2.0', 'catalog'),
    });
    const r = bad(text);
    expect(r.stderr).toContain(
      `manifest.lock.json:${lineOf(text, '"billing"')}:5: /modules/billing: no module source named "billing" (found: catalog, orders)`,
    );
    expect(r.stderr).toContain('--partial');
    const dir = autocomRepo(text);
    const p = cli(['import', 'autocom', 'manifest.lock.json', '--partial', '--cwd', dir]);
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/billing\s+2\.0\.0\s+source-missing, left out/);
    expect(p.stdout).not.toContain('ringlock lock --check');
    expect(Object.keys(readLock(dir, 'canary').modules)).toEqual(['catalog', 'orders']);
  });

  it('a version the source does not hold', () => {
    const text = autocomLock({ orders: entry('0.9.0', 'orders'), catalog: entry('1.2.0', 'catalog') });
    const r = bad(text);
    // --partial leaves it out; the ring tracks the sources, so import says lock will add it back.
    const dir = autocomRepo(text);
    const p = cli(['import', 'autocom', 'manifest.lock.json', '--partial', '--cwd', dir]);
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/orders\s+0\.9\.0\s+version-differs \(source 1\.0\.0\), left out/);
    expect(p.stdout).toContain('note: orders: module source(s) the lock does not pin');
    expect(r.stderr).toContain(
      `manifest.lock.json:${lineOf(text, '"0.9.0"')}:18: /modules/orders/version: the lock pins orders 0.9.0, the source modules/orders holds 1.0.0`,
    );
  });

  it('a prerelease into a ring that does not allow prereleases', () => {
    const dir = platformRepo({ orders: { version: '1.1.0-rc.1' } });
    const text = autocomLock({ orders: entry('1.1.0-rc.1', 'orders') });
    writeTree(dir, { 'manifest.lock.json': text });
    const r = cli(['import', 'autocom', 'manifest.lock.json', '--ring', 'edge', '--cwd', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `manifest.lock.json:${lineOf(text, '"1.1.0-rc.1"')}:18: /modules/orders/version: orders 1.1.0-rc.1 is a prerelease, and ring "edge" does not allow prereleases`,
    );
    expect(ringFiles(dir)).toEqual([]);
    expect(cli(['import', 'autocom', 'manifest.lock.json', '--cwd', dir]).code).toBe(0);
  });

  it('a version that is not semver', () => {
    const text = autocomLock({ orders: entry('v1.0', 'orders'), catalog: entry('1.2.0', 'catalog') });
    expect(bad(text).stderr).toContain(
      `manifest.lock.json:${lineOf(text, '"v1.0"')}:18: /modules/orders/version: "v1.0" is not a semantic version`,
    );
  });

  it('a hash that is not sha256:<hex>, and a missing one', () => {
    const text = autocomLock({
      orders: entry('1.0.0', 'orders', { sha256: 'md5:abc' }),
      catalog: entry('1.2.0', 'catalog', { sha256: undefined }),
    });
    const r = bad(text);
    expect(r.stderr).toContain(
      `manifest.lock.json:${lineOf(text, '"md5:abc"')}:17: /modules/orders/sha256: "md5:abc" is not a content hash`,
    );
    expect(r.stderr).toContain('/modules/catalog: missing "sha256"');
  });

  it('a key that is not a module name (AutoCom keys by alias)', () => {
    const text = autocomLock({ Orders: entry('1.0.0', 'orders') });
    expect(bad(text).stderr).toContain(
      `manifest.lock.json:${lineOf(text, '"Orders"')}:5: /modules/Orders: "Orders" is not a ringlock module name`,
    );
  });

  it('an unknown format, a missing file, no ringlock.yaml', () => {
    const dir = autocomRepo();
    const f = cli(['import', 'npm', 'manifest.lock.json', '--cwd', dir]);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain('unknown format "npm"');
    const m = cli(['import', 'autocom', 'nope.lock.json', '--cwd', dir]);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain('nope.lock.json: no such file');
    const bare = testdir({ 'manifest.lock.json': autocomLock({}) });
    const n = cli(['import', 'autocom', 'manifest.lock.json', '--cwd', bare]);
    expect(n.code).toBe(2);
    expect(n.stderr).toContain('run "ringlock init" first');
  });
});

describe('ringlock import: what is not a lock file', () => {
  it('refuses a directory and a FIFO without blocking on it', () => {
    const dir = autocomRepo();
    expect(spawnSync('mkfifo', [join(dir, 'fifo.lock.json')]).status).toBe(0);
    const f = cli(['import', 'autocom', 'fifo.lock.json', '--cwd', dir]);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain('fifo.lock.json: not a regular file');
    const d = cli(['import', 'autocom', 'modules', '--cwd', dir]);
    expect(d.code).toBe(2);
    expect(d.stderr).toContain('modules: a directory');
    expect(ringFiles(dir)).toEqual([]);
  });
});
