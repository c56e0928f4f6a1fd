// ringlock import autocom: AutoCom's locks (shared/platform-formats.md section A) into ring locks, through the real CLI.
// Bad input: import-bad-input.test.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, manifest, platformRepo, writeTree } from './helpers.js';
import { autocomLock, autocomRepo, entry, HASH, readLock, ringFiles } from './support/autocom.js';
import { git } from './support/check-repo.js';

describe('ringlock import autocom: the single-file lock', () => {
  it('writes the tracking ring: versions kept, hashes recomputed, source kept as origin; lock --check and verify pass', () => {
    const dir = autocomRepo();
    const r = cli(['import', 'autocom', 'manifest.lock.json', '--cwd', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('manifest.lock.json → rings/canary.lock.json (ring canary');
    expect(r.stdout).toContain('written, 2 module(s)');
    expect(r.stdout).toMatch(/orders\s+1\.0\.0\s+differs/);
    expect(r.stdout).toContain('/generated_at "2026-04-12T19:54:19+00:00": a ring lock records no dates');
    expect(r.stdout).toContain('next: the imported pins carry no artifact integrity');
    expect(r.stdout).toContain('ringlock publish --ring canary');
    const lock = readLock(dir, 'canary');
    expect(lock).toMatchObject({ ring: 'canary', platform: '2.0.0', lockfileVersion: 1 });
    expect(lock.modules.orders).toMatchObject({
      version: '1.0.0',
      origin: 'gitlab:autocommerce/modules/orders',
      source: 'modules/orders',
    });
    expect(lock.modules.catalog?.version).toBe('1.2.0');
    expect(Object.keys(lock.modules)).toEqual(['catalog', 'orders']);
    expect(r.stdout).not.toContain('manifests');
    expect(lock.modules.orders?.sha256).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(lock.modules.orders?.sha256).not.toBe(HASH);
    expect(lock.modules.orders?.integrity).toBeUndefined();
    expect(cli(['lock', '--check', '--cwd', dir]).code).toBe(0);
    const v = cli(['verify', '--cwd', dir]);
    expect(v.stdout + v.stderr).toContain('2 ok, 0 failed');
    expect(v.code).toBe(0);
  });

  it('reports "same" when the imported hash is ringlock\'s, and the counts each side found (--json)', () => {
    const dir = autocomRepo();
    const first = JSON.parse(
      cli(['import', 'autocom', 'manifest.lock.json', '--dry-run', '--json', '--cwd', dir]).stdout,
    );
    const ringlockHash = first.rings[0].modules.find((m: { module: string }) => m.module === 'orders').sha256;
    writeFileSync(
      join(dir, 'manifest.lock.json'),
      autocomLock({
        orders: entry('1.0.0', 'orders', { sha256: ringlockHash }),
        catalog: entry('1.2.0', 'catalog'),
      }),
    );
    const r = cli(['import', 'autocom', 'manifest.lock.json', '--dry-run', '--json', '--cwd', dir]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, dryRun: true, format: 'autocom' });
    expect(out.rings[0]).toMatchObject({
      ring: 'canary',
      lock: 'rings/canary.lock.json',
      status: 'would write',
    });
    const byName = Object.fromEntries(out.rings[0].modules.map((m: { module: string }) => [m.module, m]));
    expect(byName.orders).toMatchObject({
      status: 'same',
      imported: true,
      fileCount: { imported: 405, ringlock: 2 },
    });
    expect(byName.catalog).toMatchObject({ status: 'differs', importedSha256: HASH });
    expect(out.rings[0].needPublish).toEqual(['catalog', 'orders']);
    expect(ringFiles(dir)).toEqual([]);
  });

  it('lists the artifact URL and released_at it cannot carry, and --dry-run writes nothing', () => {
    const dir = autocomRepo(
      autocomLock({
        orders: entry('1.0.0', 'orders', {
          artifact: 'https://artifacts.example/orders-1.0.0.zip',
          released_at: '2026-04-01T10:00:00+00:00',
          checksum_algo: 'x',
        }),
        catalog: entry('1.2.0', 'catalog'),
      }),
    );
    const r = cli(['import', 'autocom', 'manifest.lock.json', '--dry-run', '--cwd', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('would write');
    expect(r.stdout).toContain(
      '/modules/orders/artifact "https://artifacts.example/orders-1.0.0.zip": ringlock installs an artifact only with its integrity',
    );
    expect(r.stdout).toContain(
      '/modules/orders/released_at "2026-04-01T10:00:00+00:00": a ring lock records no dates',
    );
    expect(r.stdout).toContain(
      '/modules/orders/checksum_algo "x": not a field of the AutoCom lock ringlock knows',
    );
    expect(r.stdout).toContain('dry run: nothing written');
    expect(ringFiles(dir)).toEqual([]);
  });

  it('--ring puts the single-file lock in another ring', () => {
    const dir = autocomRepo();
    const r = cli(['import', 'autocom', 'manifest.lock.json', '--ring', 'edge', '--cwd', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(ring edge, --ring edge)');
    expect(ringFiles(dir)).toEqual(['edge.lock.json']);
    expect(cli(['verify', '--ring', 'edge', '--cwd', dir]).code).toBe(0);
  });
});

describe('ringlock import autocom: per-ring locks in modules/manifests/', () => {
  it('takes each ring from the file name or its ring field, maps a foreign ring with --ring A=R, and never mistakes the lock folder for a module', () => {
    const dir = platformRepo({ orders: { version: '1.0.0' }, catalog: { version: '1.2.0' } });
    writeTree(dir, {
      'modules/manifests/canary.lock.json': autocomLock({
        orders: entry('1.0.0', 'orders'),
        catalog: entry('1.2.0', 'catalog'),
      }),
    });
    writeTree(dir, {
      'modules/manifests/beta.lock.json': autocomLock(
        { orders: entry('1.0.0', 'orders') },
        { ring: 'edge', lockfileVersion: 2 },
      ),
    });
    writeTree(dir, {
      'modules/manifests/production.lock.json': autocomLock({ catalog: entry('1.2.0', 'catalog') }),
    });
    const r = cli([
      'import',
      'autocom',
      'modules/manifests/canary.lock.json',
      'modules/manifests/beta.lock.json',
      'modules/manifests/production.lock.json',
      '--ring',
      'production=stable',
      '--cwd',
      dir,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(ring canary, its file name)');
    expect(r.stdout).toContain('(ring edge, its field)');
    // AutoCom's lockfileVersion and ring are its own format's, not data to carry.
    expect(r.stdout).not.toContain('lockfileVersion');
    expect(r.stdout).not.toContain('/ring ');
    expect(r.stdout).toContain('(ring stable, --ring production=stable)');
    expect(ringFiles(dir)).toEqual(['canary.lock.json', 'edge.lock.json', 'stable.lock.json']);
    expect(Object.keys(readLock(dir, 'canary').modules)).toEqual(['catalog', 'orders']);
    expect(Object.keys(readLock(dir, 'edge').modules)).toEqual(['orders']);
    expect(Object.keys(readLock(dir, 'stable').modules)).toEqual(['catalog']);
    for (const ring of ['canary', 'edge', 'stable'])
      expect(cli(['verify', '--ring', ring, '--cwd', dir]).code).toBe(0);
    expect(cli(['lock', '--check', '--cwd', dir]).code).toBe(0);
  });

  it('refuses a foreign ring ringlock.yaml does not have, naming the mapping to use', () => {
    const dir = platformRepo({ orders: { version: '1.0.0' } });
    writeTree(dir, {
      'modules/manifests/production.lock.json': autocomLock({ orders: entry('1.0.0', 'orders') }),
    });
    const r = cli(['import', 'autocom', 'modules/manifests/production.lock.json', '--cwd', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'ring "production" (from the lock\'s file name) is not a ring of ringlock.yaml',
    );
    expect(r.stderr).toContain('--ring production=<ring>');
    expect(ringFiles(dir)).toEqual([]);
  });
});

describe('ringlock import: a ring that pins older releases', () => {
  it('hashes each older version from the last commit that held it, so verify and lock --check pass', () => {
    const dir = platformRepo({ orders: { version: '0.9.0' }, catalog: { version: '1.2.0' } });
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-qm', 'orders 0.9.0']);
    const old = JSON.parse(cli(['hash', 'modules/orders', '--json', '--cwd', dir]).stdout);
    const oldCommit = git(dir, ['rev-parse', 'HEAD']);
    writeTree(dir, {
      'modules/orders/module.json': manifest('orders', '1.0.0'),
      'modules/orders/src/index.php': '<?php // orders 1.0.0\n',
    });
    git(dir, ['commit', '-qam', 'orders 1.0.0']);
    writeTree(dir, {
      'modules/manifests/stable.lock.json': autocomLock({
        orders: entry('0.9.0', 'orders'),
        catalog: entry('1.2.0', 'catalog'),
      }),
    });
    const r = cli(['import', 'autocom', 'modules/manifests/stable.lock.json', '--cwd', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`differs (at ${oldCommit.slice(0, 12)})`);
    expect(r.stdout).toContain(
      `older releases, hashed from git history: orders 0.9.0 in stable (commit ${oldCommit.slice(0, 12)}); publish each by name, packed from that commit: ringlock publish --ring stable orders`,
    );
    expect(r.stdout).toContain(
      'next: the imported pins carry no artifact integrity, so apply cannot install them yet: ringlock publish --ring stable',
    );
    const lock = readLock(dir, 'stable');
    expect(lock.modules.orders).toMatchObject({
      version: '0.9.0',
      sha256: old.sha256,
      origin: 'gitlab:autocommerce/modules/orders',
    });
    expect(cli(['verify', '--ring', 'stable', '--cwd', dir]).code).toBe(0);
    expect(cli(['lock', '--check', '--ring', 'stable', '--cwd', dir]).code).toBe(0);
    // The ring that tracks the sources pins what they hold: an older version there is refused.
    const t = cli([
      'import',
      'autocom',
      'modules/manifests/stable.lock.json',
      '--ring',
      'stable=canary',
      '--cwd',
      dir,
    ]);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('and ring "canary" tracks the sources: its lock pins what they hold');
  });
  it('an older release of a PascalCase module keeps its deploy path, and its platform dependencies stay out', () => {
    const dir = platformRepo({ catalog: { version: '1.2.0' } });
    const orders = (v: string) =>
      `${JSON.stringify({ name: 'orders', alias: 'orders', version: v, dependencies: { '@platform/sdk': '^3.0.0' } }, null, 2)}\n`;
    writeTree(dir, { 'modules/Orders/module.json': orders('0.9.0'), 'modules/Orders/src/a.php': '<?php\n' });
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-qm', 'orders 0.9.0']);
    writeTree(dir, { 'modules/Orders/module.json': orders('1.0.0') });
    git(dir, ['commit', '-qam', 'orders 1.0.0']);
    writeTree(dir, {
      'modules/manifests/stable.lock.json': autocomLock({
        orders: entry('0.9.0', 'orders'),
        catalog: entry('1.2.0', 'catalog'),
      }),
    });
    const r = cli(['import', 'autocom', 'modules/manifests/stable.lock.json', '--cwd', dir]);
    expect(r.code, r.stderr).toBe(0);
    const pinned = readLock(dir, 'stable').modules.orders!;
    expect(pinned).toMatchObject({ version: '0.9.0', source: 'modules/Orders', path: 'Orders' });
    expect(pinned.dependencies).toEqual({});
    expect(cli(['lock', '--check', '--ring', 'stable', '--cwd', dir]).code).toBe(0);
  });
});

describe('ringlock import: existing locks', () => {
  it('refuses to replace a lock that pins modules (exit 2, unchanged); --force replaces it, keeping the integrity of unchanged pins', () => {
    const dir = autocomRepo();
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    const lock = readLock(dir, 'canary');
    lock.modules.orders!.integrity = 'sha256-AAAA';
    lock.modules.orders!.artifact = 'orders/1.0.0/orders-1.0.0.tgz';
    writeFileSync(join(dir, 'rings/canary.lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
    const before = readFileSync(join(dir, 'rings/canary.lock.json'), 'utf8');
    const r = cli(['import', 'autocom', 'manifest.lock.json', '--cwd', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "rings/canary.lock.json already pins modules; import replaces a ring's whole lock",
    );
    expect(r.stderr).toContain('--force');
    expect(readFileSync(join(dir, 'rings/canary.lock.json'), 'utf8')).toBe(before);
    const dry = cli(['import', 'autocom', 'manifest.lock.json', '--dry-run', '--cwd', dir]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('needs --force');
    const f = cli(['import', 'autocom', 'manifest.lock.json', '--force', '--cwd', dir]);
    expect(f.code).toBe(0);
    const after = readLock(dir, 'canary');
    expect(after.modules.orders).toMatchObject({
      integrity: 'sha256-AAAA',
      origin: 'gitlab:autocommerce/modules/orders',
    });
    expect(after.modules.catalog?.origin).toBe('gitlab:autocommerce/modules/catalog');
  });

  it('replaces an empty lock (as init writes for the later rings) without --force', () => {
    const dir = autocomRepo();
    writeTree(dir, {
      'rings/edge.lock.json':
        '{\n  "lockfileVersion": 1,\n  "modules": {},\n  "platform": "2.0.0",\n  "ring": "edge"\n}\n',
    });
    expect(cli(['import', 'autocom', 'manifest.lock.json', '--ring', 'edge', '--cwd', dir]).code).toBe(0);
    expect(Object.keys(readLock(dir, 'edge').modules)).toEqual(['catalog', 'orders']);
  });

  it('ringlock lock keeps the origin when the module moves on', () => {
    const dir = autocomRepo();
    expect(cli(['import', 'autocom', 'manifest.lock.json', '--cwd', dir]).code).toBe(0);
    writeFileSync(join(dir, 'modules/orders/module.json'), manifest('orders', '1.1.0'));
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    expect(readLock(dir, 'canary').modules.orders).toMatchObject({
      version: '1.1.0',
      origin: 'gitlab:autocommerce/modules/orders',
    });
  });
});

describe('ringlock import: pins the imported ring would block', () => {
  it('warns (exit 0, written) about a pin whose dependency the ring lacks, in the summary and in --json', () => {
    const dir = platformRepo({
      orders: { version: '1.5.0', extra: { dependencies: { payments: '^2.0.0' } } },
      payments: { version: '2.1.0' },
    });
    writeFileSync(join(dir, 'manifest.lock.json'), autocomLock({ orders: entry('1.5.0', 'orders') }));
    const r = cli(['import', 'autocom', 'manifest.lock.json', '--cwd', dir]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'warning: ring canary: orders 1.5.0 is blocked: orders needs payments ^2.0.0 → payments is not in the ring; apply will not install it as imported [import/blocked]',
    );
    expect(readLock(dir, 'canary').modules.orders?.version).toBe('1.5.0');
    const j = JSON.parse(
      cli(['import', 'autocom', 'manifest.lock.json', '--dry-run', '--json', '--cwd', dir]).stdout,
    );
    expect(j.rings[0].warnings).toEqual([
      {
        code: 'import/blocked',
        module: 'orders',
        version: '1.5.0',
        status: 'blocked',
        message: 'orders 1.5.0 is blocked: orders needs payments ^2.0.0 → payments is not in the ring',
      },
    ]);
    // With payments pinned too, nothing is blocked.
    writeFileSync(
      join(dir, 'manifest.lock.json'),
      autocomLock({ orders: entry('1.5.0', 'orders'), payments: entry('2.1.0', 'payments') }),
    );
    const ok = JSON.parse(
      cli(['import', 'autocom', 'manifest.lock.json', '--dry-run', '--json', '--force', '--cwd', dir]).stdout,
    );
    expect(ok.rings[0].warnings).toEqual([]);
  });

  it('warns about a dependency pinned out of range', () => {
    const dir = platformRepo({
      orders: { version: '1.5.0', extra: { dependencies: { payments: '^2.0.0' } } },
      payments: { version: '1.9.0' },
    });
    writeFileSync(
      join(dir, 'manifest.lock.json'),
      autocomLock({ orders: entry('1.5.0', 'orders'), payments: entry('1.9.0', 'payments') }),
    );
    const r = cli(['import', 'autocom', 'manifest.lock.json', '--cwd', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'orders 1.5.0 is blocked: orders needs payments ^2.0.0 → the ring has payments 1.9.0',
    );
  });
});
