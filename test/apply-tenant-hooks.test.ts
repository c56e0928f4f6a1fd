// Per-tenant hooks and the disable/enable lifecycle through the real CLI: onEnable/onDisable run once per tenant of the
// ring (a failing tenant does not halt), when a tenant is assigned or leaves, and when the lock says `"enabled": false`
// (the tree stays in the store: re-enabling needs no registry).
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lifecycle, ok, setup, writeTenants } from './fixtures-hooks.js';
import { show } from './fixtures-platform.js';

const TENANTS = { acme: 'canary', beta: 'canary', gamma: 'stable' };

interface Result {
  module: string;
  action: string;
  outcome: string;
  lifecycle?: string;
  tenants?: { assigned: string[]; left: string[] };
  hooks?: Array<{ hook: string; tenant?: string; outcome: string; error?: string }>;
}

const historyOf = (r: { stdout: string }) =>
  (JSON.parse(r.stdout) as { records: Array<Record<string, unknown>> }).records;

const results = (stdout: string) => (JSON.parse(stdout) as { results: Result[] }).results;

function setEnabled(lock: string, module: string, enabled: boolean | undefined): string {
  const doc = JSON.parse(lock) as { modules: Record<string, Record<string, unknown>> };
  if (enabled === undefined) delete doc.modules[module]!.enabled;
  else doc.modules[module]!.enabled = enabled;
  return `${JSON.stringify(doc, null, 2)}\n`;
}

describe.concurrent('per-tenant hooks', () => {
  it('a first install runs onEnable once per tenant of the ring, with the tenant in the context; one failing tenant does not halt', async (t) => {
    const { p, apply, read } = await setup(t, true, TENANTS);
    const r = await apply(['--json'], { RL_PHP_FAIL: 'onEnable:orders:acme' });
    expect(r.code, show(r)).toBe(0);
    expect(JSON.parse(read('onEnable-orders-1.0.0-beta.ctx.json')!)).toMatchObject({
      hook: 'onEnable',
      tenant: 'beta',
      toVersion: '1.0.0',
      ring: 'canary',
    });
    expect(read('onEnable-orders-1.0.0-acme.argv')).toBeDefined();
    expect(read('onEnable-orders-1.0.0-gamma.argv')).toBeUndefined();
    expect(p.state().modules.orders).toMatchObject({ status: 'active' });
    const res = results(r.stdout).find((x) => x.module === 'orders')!;
    expect(res.outcome).toBe('succeeded');
    expect(res.hooks).toMatchObject([
      { hook: 'onInstall', outcome: 'succeeded' },
      { hook: 'afterSwitch', outcome: 'succeeded' },
      { hook: 'onEnable', tenant: 'acme', outcome: 'failed' },
      { hook: 'onEnable', tenant: 'beta', outcome: 'succeeded' },
    ]);
    expect(p.state().tenants).toEqual(['acme', 'beta']);
    // The history record carries every hook the operation ran, afterSwitch and onEnable (per tenant) too.
    expect(historyOf(await p.ok(['history', 'orders', '--json', '--target', p.target]))).toMatchObject([
      {
        op: 'install',
        outcome: 'succeeded',
        hooks: [
          { hook: 'onInstall', exit: 0 },
          { hook: 'afterSwitch', exit: 0 },
          { hook: 'onEnable', tenant: 'acme', exit: 1 },
          { hook: 'onEnable', tenant: 'beta', exit: 0 },
        ],
      },
    ]);
  });

  it('a tenant assigned to the ring gets onEnable, one leaving it gets onDisable; the set is kept in the state', async (t) => {
    const { p, apply, read, plan } = await setup(t, true, TENANTS);
    ok(await apply());
    rmSync(p.out, { recursive: true, force: true });
    writeTenants(p, { acme: 'canary', beta: 'stable', delta: 'canary' });
    expect((await plan()).tenants).toEqual({
      assigned: ['delta'],
      left: ['beta'],
      set: ['acme', 'delta'],
    });
    const r = await apply(['--json']);
    expect(r.code, show(r)).toBe(0);
    expect(JSON.parse(read('onEnable-orders-1.0.0-delta.ctx.json')!)).toMatchObject({ tenant: 'delta' });
    expect(JSON.parse(read('onDisable-orders-1.0.0-beta.ctx.json')!)).toMatchObject({ tenant: 'beta' });
    expect(read('onEnable-orders-1.0.0-acme.argv')).toBeUndefined();
    expect(results(r.stdout).find((x) => x.module === 'orders')).toMatchObject({
      action: 'noop',
      tenants: { assigned: ['delta'], left: ['beta'] },
    });
    expect(p.state().tenants).toEqual(['acme', 'delta']);
    // Nothing changed since: no hook runs again.
    rmSync(p.out, { recursive: true, force: true });
    ok(await apply());
    expect(existsSync(p.out) ? readdirSync(p.out) : []).toEqual([]);
  });
});

