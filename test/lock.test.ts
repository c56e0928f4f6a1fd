import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeLock } from '../src/model/lock.js';
import type { RingLock } from '../src/model/types.js';
import { cli, manifest, platformRepo } from './helpers.js';

const readLock = (dir: string, ring: string): RingLock =>
  JSON.parse(readFileSync(join(dir, 'rings', `${ring}.lock.json`), 'utf8'));

describe('serializeLock', () => {
  it('writes sorted keys, two-space indent and a trailing newline, whatever the input order', () => {
    const a = serializeLock({
      ring: 'canary',
      lockfileVersion: 1,
      platform: '2.0.0',
      modules: {
        b: { version: '1.0.0', sha256: 'sha256:00' },
        a: { sha256: 'sha256:11', version: '2.0.0', dependencies: { z: '^1', y: '^2' } },
      },
    });
    expect(a).toBe(
      '{\n  "lockfileVersion": 1,\n  "modules": {\n    "a": {\n      "dependencies": {\n        "y": "^2",\n        "z": "^1"\n      },\n' +
        '      "sha256": "sha256:11",\n      "version": "2.0.0"\n    },\n    "b": {\n      "sha256": "sha256:00",\n      "version": "1.0.0"\n    }\n  },\n' +
        '  "platform": "2.0.0",\n  "ring": "canary"\n}\n',
    );
  });
});

