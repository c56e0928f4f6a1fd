// AutoCom modules live in PascalCase folders (Modules/Orders) that PSR-4 autoloading needs as they are: the lock
// records that folder as the entry's `path`, and the target deploys the module there. Lowercase modules are unchanged.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { buildPlatform, type Platform, scratch, show } from './fixtures-platform.js';
import { AUTOCOM_ORDERS } from './fixtures-shapes.js';
import { writeTree } from './helpers.js';

/** Modules/Orders as AutoCom writes it (alias, released_at, providers), without PHP hooks (no runner needed here). */
function writeOrders(p: Platform, version: string): void {
  const { lifecycle: _, ...orders } = AUTOCOM_ORDERS;
  writeTree(join(p.repo, 'modules/Orders'), {
    'module.json': `${JSON.stringify({ ...orders, version, dependencies: { catalog: '^1.0.0' } }, null, 4)}\n`,
    'Providers/OrdersServiceProvider.php': `<?php // ${version}\n`,
  });
}

async function autocomPlatform(t: Parameters<typeof scratch>[0], targetConfig?: string): Promise<Platform> {
  const p = await buildPlatform(
    scratch(t, 'module-path'),
    { catalog: { version: '1.1.0' } },
    { unreleased: true, targetConfig },
  );
  writeOrders(p, '1.0.0');
  await p.release();
  return p;
}

const lockJson = (p: Platform) =>
  JSON.parse(p.readLock()) as { modules: Record<string, Record<string, unknown>> };

it('an AutoCom module is locked with its folder as path and deployed at target/Orders; upgrade and rollback keep it', async (t) => {
  const p = await autocomPlatform(t);
  const lock = lockJson(p);
  expect(lock.modules.orders).toMatchObject({ path: 'Orders', source: 'modules/Orders' });
  // A lowercase module's entry is as before: no path.
  expect(Object.keys(lock.modules.catalog!)).not.toContain('path');

  const r = await p.apply();
  expect(r.code, show(r)).toBe(0);
  expect(readdirSync(p.target).filter((n) => !n.startsWith('.'))).toEqual(['Orders', 'catalog']);
  expect(lstatSync(join(p.target, 'Orders')).isSymbolicLink()).toBe(true);
  expect(JSON.parse(readFileSync(join(p.target, 'Orders/module.json'), 'utf8')).version).toBe('1.0.0');
  expect(p.link('Orders')).toMatch(/^\.ringlock\/store\/orders\/1\.0\.0-/);
  expect(p.state().modules.orders).toMatchObject({ path: 'Orders', active: { version: '1.0.0' } });
  expect(p.state().modules.catalog!.path).toBeUndefined();

  const v = await p.cli(['verify', '--dir', p.target, '--ring', 'canary']);
  expect(v.code, show(v)).toBe(0);
  const list = await p.cli(['list']);
  expect(list.stdout).toContain('orders (at Orders)');

  writeOrders(p, '1.1.0');
  await p.release();
  const up = await p.apply();
  expect(up.code, show(up)).toBe(0);
  expect(p.link('Orders')).toMatch(/^\.ringlock\/store\/orders\/1\.1\.0-/);
  expect(existsSync(join(p.target, 'orders'))).toBe(false);

  const back = await p.cli(['rollback', 'orders', '--yes']);
  expect(back.code, show(back)).toBe(0);
  expect(p.link('Orders')).toMatch(/^\.ringlock\/store\/orders\/1\.0\.0-/);
  expect(readdirSync(p.target).filter((n) => !n.startsWith('.'))).toEqual(['Orders', 'catalog']);
  expect(p.state().modules.orders).toMatchObject({ path: 'Orders', active: { version: '1.0.0' } });

  // Deployed under the lowercase name, the platform would not load it: verify --dir says so.
  const moved = join(p.root, 'moved');
  await p.copyTarget(p.target, moved);
  const { renameSync } = await import('node:fs');
  renameSync(join(moved, 'Orders'), join(moved, 'orders'));
  const v2 = await p.cli(['verify', '--dir', moved, '--ring', 'canary', '--json']);
  expect(v2.code, show(v2)).toBe(1);
  expect(v2.stdout).toContain('deployed at orders, the lock deploys it at Orders');
});

