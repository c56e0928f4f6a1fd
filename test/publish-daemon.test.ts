// The daemon publishes what its ring has active after every pass: a tenants.yaml change alone (a merged `ringlock ring
// assign`) is deployed like a lock — a new generation of active.json — and a publisher that failed is shown in /status
// and tried again on the next pass even when nothing changed, without failing the pass.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActiveSnapshot } from '../src/publish/types.js';
import { buildPlatform, scratch, show } from './fixtures-platform.js';
import { gitIn, pushEvent, SECRETS, serveRepo, startDaemon } from './support/daemon.js';

type Ctx = { onTestFinished(fn: () => void | Promise<void>): void };

describe('the daemon publishes the active modules', () => {
  it('after a ring assign commit, and again after a failed publish', async (t: Ctx) => {
    const p = await buildPlatform(scratch(t, 'publish-daemon'), { orders: { version: '1.0.0' } });
    writeFileSync(join(p.repo, 'rings', 'tenants.yaml'), 'tenants:\n  acme: canary\n  northwind: stable\n');
    const file = join(p.target, '.ringlock', 'active.json');
    // The first publish cannot write: a directory is where the file goes.
    mkdirSync(file, { recursive: true });
    const remote = await serveRepo(p);
    t.onTestFinished(() => remote.close());
    const d = await startDaemon(p, { repo: remote.url });
    t.onTestFinished(async () => {
      await d.stop('SIGKILL');
    });
    const first = gitIn(remote.bare, 'rev-parse', 'refs/heads/main');
    const failed = await d.until(
      'first pass, publish failed',
      (s) => s.appliedCommit === first && !!s.publish,
    );
    expect(failed.lastAttempt?.outcome).toBe('succeeded');
    expect(failed.ready).toBe(true);
    expect(failed.publish).toEqual([
      {
        name: `file ${file}`,
        ok: false,
        error: expect.stringMatching(/active\.json/),
        generation: 1,
        at: expect.any(String),
      },
    ]);
    expect(d.output()).toMatch(/publish failed: .*tried again next pass/);

    // Nothing changed in git; the next pass publishes all the same.
    rmSync(file, { recursive: true });
    const poke = await d.post('/reconcile', '', { authorization: `Bearer ${SECRETS.api}` });
    expect(poke.status).toBe(202);
    await d.until('published', (s) => s.publish?.[0]?.ok === true);
    const one = JSON.parse(readFileSync(file, 'utf8')) as ActiveSnapshot;
    expect(one).toMatchObject({
      ring: 'canary',
      commit: first,
      generation: 1,
      tenants: { acme: 'canary', northwind: 'stable' },
      ringTenants: ['acme'],
      modules: { orders: { version: '1.0.0', path: 'orders' } },
    });

    // `ringlock ring assign northwind canary`, merged: only rings/tenants.yaml changes.
    writeFileSync(join(p.repo, 'rings', 'tenants.yaml'), 'tenants:\n  acme: canary\n  northwind: canary\n');
    const second = remote.push('tenants: assign northwind to canary (ringlock ring assign)');
    await d.webhook(pushEvent(second));
    const after = await d.until(
      'the tenants change published',
      (s) => s.appliedCommit === second && s.publish?.[0]?.generation === 2,
    );
    expect(after.publish?.[0]).toMatchObject({ ok: true, generation: 2 });
    const two = JSON.parse(readFileSync(file, 'utf8')) as ActiveSnapshot;
    expect(two).toMatchObject({
      commit: second,
      generation: 2,
      tenants: { acme: 'canary', northwind: 'canary' },
      ringTenants: ['acme', 'northwind'],
    });
    expect(two.modules).toEqual(one.modules);

    // Without --serve-api there is no read API.
    expect((await d.get('/api/v1/modules/active')).status).toBe(404);
    expect(await d.stop()).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('while the ring is suspended a new tenants map waits, like the hooks it runs; resumed, it is published', async (t: Ctx) => {
    const p = await buildPlatform(scratch(t, 'publish-daemon-suspended'), { orders: { version: '1.0.0' } });
    writeFileSync(join(p.repo, 'rings', 'tenants.yaml'), 'tenants:\n  acme: canary\n');
    const file = join(p.target, '.ringlock', 'active.json');
    const remote = await serveRepo(p);
    t.onTestFinished(() => remote.close());
    const d = await startDaemon(p, { repo: remote.url });
    t.onTestFinished(async () => {
      await d.stop('SIGKILL');
    });
    const first = gitIn(remote.bare, 'rev-parse', 'refs/heads/main');
    await d.until('published', (s) => s.appliedCommit === first && s.publish?.[0]?.ok === true);
    const sus = await p.cli(['suspend', '--ring', 'canary', '--target', p.target, '--reason', 'freeze'], {
      cwd: p.root,
    });
    expect(sus.code, show(sus)).toBe(0);
    writeFileSync(join(p.repo, 'rings', 'tenants.yaml'), 'tenants:\n  acme: canary\n  globex: canary\n');
    const second = remote.push('tenants: assign globex to canary');
    await d.webhook(pushEvent(second));
    await d.until('suspended pass', (s) => s.lastAttempt?.commit === second);
    expect((await d.status()).lastAttempt?.outcome).toBe('suspended');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ generation: 1, ringTenants: ['acme'] });

    const res = await p.cli(['resume', '--ring', 'canary', '--target', p.target], { cwd: p.root });
    expect(res.code, show(res)).toBe(0);
    await d.post('/reconcile', '', { authorization: `Bearer ${SECRETS.api}` });
    await d.until('published after resume', (s) => s.publish?.[0]?.generation === 2);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      generation: 2,
      commit: second,
      ringTenants: ['acme', 'globex'],
    });
    expect(await d.stop()).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('refuses to start (exit 2) with publish.redis and no Redis URL in its environment', async (t: Ctx) => {
    const p = await buildPlatform(scratch(t, 'publish-daemon-refused'), { orders: { version: '1.0.0' } });
    const op = join(p.root, 'operator.yaml');
    writeFileSync(op, 'apiVersion: ringlock/v1\nkind: OperatorConfig\npublish:\n  redis: true\n');
    const r = await p.cli(
      ['daemon', '--ring', 'canary', '--repo', p.repo, '--target', p.target, '--listen', '127.0.0.1:0'],
      { env: { RINGLOCK_OPERATOR_CONFIG: op } },
    );
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/RINGLOCK_REDIS_URL is not set/);
  }, 60_000);
});