describe('ringlock lock', () => {
  it('writes the tracking ring from the sources, byte-stable across runs', () => {
    const dir = platformRepo({
      orders: { version: '1.5.0', extra: { dependencies: { payments: '^2.0.0' } } },
      payments: { version: '2.1.0' },
    });
    const r = cli(['lock', '--cwd', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rings/canary.lock.json: created');
    const lock = readLock(dir, 'canary');
    expect(lock).toMatchObject({ ring: 'canary', platform: '2.0.0', lockfileVersion: 1 });
    expect(lock.modules.orders).toMatchObject({
      version: '1.5.0',
      source: 'modules/orders',
      file_count: 2,
      dependencies: { payments: '^2.0.0' },
      compatibility: { platform: '^2.0.0' },
    });
    expect(lock.modules.orders!.sha256).toMatch(/^sha256:[0-9a-f]{64}$/);
    const bytes = readFileSync(join(dir, 'rings/canary.lock.json'));
    expect(cli(['lock', '--cwd', dir]).stdout).toContain('up to date');
    expect(readFileSync(join(dir, 'rings/canary.lock.json'))).toEqual(bytes);
    expect(readdirSync(join(dir, 'rings'))).toEqual(['canary.lock.json']);
  });

  it('--check exits 1 listing what is stale, and writes nothing', () => {
    const dir = platformRepo({ orders: { version: '1.5.0' }, payments: { version: '2.1.0' } });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    writeFileSync(join(dir, 'modules/orders/src/index.php'), '<?php // changed\n');
    writeFileSync(join(dir, 'modules/payments/module.json'), manifest('payments', '2.2.0'));
    const before = readFileSync(join(dir, 'rings/canary.lock.json'));
    const r = cli(['lock', '--check', '--cwd', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('stale');
    expect(r.stdout).toMatch(/~ orders 1\.5\.0 \(.*sha256.*changed\)/);
    expect(r.stdout).toContain('~ payments 2.1.0 → 2.2.0');
    expect(readFileSync(join(dir, 'rings/canary.lock.json'))).toEqual(before);
    const j = JSON.parse(cli(['lock', '--check', '--json', '--cwd', dir]).stdout);
    expect(j).toMatchObject({ ok: false, upToDate: false, written: false });
    expect(j.changes.map((c: { module: string }) => c.module)).toEqual(['orders', 'payments']);
  });

  it('keeps integrity and artifact while version and content stay, and drops them when content changes', () => {
    const dir = platformRepo({ orders: { version: '1.5.0' } });
    cli(['lock', '--cwd', dir]);
    const lock = readLock(dir, 'canary');
    lock.modules.orders!.integrity = 'sha512-AAAA';
    lock.modules.orders!.artifact = 'orders/1.5.0/orders-1.5.0.tgz';
    writeFileSync(join(dir, 'rings/canary.lock.json'), serializeLock(lock));
    expect(cli(['lock', '--cwd', dir]).stdout).toContain('up to date');
    writeFileSync(join(dir, 'modules/orders/src/index.php'), '<?php // new\n');
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    const after = readLock(dir, 'canary');
    expect(after.modules.orders!.integrity).toBeUndefined();
    expect(after.modules.orders!.artifact).toBeUndefined();
  });

  it('in a ring that does not track the sources: refreshes pins at the source version, refuses unbumped changes, --module re-pins', () => {
    const dir = platformRepo({ orders: { version: '1.5.0' }, payments: { version: '2.1.0' } });
    cli(['lock', '--cwd', dir]);
    const canary = readLock(dir, 'canary');
    const old = { version: '1.4.0', sha256: `sha256:${'a'.repeat(64)}`, integrity: 'sha512-BBBB' };
    // payments pins the source version with the source's content, but stale metadata: a refresh.
    const edge: RingLock = {
      lockfileVersion: 1,
      ring: 'edge',
      platform: '1.9.0',
      modules: {
        orders: old,
        payments: { ...canary.modules.payments!, file_count: 99, integrity: 'sha512-CCCC' },
      },
    };
    writeFileSync(join(dir, 'rings/edge.lock.json'), serializeLock(edge));
    expect(cli(['lock', '--ring', 'edge', '--check', '--cwd', dir]).code).toBe(1);
    expect(cli(['lock', '--ring', 'edge', '--cwd', dir]).code).toBe(0);
    let lock = readLock(dir, 'edge');
    expect(lock.platform).toBe('1.9.0');
    expect(lock.modules.orders).toEqual(old);
    expect(lock.modules.payments).toEqual({ ...canary.modules.payments!, integrity: 'sha512-CCCC' });
    // The source of payments 2.1.0 changes without a version bump: edge's release pin must not follow silently.
    writeFileSync(join(dir, 'modules/payments/src/index.php'), '<?php // hotfix\n');
    const before = readFileSync(join(dir, 'rings/edge.lock.json'));
    const r = cli(['lock', '--ring', 'edge', '--cwd', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('payments 2.1.0: the source changed without a version bump');
    expect(r.stderr).toContain('--module payments');
    expect(readFileSync(join(dir, 'rings/edge.lock.json'))).toEqual(before);
    expect(
      cli(['lock', '--ring', 'edge', '--module', 'payments', '--module', 'orders', '--cwd', dir]).code,
    ).toBe(0);
    lock = readLock(dir, 'edge');
    expect(lock.modules.orders!.version).toBe('1.5.0');
    expect(lock.modules.orders!.integrity).toBeUndefined();
    expect(lock.modules.payments!.sha256).not.toBe(canary.modules.payments!.sha256);
    expect(lock.modules.payments!.integrity).toBeUndefined();
  });

  it('drops modules whose source is gone from the tracking ring', () => {
    const dir = platformRepo({ orders: { version: '1.5.0' }, legacy: { version: '0.1.0' } });
    cli(['lock', '--cwd', dir]);
    const lock = readLock(dir, 'canary');
    expect(Object.keys(lock.modules)).toEqual(['legacy', 'orders']);
    rmSync(join(dir, 'modules/legacy'), { recursive: true });
    const r = cli(['lock', '--cwd', dir]);
    expect(r.stdout).toContain('- legacy 0.1.0');
    expect(Object.keys(readLock(dir, 'canary').modules)).toEqual(['orders']);
  });

  it('refuses a prerelease into a ring that does not allow it, pointing at the version, and writes nothing', () => {
    const dir = platformRepo({ orders: { version: '1.5.0-rc.1' } });
    mkdirSync(join(dir, 'rings'));
    writeFileSync(join(dir, 'rings/.keep'), '');
    const r = cli(['lock', '--ring', 'edge', '--module', 'orders', '--cwd', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/modules\/orders\/module\.json:3:14: orders 1\.5\.0-rc\.1 is a prerelease/);
    expect(readdirSync(join(dir, 'rings'))).toEqual(['.keep']);
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
  });
});
