// Hook runners through the real CLI: AutoCom's lifecycle hooks name PHP classes, run through the operator's `php`
// runner — here a fake `php` first on PATH that records its argv and the context file. afterSwitch, onRemove and the
// newer version's onDowngrade; a reference without a runner is refused with nothing changed.
import { appendFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lifecycle, ok, setup } from './fixtures-hooks.js';
import { buildPlatform, HOOKS, scratch, show } from './fixtures-platform.js';

describe.concurrent('hook runners', () => {
  it("maps a PHP class to the operator's php runner: placeholders as whole argv elements, the context as a 0600 file", async (t) => {
    const { p, apply, read } = await setup(t);
    ok(await apply());
    expect(read('onInstall-orders-1.0.0.argv')!.trim().split('\n')).toEqual([
      'artisan',
      'module:hook',
      'Modules\\Orders\\App\\Lifecycle\\OnInstall',
      '--context',
      read('onInstall-orders-1.0.0.path')!.trim(),
    ]);
    expect(read('onInstall-orders-1.0.0.mode')!.trim()).toBe('600');
    const storeDir = p.state().modules.orders!.active.storeDir;
    const ctx = JSON.parse(read('onInstall-orders-1.0.0.ctx.json')!) as Record<string, unknown>;
    expect(ctx).toMatchObject({
      module: 'orders',
      hook: 'onInstall',
      operation: 'install',
      fromVersion: null,
      toVersion: '1.0.0',
      sourcePath: join(p.target, storeDir),
      ring: 'canary',
      manifest: { name: 'orders', version: '1.0.0', lifecycle: lifecycle('orders') },
    });
    expect(typeof ctx.operationId).toBe('string');
    expect(typeof ctx.actor).toBe('string');
    // The context file is gone once the hook has run.
    expect(existsSync(read('onInstall-orders-1.0.0.path')!.trim())).toBe(false);
    // afterSwitch ran after the switch: the link already pointed at the new tree.
    expect(read('afterSwitch-orders-1.0.0.link')!.trim()).toContain(storeDir.split('/').pop()!);
    expect(read('onInstall-orders-1.0.0.link')!.trim()).toBe('');
  });

  it('a failing afterSwitch rolls back like a failed health check', async (t) => {
    const { p, apply, read } = await setup(t);
    ok(await apply());
    const before = p.link('orders');
    p.writeModule('orders', { version: '1.1.0', lifecycle: lifecycle('orders') });
    await p.release(['orders']);
    const r = await apply(['--json'], { RL_PHP_FAIL: 'afterSwitch:orders' });
    expect(r.code, show(r)).toBe(3);
    expect(read('onUpgrade-orders-1.1.0.argv')).toBeDefined();
    expect(p.link('orders')).toBe(before);
    const s = p.state();
    expect(s.modules.orders).toMatchObject({ status: 'rolled_back', active: { version: '1.0.0' } });
    expect(s.quarantine.map((q) => q.version)).toEqual(['1.1.0']);
    const res = (JSON.parse(r.stdout) as { results: Array<Record<string, unknown>> }).results[0]!;
    expect(res).toMatchObject({ outcome: 'rolled_back' });
    expect(res.hooks).toMatchObject([
      { hook: 'onUpgrade', outcome: 'succeeded' },
      { hook: 'afterSwitch', outcome: 'failed' },
    ]);
  });

  it("a downgrade runs the newer version's onDowngrade, from the newer tree, before the switch", async (t) => {
    const { p, apply, read } = await setup(t);
    ok(await apply());
    const v1Lock = p.readLock();
    p.writeModule('orders', { version: '1.1.0', lifecycle: lifecycle('orders') });
    await p.release(['orders']);
    ok(await apply());
    const newer = p.state().modules.orders!.active.storeDir;
    p.writeLock(v1Lock);
    ok(await apply());
    const ctx = JSON.parse(read('onDowngrade-orders-1.0.0.ctx.json')!) as Record<string, unknown>;
    expect(ctx).toMatchObject({
      fromVersion: '1.1.0',
      toVersion: '1.0.0',
      sourcePath: join(p.target, newer),
      manifest: { version: '1.1.0' },
    });
    // Before the switch: the link still named the newer tree.
    expect(read('onDowngrade-orders-1.0.0.link')!.trim()).toContain(newer.split('/').pop()!);
    expect(p.state().modules.orders!.active.version).toBe('1.0.0');
  });

  it('onRemove runs from the removed tree when the module is pruned', async (t) => {
    const { p, apply, read } = await setup(t);
    ok(await apply());
    const dir = p.state().modules.orders!.active.storeDir;
    p.removeModule('orders');
    await p.ok(['lock']);
    ok(await apply(['--prune']));
    const ctx = JSON.parse(read('onRemove-orders-1.0.0.ctx.json')!) as Record<string, unknown>;
    expect(ctx).toMatchObject({ operation: 'remove', sourcePath: join(p.target, dir) });
    expect(p.state().modules.orders).toBeUndefined();
    expect(p.link('orders')).toBeUndefined();
  });

  it('a failing onRemove keeps the module', async (t) => {
    const { p, apply } = await setup(t);
    ok(await apply());
    const before = p.link('orders');
    p.removeModule('orders');
    await p.ok(['lock']);
    const r = await apply(['--prune'], { RL_PHP_FAIL: 'onRemove:orders' });
    expect(r.code, show(r)).toBe(3);
    expect(p.link('orders')).toBe(before);
    expect(p.state().modules.orders).toMatchObject({ status: 'failed' });
  });

  it('a reference without a runner is refused before anything changes (exit 2, the hook and the fix)', async (t) => {
    const { p, apply } = await setup(t, false);
    const plan = await p.cli([
      'plan',
      '--ring',
      'canary',
      '--operator-config',
      join(p.root, 'operator.yaml'),
    ]);
    expect(plan.code, show(plan)).toBe(2);
    expect(plan.stderr).toContain(
      'lifecycle.onInstall of orders 1.0.0 (Modules\\Orders\\App\\Lifecycle\\OnInstall)',
    );
    const r = await apply();
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain(
      'lifecycle.onInstall of orders 1.0.0 (Modules\\Orders\\App\\Lifecycle\\OnInstall)',
    );
    expect(r.stderr).toContain('hooks.runners.php');
    expect(p.state().modules).toEqual({});
    expect(p.link('orders')).toBeUndefined();
    expect(p.history()).toEqual([]);
    expect(readdirSync(p.out)).toEqual([]);
  });

  it('hooks.commands: refuse refuses a command hook before anything changes; references still run', async (t) => {
    const root = scratch(t, 'hook-commands');
    const p = await buildPlatform(root, { orders: { version: '1.0.0', lifecycle: HOOKS } });
    const op = join(root, 'operator.yaml');
    writeFileSync(op, 'apiVersion: ringlock/v1\nkind: OperatorConfig\nhooks:\n  commands: refuse\n');
    const r = await p.apply(['--operator-config', op]);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('lifecycle.onInstall of orders 1.0.0 (sh ./hook.sh)');
    expect(r.stderr).toContain('hooks.commands');
    expect(p.state().modules).toEqual({});
    expect(p.link('orders')).toBeUndefined();
    expect(p.history()).toEqual([]);

    // The AutoCom fixture's hooks are references: they run through the runner with commands refused.
    const s = await setup(t);
    appendFileSync(join(s.p.root, 'operator.yaml'), '  commands: refuse\n');
    ok(await s.apply());
    expect(s.read('onInstall-orders-1.0.0.argv')).toBeDefined();
  });

  it('hooks.commands takes allow or refuse only (exit 2, naming the field)', async (t) => {
    const { p, apply } = await setup(t);
    appendFileSync(join(p.root, 'operator.yaml'), '  commands: never\n');
    const r = await apply();
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('/hooks/commands');
    expect(p.state().modules).toEqual({});
  });
});
