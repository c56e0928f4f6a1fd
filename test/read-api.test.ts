// The read API (`ringlock daemon --serve-api`), against a real daemon: every response is checked against
// schemas/read-api.openapi.json (status described, body valid, headers present), ETags and 304s, tenants of this ring
// and of another, scoped names both ways, and bad input (404, 400, 405).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { etagOf } from '../src/daemon/read-api.js';
import { buildPlatform, scratch } from './fixtures-platform.js';
import { bump, gitIn, pushEvent, SECRETS, serveRepo, startDaemon } from './support/daemon.js';
import { ReadApiContract } from './support/read-api-openapi.js';

type Ctx = { onTestFinished(fn: () => void | Promise<void>): void };

const ACTIVE = '/api/v1/modules/active';
const MODULE = '/api/v1/modules/{name}';
const SCOPED = '/api/v1/modules/{scope}/{name}';

describe('the read API', () => {
  let contract: ReadApiContract;
  beforeAll(() => {
    contract = new ReadApiContract();
  });

  it('answers from the published snapshot, as its OpenAPI description says', async (t: Ctx) => {
    const p = await buildPlatform(scratch(t, 'read-api'), {
      orders: { version: '1.0.0' },
      '@acme/analytics': { version: '0.4.0' },
    });
    writeFileSync(join(p.repo, 'rings', 'tenants.yaml'), 'tenants:\n  acme: canary\n  northwind: stable\n');
    const remote = await serveRepo(p);
    t.onTestFinished(() => remote.close());
    const d = await startDaemon(p, { repo: remote.url, env: { RINGLOCK_SERVE_API: 'true' } });
    t.onTestFinished(async () => {
      await d.stop('SIGKILL');
    });
    const first = gitIn(remote.bare, 'rev-parse', 'refs/heads/main');
    await d.until('first commit applied', (s) => s.appliedCommit === first && s.publish?.[0]?.ok === true);
    const get = (path: string, init: RequestInit = {}) => fetch(`${d.base}${path}`, init);

    // The ring's set: the document active.json holds.
    const ring = await get(ACTIVE);
    expect(ring.status).toBe(200);
    expect(ring.headers.get('cache-control')).toBe('no-cache');
    const etag = ring.headers.get('etag')!;
    const { body: set } = await contract.check(ACTIVE, ring);
    expect(set).toEqual(JSON.parse(readFileSync(join(p.target, '.ringlock', 'active.json'), 'utf8')));
    expect(set).toMatchObject({
      kind: 'ActiveModules',
      ring: 'canary',
      commit: first,
      generation: 1,
      modules: {
        orders: { version: '1.0.0' },
        '@acme/analytics': { version: '0.4.0', path: '@acme/analytics' },
      },
    });

    // Revalidation: the same ETag is a 304 without a body (a weak form of it too); another is a 200.
    const same = await get(ACTIVE, { headers: { 'if-none-match': etag } });
    expect(same.status).toBe(304);
    expect(same.headers.get('etag')).toBe(etag);
    expect((await contract.check(ACTIVE, same)).text).toBe('');
    const weak = await get(ACTIVE, { headers: { 'if-none-match': `"nope", W/${etag}` } });
    expect(weak.status).toBe(304);
    await contract.check(ACTIVE, weak);
    const other = await get(ACTIVE, { headers: { 'if-none-match': '"1-00"' } });
    expect(other.status).toBe(200);
    await contract.check(ACTIVE, other);
    const head = await get(ACTIVE, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(etag);
    expect(await head.text()).toBe('');

    // A tenant of this ring; of another ring (404 naming it); of none; not a tenant id; asked twice; unknown param.
    const acme = await get(`${ACTIVE}?tenant=acme`);
    expect(acme.status).toBe(200);
    const { body: tenantSet } = await contract.check(ACTIVE, acme);
    expect(tenantSet).toMatchObject({ kind: 'TenantModules', tenant: 'acme', ring: 'canary', generation: 1 });
    expect((tenantSet as { modules: unknown }).modules).toEqual((set as { modules: unknown }).modules);
    expect(acme.headers.get('etag')).not.toBe(etag);
    const northwind = await get(`${ACTIVE}?tenant=northwind`);
    expect(northwind.status).toBe(404);
    expect((await contract.check(ACTIVE, northwind)).body).toMatchObject({
      ok: false,
      tenant: 'northwind',
      ring: 'stable',
    });
    const ghost = await get(`${ACTIVE}?tenant=ghost`);
    expect(ghost.status).toBe(404);
    expect((await contract.check(ACTIVE, ghost)).body).toMatchObject({ ok: false, tenant: 'ghost' });
    for (const q of ['tenant=bad%20id', 'tenant=-x', 'tenant=acme&tenant=acme', 'tenants=acme']) {
      const bad = await get(`${ACTIVE}?${q}`);
      expect(bad.status, q).toBe(400);
      expect((await contract.check(ACTIVE, bad)).body).toMatchObject({ ok: false });
    }

    // One module; a scoped one URL-encoded and as two segments; unknown; not a name.
    const orders = await get('/api/v1/modules/orders');
    expect(orders.status).toBe(200);
    const { body: ordersBody } = await contract.check(MODULE, orders);
    expect(ordersBody).toMatchObject({
      kind: 'Module',
      name: 'orders',
      status: 'active',
      active: { version: '1.0.0', path: 'orders' },
      quarantine: [],
    });
    expect(ordersBody).not.toHaveProperty('previous');
    const encoded = await get('/api/v1/modules/%40acme%2Fanalytics');
    expect(encoded.status).toBe(200);
    const { body: scoped } = await contract.check(MODULE, encoded);
    const segments = await get('/api/v1/modules/@acme/analytics');
    expect(segments.status).toBe(200);
    expect((await contract.check(SCOPED, segments)).body).toEqual(scoped);
    expect(scoped).toMatchObject({ name: '@acme/analytics', active: { version: '0.4.0' } });
    const unknown = await get('/api/v1/modules/nothing-here');
    expect(unknown.status).toBe(404);
    expect((await contract.check(MODULE, unknown)).body).toMatchObject({ ok: false, module: 'nothing-here' });
    const notName = await get('/api/v1/modules/Not_A..Name');
    expect(notName.status).toBe(400);
    await contract.check(MODULE, notName);
    const notScoped = await get('/api/v1/modules/acme/analytics');
    expect(notScoped.status).toBe(404);
    await contract.check(SCOPED, notScoped);

    // Read-only: other methods are 405 (with Allow); unknown routes 404.
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const r = await get(ACTIVE, { method });
      expect(r.status, method).toBe(405);
      expect(r.headers.get('allow')).toBe('GET, HEAD');
      await contract.check(ACTIVE, r);
    }
    const del = await get('/api/v1/modules/orders', { method: 'DELETE' });
    expect(del.status).toBe(405);
    await contract.check(MODULE, del);
    for (const path of [
      '/api/v1/',
      '/api/v1/tenants',
      '/api/v1/modules/',
      '/api/v1/modules/a/b/c',
      '/api/v2/x',
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      const body: unknown = await r.json();
      contract.component('Error', body);
      expect(body, path).toMatchObject({ ok: false });
    }

    // An upgrade: a new generation, a new ETag; the module shows the version before it.
    await bump(p, 'orders', { version: '1.1.0' });
    const second = remote.push('orders 1.1.0');
    await d.webhook(pushEvent(second));
    await d.until('upgrade published', (s) => s.appliedCommit === second && s.publish?.[0]?.generation === 2);
    const changed = await get(ACTIVE, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect((await contract.check(ACTIVE, changed)).body).toMatchObject({
      generation: 2,
      modules: { orders: { version: '1.1.0' } },
    });
    const upgraded = await get('/api/v1/modules/orders');
    expect((await contract.check(MODULE, upgraded)).body).toMatchObject({
      active: { version: '1.1.0' },
      previous: { version: '1.0.0' },
      generation: 2,
    });
    expect(contract.checked).toBeGreaterThanOrEqual(20);
    expect(await d.stop()).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('answers 503 with Retry-After until a pass has published', async (t: Ctx) => {
    const p = await buildPlatform(scratch(t, 'read-api-503'), { orders: { version: '1.0.0' } });
    // An invalid lock is never applied: no pass runs, nothing is published.
    writeFileSync(p.lockPath, '{"not": "a lock"}\n');
    const remote = await serveRepo(p);
    t.onTestFinished(() => remote.close());
    const d = await startDaemon(p, { repo: remote.url, args: ['--serve-api'] });
    t.onTestFinished(async () => {
      await d.stop('SIGKILL');
    });
    await d.until('the lock refused', (s) => s.lastAttempt?.outcome === 'invalid');
    for (const [template, path] of [
      [ACTIVE, ACTIVE],
      [MODULE, '/api/v1/modules/orders'],
    ] as const) {
      const r = await fetch(`${d.base}${path}`);
      expect(r.status, path).toBe(503);
      expect(r.headers.get('retry-after')).toBe('5');
      expect((await contract.check(template, r)).body).toMatchObject({ ok: false });
    }
    expect(await d.stop()).toEqual({ code: 0, signal: null });
  }, 120_000);
  it("never quotes a secret of the daemon's environment that a failing hook printed", async (t: Ctx) => {
    // The upgrade's hook prints the daemon's API token (module code that found it somewhere), then fails.
    const leak = {
      lifecycle: { onUpgrade: 'sh ./leak.sh' },
      files: { 'leak.sh': `echo "connecting with ${SECRETS.api}" >&2\nexit 1\n` },
    };
    const p = await buildPlatform(scratch(t, 'read-api-scrub'), { leaky: { version: '1.0.0', ...leak } });
    const remote = await serveRepo(p);
    t.onTestFinished(() => remote.close());
    const d = await startDaemon(p, { repo: remote.url, args: ['--serve-api'] });
    t.onTestFinished(async () => {
      await d.stop('SIGKILL');
    });
    const first = gitIn(remote.bare, 'rev-parse', 'refs/heads/main');
    await d.until('installed', (s) => s.appliedCommit === first && s.publish?.[0]?.ok === true);
    await bump(p, 'leaky', { version: '1.1.0', ...leak });
    const second = remote.push('leaky 1.1.0');
    await d.webhook(pushEvent(second));
    let body: { lastError?: string; quarantine: { reason: string }[]; generation: number } | undefined;
    let text = '';
    let etag: string | null = null;
    while (body?.lastError === undefined) {
      const r = await fetch(`${d.base}/api/v1/modules/leaky`);
      etag = r.headers.get('etag');
      ({ text } = await contract.check(MODULE, r));
      body = JSON.parse(text);
      if (body?.lastError === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The hook's output is there (the test is not vacuous), without the secret.
    expect(body.lastError).toContain('connecting with');
    expect(text).not.toContain(SECRETS.api);
    // The ETag is the scrubbed body's.
    expect(etag).toBe(etagOf(body.generation, text));
    expect(await d.stop()).toEqual({ code: 0, signal: null });
  }, 120_000);
});
