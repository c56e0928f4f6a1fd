// End to end through the daemon: disable and enable (again at a newer version) send module.disabled and module.enabled;
// a disabled module is `disabled` in /status and ringlock_modules; module events carry the hooks their operation ran
// and the id of its history record (operationId); every failed hook — a per-tenant one, and those of a tenant change,
// whose results are noops — is a warning in the log and counted in ringlock_hook_runs_total. Every event validates
// against schemas/event.schema.json and names no field the schema does not document.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { writeTenants } from './fixtures-hooks.js';
import { buildPlatform, type Platform, scratch } from './fixtures-platform.js';
import { REPO_ROOT } from './helpers.js';
import { bump, pushEvent, serveRepo, startDaemon } from './support/daemon.js';

interface Event {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

async function receiver() {
  const got: Event[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      got.push(JSON.parse(body) as Event);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    got,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function until(ok: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 30_000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function setEnabled(p: Platform, module: string, enabled: boolean | undefined): void {
  const doc = JSON.parse(p.readLock()) as { modules: Record<string, Record<string, unknown>> };
  if (enabled === undefined) delete doc.modules[module]!.enabled;
  else doc.modules[module]!.enabled = enabled;
  p.writeLock(`${JSON.stringify(doc, null, 2)}\n`);
}

const TENANT_HOOKS = { onEnable: 'sh ./hook.sh', onDisable: 'sh ./hook.sh' };
const ORDERS = {
  version: '1.0.0',
  lifecycle: { onInstall: 'sh ./hook.sh', onUpgrade: 'sh ./hook.sh', ...TENANT_HOOKS },
};

describe('module lifecycle through the daemon', () => {
  it('sends disabled/enabled by what the operation did, with its hooks and operationId; failed hooks are logged and counted', async (t) => {
    const rx = await receiver();
    t.onTestFinished(() => rx.close());
    // tenanted's hook fails: only per-tenant hooks, so it is reported and the module still succeeds.
    const p = await buildPlatform(scratch(t, 'lifecycle-events'), {
      orders: ORDERS,
      tenanted: { version: '1.0.0', lifecycle: TENANT_HOOKS },
    });
    writeTenants(p, { acme: 'canary' });
    const yaml = join(p.repo, 'ringlock.yaml');
    writeFileSync(yaml, `${readFileSync(yaml, 'utf8')}notifications:\n  webhooks:\n    - url: ${rx.url}\n`);
    const remote = await serveRepo(p);
    t.onTestFinished(() => remote.close());
    const d = await startDaemon(p, {
      repo: remote.url,
      env: { RINGLOCK_ALLOWED_HOSTS: new URL(rx.url).host, RL_HOOK_FAIL: 'tenanted' },
    });
    t.onTestFinished(async () => {
      await d.stop('SIGKILL');
    });
    const metric = async (re: RegExp) => re.exec((await d.get('/metrics')).text)?.[1];
    const failedHookLogs = (tenant: string) =>
      d.logLines().filter((l) => l.module === 'tenanted' && l.hook === 'onEnable' && l.tenant === tenant);

    // 1. First install: orders' hooks in its event, with the id of its history record; tenanted's failed hook logged.
    await d.until('first pass applied', (s) => s.appliedCommit !== undefined);
    await until(() => rx.got.filter((e) => e.event === 'module.installed').length === 2, 'two installs');
    const installed = rx.got.find((e) => e.event === 'module.installed' && e.data.module === 'orders')!;
    const record = p.history().find((h) => h.module === 'orders' && h.op === 'install')!;
    expect(installed.data.operationId).toBe(record.id);
    expect(installed.data.hooks).toMatchObject([
      { hook: 'onInstall', outcome: 'succeeded' },
      { hook: 'onEnable', tenant: 'acme', outcome: 'succeeded' },
    ]);
    const tenanted = rx.got.find((e) => e.event === 'module.installed' && e.data.module === 'tenanted')!;
    expect(tenanted.data.hooks).toMatchObject([{ hook: 'onEnable', tenant: 'acme', outcome: 'failed' }]);
    expect(failedHookLogs('acme')).toHaveLength(1);
    expect(failedHookLogs('acme')[0]).toMatchObject({ level: 'warn' });
    expect(String(failedHookLogs('acme')[0]!.error)).not.toBe('');
    expect(await metric(/^ringlock_hook_runs_total\{hook="onEnable",outcome="failed"\} (\d+)$/m)).toBe('1');
    expect(await metric(/^ringlock_hook_runs_total\{hook="onInstall",outcome="succeeded"\} (\d+)$/m)).toBe(
      '1',
    );

    // 2. orders disabled: module.disabled, `disabled` in /status and ringlock_modules.
    setEnabled(p, 'orders', false);
    const off = remote.push('disable orders');
    await d.webhook(pushEvent(off));
    const s2 = await d.until('disable applied', (s) => s.appliedCommit === off);
    expect(s2.modules.find((m) => m.name === 'orders')).toMatchObject({ state: 'disabled' });
    expect(await metric(/^ringlock_modules\{state="disabled"\} (\d+)$/m)).toBe('1');
    await until(() => rx.got.some((e) => e.event === 'module.disabled'), 'module.disabled');

    // 3. Enabled again at a newer version: the plan says upgrade, the event says enabled.
    await bump(p, 'orders', { ...ORDERS, version: '1.1.0' });
    setEnabled(p, 'orders', undefined);
    const on = remote.push('orders 1.1.0, enabled');
    await d.webhook(pushEvent(on));
    const s3 = await d.until('enable applied', (s) => s.appliedCommit === on);
    expect(s3.modules.find((m) => m.name === 'orders')).toMatchObject({ state: 'active', deployed: '1.1.0' });
    await until(() => rx.got.some((e) => e.event === 'module.enabled'), 'module.enabled');
    const enabled = rx.got.find((e) => e.event === 'module.enabled')!;
    expect(enabled.data).toMatchObject({ module: 'orders', action: 'upgrade', from: '1.0.0', to: '1.1.0' });
    const enableRecord = p.history().find((h) => h.module === 'orders' && h.to === '1.1.0')!;
    expect(enabled.data.operationId).toBe(enableRecord.id);
    expect(rx.got.filter((e) => e.event === 'module.upgraded')).toEqual([]);

    // 4. A tenant joins the ring: the tenant change's results are noops, yet the failed hook is logged and counted.
    writeTenants(p, { acme: 'canary', beta: 'canary' });
    const joined = remote.push('beta joins canary');
    await d.webhook(pushEvent(joined));
    await d.until('tenant change applied', (s) => s.appliedCommit === joined);
    await until(() => failedHookLogs('beta').length === 1, 'the failed hook of beta logged');
    expect(await metric(/^ringlock_hook_runs_total\{hook="onEnable",outcome="failed"\} (\d+)$/m)).toBe('2');

    expect(await d.stop()).toEqual({ code: 0, signal: null });
    const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/event.schema.json'), 'utf8')) as {
      $defs: Record<string, { properties: Record<string, unknown> }>;
    };
    const validate = ajv.compile(schema);
    for (const e of rx.got) {
      expect(validate(e), `${e.event}: ${JSON.stringify(validate.errors)}`).toBe(true);
      for (const k of Object.keys(e.data))
        expect(Object.keys(schema.$defs[e.event]!.properties), e.event).toContain(k);
    }
  }, 120_000);
});
