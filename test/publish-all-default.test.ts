// publish with no module names publishes every pin of the ring whose source is at the pinned version (as the README
// says); names and --all together are refused, and only then is "not both" said.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RingLock } from '../src/model/types.js';
import { cli, manifest, platformRepo } from './helpers.js';

const readLock = (dir: string, ring: string): RingLock =>
  JSON.parse(readFileSync(join(dir, 'rings', `${ring}.lock.json`), 'utf8'));

describe('publish without names', () => {
  it('publishes every pin whose source holds the pinned version, and skips older releases', () => {
    const dir = platformRepo({ orders: { version: '1.0.0' }, payments: { version: '2.0.0' } });
    expect(
      cli(['lock', '--ring', 'edge', '--module', 'orders', '--module', 'payments', '--cwd', dir]).code,
    ).toBe(0);
    writeFileSync(join(dir, 'modules/payments/module.json'), manifest('payments', '2.1.0'));
    const r = cli(['publish', '--ring', 'edge', '--json', '--cwd', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).published.map((p: { module: string }) => p.module)).toEqual(['orders']);
    const lock = readLock(dir, 'edge');
    expect(lock.modules.orders!.integrity).toMatch(/^sha512-/);
    expect(lock.modules.payments!.integrity).toBeUndefined();
  });

  it('on the tracking ring by default, like --all', () => {
    const dir = platformRepo({ orders: { version: '1.0.0' }, payments: { version: '2.0.0' } });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    const r = cli(['publish', '--cwd', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('published 2 to');
    expect(Object.values(readLock(dir, 'canary').modules).every((e) => e.integrity !== undefined)).toBe(true);
  });

  it('refuses names together with --all, saying "not both", and writes nothing', () => {
    const dir = platformRepo({ orders: { version: '1.0.0' } });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    const before = readFileSync(join(dir, 'rings/canary.lock.json'), 'utf8');
    const r = cli(['publish', 'orders', '--all', '--cwd', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('publish: name the modules to publish or pass --all, not both');
    expect(readFileSync(join(dir, 'rings/canary.lock.json'), 'utf8')).toBe(before);
  });
});