it('a module deployed at its lowercase name before its lock said path moves to target/Orders, the old link removed', async (t) => {
  const p = await autocomPlatform(t);
  const withPath = p.readLock();
  const lock = lockJson(p);
  delete lock.modules.orders!.path;
  p.writeLock(`${JSON.stringify(lock, null, 2)}\n`);
  const first = await p.apply();
  expect(first.code, show(first)).toBe(0);
  expect(p.link('orders')).toMatch(/^\.ringlock\/store\/orders\/1\.0\.0-/);
  p.writeLock(withPath);
  const plan = await p.cli(['plan', '--ring', 'canary', '--json']);
  expect(plan.stdout).toContain('the lock deploys it at Orders, it is deployed at orders');
  const r = await p.apply();
  expect(r.code, show(r)).toBe(0);
  expect(readdirSync(p.target).filter((n) => !n.startsWith('.'))).toEqual(['Orders', 'catalog']);
  expect(p.link('Orders')).toMatch(/^\.ringlock\/store\/orders\/1\.0\.0-/);
  expect(p.state().modules.orders!.path).toBe('Orders');
  const again = await p.cli(['plan', '--ring', 'canary', '--json']);
  expect(again.code, show(again)).toBe(0);
  expect(again.stdout).not.toContain('deploys it at');
});

it('copy mode copies the module to target/Orders and upgrades it there', async (t) => {
  const p = await autocomPlatform(t, '  mode: copy');
  const r = await p.apply();
  expect(r.code, show(r)).toBe(0);
  expect(lstatSync(join(p.target, 'Orders')).isDirectory()).toBe(true);
  writeOrders(p, '1.1.0');
  await p.release();
  const up = await p.apply();
  expect(up.code, show(up)).toBe(0);
  expect(readFileSync(join(p.target, 'Orders/Providers/OrdersServiceProvider.php'), 'utf8')).toContain(
    '1.1.0',
  );
  expect(readdirSync(p.target).filter((n) => !n.startsWith('.'))).toEqual(['Orders', 'catalog']);
  const v = await p.cli(['verify', '--dir', p.target, '--ring', 'canary']);
  expect(v.code, show(v)).toBe(0);
});

it.each([
  ['../x', 'pattern'],
  ['/srv/orders', 'pattern'],
  ['Orders/../../x', 'pattern'],
  ['Catalog', 'is not the module name'],
])('a hostile path %j in the lock is refused (exit 2), nothing changes on the target', async (bad, says) => {
  const t = { onTestFinished: (fn: () => void) => cleanups.push(fn) };
  const cleanups: (() => void)[] = [];
  try {
    const p = await autocomPlatform(t);
    const lock = lockJson(p);
    lock.modules.orders!.path = bad;
    p.writeLock(`${JSON.stringify(lock, null, 2)}\n`);
    const r = await p.apply();
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('/modules/orders/path');
    expect(r.stderr).toContain(says);
    expect(existsSync(p.target) ? readdirSync(p.target).filter((n) => !n.startsWith('.')) : []).toEqual([]);
    expect(existsSync(join(p.root, 'x'))).toBe(false);
  } finally {
    for (const fn of cleanups) fn();
  }
});

it('a scoped module deployed at its folder case is blocked, never written through, when its scope is a symlink', async (t) => {
  const p = await buildPlatform(scratch(t, 'module-path'), {}, { unreleased: true });
  writeTree(join(p.repo, 'modules/@Acme/Crm'), {
    'module.json': `${JSON.stringify({ name: '@acme/crm', version: '1.0.0', compatibility: { platform: '^2.0.0' } })}\n`,
  });
  await p.release();
  expect(lockJson(p).modules['@acme/crm']).toMatchObject({ path: '@Acme/Crm' });
  const outside = join(p.root, 'outside');
  mkdirSync(outside);
  mkdirSync(p.target, { recursive: true });
  symlinkSync(outside, join(p.target, '@Acme'));
  const r = await p.apply();
  expect(r.code, show(r)).toBe(1);
  expect(r.stdout + r.stderr).toContain('@Acme is a symlink');
  expect(readdirSync(outside)).toEqual([]);
});
