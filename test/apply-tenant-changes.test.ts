// A tenant change of the ring (rings/tenants.yaml) through the real CLI: its hook runs are in history (op `tenants`),
// its hooks are checked for a runner before anything runs (refused: nothing changed, the set not recorded), and a
// module disabled in the same run gets onDisable for the tenants it was enabled for, not the newly assigned ones.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lifecycle, ok, setup, writeTenants } from './fixtures-hooks.js';
import { show } from './fixtures-platform.js';

const TENANTS = { acme: 'canary', beta: 'canary', gamma: 'stable' };

function setEnabled(lock: string, module: string, enabled: boolean): string {
  const doc = JSON.parse(lock) as { modules: Record<string, Record<string, unknown>> };
  doc.modules[module]!.enabled = enabled;
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** An operator config without runners: every PHP-class hook is a reference nothing can run. */
const dropRunners = (root: string) =>
  writeFileSync(join(root, 'operator.yaml'), 'apiVersion: ringlock/v1\nkind: OperatorConfig\n');

describe.concurrent('tenant changes', () => {
  it('write one history record per module they touch, with each tenant hook run', async (t) => {
    const { p, apply } = await setup(t, true, TENANTS);
    ok(await apply());
    writeTenants(p, { acme: 'canary', beta: 'stable', delta: 'canary' });
    const r = await apply([], { RL_PHP_FAIL: 'onEnable:orders:delta' });
    expect(r.code, show(r)).toBe(0);
    const json = JSON.parse((await p.ok(['history', 'orders', '--json', '--target', p.target])).stdout) as {
      records: Array<Record<string, unknown>>;
    };
    const rec = json.records.filter((h) => h.op === 'tenants');
    expect(rec).toMatchObject([
      {
        op: 'tenants',
        module: 'orders',
        from: '1.0.0',
        to: '1.0.0',
        outcome: 'succeeded',
        hooks: [
          { hook: 'onEnable', tenant: 'delta', exit: 1 },
          { hook: 'onDisable', tenant: 'beta', exit: 0 },
        ],
      },
    ]);
  });

  it('with a hook no runner can run are refused before any hook runs: exit 2, the tenant set not recorded', async (t) => {
    const { p, apply, read } = await setup(t, true, TENANTS);
    ok(await apply());
    const before = p.state();
    const history = p.history().length;
    dropRunners(p.root);
    writeTenants(p, { acme: 'canary', beta: 'canary', delta: 'canary' });
    const r = await apply();
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('hook/no-runner');
    expect(r.stderr).toContain('lifecycle.onEnable of orders 1.0.0');
    expect(read('onEnable-orders-1.0.0-delta.argv')).toBeUndefined();
    expect(p.state().tenants).toEqual(before.tenants);
    expect(p.history()).toHaveLength(history);
  });

  it('a disabled module brought back at a new version has its onEnable checked for a runner first', async (t) => {
    const { p, apply } = await setup(t, true, TENANTS);
    ok(await apply());
    p.writeLock(setEnabled(p.readLock(), 'orders', false));
    ok(await apply());
    // The new version's only hook is the per-tenant onEnable, a PHP class.
    p.writeModule('orders', { version: '1.1.0', lifecycle: { onEnable: lifecycle('orders').onEnable } });
    await p.release(['orders']);
    p.writeLock(setEnabled(p.readLock(), 'orders', true));
    dropRunners(p.root);
    const r = await apply();
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('lifecycle.onEnable of orders 1.1.0');
    expect(p.state().modules.orders).toMatchObject({ status: 'disabled', active: { version: '1.0.0' } });
    expect(p.link('orders')).toBeUndefined();
  });

  it('a disable in the same run runs onDisable for the tenants that were enabled, not the newly assigned', async (t) => {
    const { p, apply, read } = await setup(t, true, TENANTS);
    ok(await apply());
    writeTenants(p, { acme: 'canary', beta: 'stable', gamma: 'canary' });
    p.writeLock(setEnabled(p.readLock(), 'orders', false));
    ok(await apply());
    expect(read('onDisable-orders-1.0.0-acme.argv')).toBeDefined();
    expect(read('onDisable-orders-1.0.0-beta.argv')).toBeDefined();
    expect(read('onDisable-orders-1.0.0-gamma.argv')).toBeUndefined();
    expect(read('onEnable-orders-1.0.0-gamma.argv')).toBeUndefined();
    expect(p.state().tenants).toEqual(['acme', 'gamma']);
  });
});