describe.concurrent('disable and enable', () => {
  it('"enabled": false removes the link and keeps the tree; enabling again comes from the store without the registry', async (t) => {
    const { p, apply, read, plan } = await setup(t, true, TENANTS);
    ok(await apply());
    const storeDir = p.state().modules.orders!.active.storeDir;
    const enabledLock = p.readLock();
    p.writeLock(setEnabled(enabledLock, 'orders', false));
    const planned = await plan();
    expect(planned.actions).toMatchObject([
      { module: 'orders', kind: 'disable', from: '1.0.0', to: '1.0.0' },
    ]);
    rmSync(p.out, { recursive: true, force: true });
    const off = await apply(['--json']);
    expect(off.code, show(off)).toBe(0);
    expect(results(off.stdout)[0]).toMatchObject({
      action: 'disable',
      outcome: 'succeeded',
      lifecycle: 'disabled',
    });
    expect(p.link('orders')).toBeUndefined();
    expect(existsSync(join(p.target, storeDir))).toBe(true);
    expect(p.state().modules.orders).toMatchObject({ status: 'disabled', active: { storeDir } });
    expect(read('onDisable-orders-1.0.0-acme.argv')).toBeDefined();
    expect(read('onDisable-orders-1.0.0-beta.argv')).toBeDefined();
    const list = JSON.parse((await p.ok(['list', '--json'])).stdout) as {
      modules: { name: string; status: string }[];
    };
    expect(list.modules.find((m) => m.name === 'orders')?.status).toBe('disabled');
    expect(p.history().at(-1)).toMatchObject({ op: 'disable', outcome: 'succeeded' });
    // Steady: a disabled module is no drift and no work.
    const again = await plan();
    expect(again.actions).toMatchObject([{ module: 'orders', kind: 'noop' }]);

    p.dropRegistry();
    p.writeLock(enabledLock);
    rmSync(p.out, { recursive: true, force: true });
    const plan2 = await plan();
    expect(plan2.actions).toMatchObject([{ module: 'orders', kind: 'enable' }]);
    const on = await apply(['--json']);
    expect(on.code, show(on)).toBe(0);
    expect(results(on.stdout)[0]).toMatchObject({
      action: 'enable',
      outcome: 'succeeded',
      lifecycle: 'enabled',
    });
    expect(p.link('orders')).toBe(storeDir);
    expect(p.state().modules.orders).toMatchObject({ status: 'active' });
    expect(read('onEnable-orders-1.0.0-acme.argv')).toBeDefined();
    expect(read('onEnable-orders-1.0.0-beta.argv')).toBeDefined();
    expect(read('afterSwitch-orders-1.0.0.argv')).toBeDefined();
    expect(read('onInstall-orders-1.0.0.argv')).toBeUndefined();
  });

  it('a failed enable leaves the module disabled with no link, also when it comes back at a new version', async (t) => {
    const { p, apply } = await setup(t, true, TENANTS);
    ok(await apply());
    const storeDir = p.state().modules.orders!.active.storeDir;
    const enabledLock = p.readLock();
    p.writeLock(setEnabled(enabledLock, 'orders', false));
    ok(await apply());
    const unlinked = p.state().unlinked;
    expect(unlinked).toBeDefined();
    // Enabling fails its afterSwitch: the tree that failed does not stay live.
    p.writeLock(enabledLock);
    const failed = await apply(['--json'], { RL_PHP_FAIL: 'afterSwitch:orders' });
    expect(failed.code, show(failed)).toBe(3);
    expect(results(failed.stdout)[0]).toMatchObject({ action: 'enable', outcome: 'rolled_back' });
    expect(p.link('orders')).toBeUndefined();
    expect(p.state().modules.orders).toMatchObject({ status: 'disabled', active: { storeDir } });
    expect(p.state().unlinked).toEqual(unlinked);
    // Coming back at a new version that fails: still disabled at the old one, nothing linked.
    p.writeModule('orders', { version: '1.1.0', lifecycle: lifecycle('orders') });
    await p.release(['orders']);
    p.writeLock(setEnabled(p.readLock(), 'orders', undefined));
    const up = await apply(['--json'], { RL_PHP_FAIL: 'afterSwitch:orders' });
    expect(up.code, show(up)).toBe(3);
    expect(results(up.stdout)[0]).toMatchObject({ action: 'upgrade', to: '1.1.0', outcome: 'rolled_back' });
    expect(p.link('orders')).toBeUndefined();
    expect(p.state().modules.orders).toMatchObject({ status: 'disabled', active: { version: '1.0.0' } });
    // A failure before the switch (the registry is gone) leaves it disabled too, not `failed`.
    p.writeModule('orders', { version: '1.2.0', lifecycle: lifecycle('orders') });
    await p.release(['orders']);
    p.writeLock(setEnabled(p.readLock(), 'orders', undefined));
    p.dropRegistry();
    const gone = await apply(['--json']);
    expect(gone.code, show(gone)).toBe(3);
    expect(p.link('orders')).toBeUndefined();
    expect(p.state().modules.orders).toMatchObject({ status: 'disabled', active: { version: '1.0.0' } });
  });

  it('disable and enable in copy mode: the directory goes and comes back from the store', async (t) => {
    const { p, apply } = await setup(t, true, TENANTS, '  mode: copy');
    ok(await apply());
    expect(existsSync(join(p.target, 'orders', 'module.json'))).toBe(true);
    const enabledLock = p.readLock();
    p.writeLock(setEnabled(enabledLock, 'orders', false));
    ok(await apply());
    expect(existsSync(join(p.target, 'orders'))).toBe(false);
    expect(p.state().modules.orders?.status).toBe('disabled');
    p.dropRegistry();
    p.writeLock(enabledLock);
    ok(await apply());
    expect(existsSync(join(p.target, 'orders', 'module.json'))).toBe(true);
    expect(p.state().modules.orders?.status).toBe('active');
  });

  it('an enable killed after the switch is recovered, not recorded as succeeded: the module stays disabled, unlinked', async (t) => {
    const { p, apply } = await setup(t, true, TENANTS);
    ok(await apply());
    const enabledLock = p.readLock();
    const disabledLock = setEnabled(enabledLock, 'orders', false);
    p.writeLock(disabledLock);
    ok(await apply());
    p.writeLock(enabledLock);
    const crashed = await apply([], { RINGLOCK_CRASH_AT: 'after-switch' });
    expect(crashed.signal, show(crashed)).toBe('SIGKILL');
    // The lock says disabled again: recovery alone decides what the disk runs.
    p.writeLock(disabledLock);
    ok(await apply());
    expect(p.link('orders')).toBeUndefined();
    expect(p.state().modules.orders?.status).toBe('disabled');
    expect(p.history().filter((h) => h.op === 'enable')).toEqual([]);
    expect(p.history().at(-1)).toMatchObject({ op: 'recover', outcome: 'recovered' });
  });

  it('an install killed after its state was written gets its history record with every hook from recovery', async (t) => {
    const { p, apply } = await setup(t, true, TENANTS);
    const crashed = await apply([], { RINGLOCK_CRASH_AT: 'after-state' });
    expect(crashed.signal, show(crashed)).toBe('SIGKILL');
    ok(await apply());
    const installs = p.history().filter((h) => h.op === 'install');
    expect(installs).toHaveLength(1);
    expect(installs[0]!.hooks?.map((h) => `${h.hook}${h.tenant ? `:${h.tenant}` : ''}`)).toEqual([
      'onInstall',
      'afterSwitch',
      'onEnable:acme',
      'onEnable:beta',
    ]);
  });

  it('a disable killed after its state was written is completed by the next run: no link, one history record', async (t) => {
    const { p, apply } = await setup(t, true, TENANTS);
    ok(await apply());
    p.writeLock(setEnabled(p.readLock(), 'orders', false));
    const crashed = await apply([], { RINGLOCK_CRASH_AT: 'after-state' });
    expect(crashed.signal, show(crashed)).toBe('SIGKILL');
    ok(await apply());
    expect(p.link('orders')).toBeUndefined();
    expect(p.state().modules.orders?.status).toBe('disabled');
    expect(p.history().filter((h) => h.op === 'disable')).toHaveLength(1);
  });
});

describe('imperative commands', () => {
  it('`ringlock install` runs onEnable per tenant of the ring, like a first install by apply', async (t) => {
    const { p, read } = await setup(t, true, TENANTS);
    const r = await p.cli(
      ['install', 'orders@1.0.0', '--yes', '--operator-config', join(p.root, 'operator.yaml')],
      {
        env: {
          PATH: `${join(p.root, 'bin')}:${process.env.PATH}`,
          RL_HOOK_OUT: p.out,
          RINGLOCK_MODULE_ENV: 'RL_HOOK_OUT',
        },
      },
    );
    expect(r.code, show(r)).toBe(0);
    expect(JSON.parse(read('onEnable-orders-1.0.0-acme.ctx.json')!)).toMatchObject({ tenant: 'acme' });
    expect(read('onEnable-orders-1.0.0-beta.argv')).toBeDefined();
    expect(read('onEnable-orders-1.0.0-gamma.argv')).toBeUndefined();
  });
});
