// End to end: a module the plan blocks (its dependency out of range) is `blocked` with its reason and chain in the state
// (`list --json`), /status and /metrics, and one `module.blocked` event goes out per (module, reason), not one per pass;
// once unblocked it installs and the record is gone. Every event the daemon sent validates against
// schemas/event.schema.json, and names no field the schema does not document.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { buildPlatform, HOOKS, healthPath, scratch, startHealthServer } from './fixtures-platform.js';
import { REPO_ROOT } from './helpers.js';
import { bump, pushEvent, SECRETS, serveRepo, startDaemon } from './support/daemon.js';

interface Event {
  schemaVersion: number;
  id: string;
  event: string;
  ring: string;
  data: Record<string, unknown>;
}

async function receiver() {
  const got: { headers: Record<string, string | string[] | undefined>; json: Event }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      got.push({ headers: req.headers, json: JSON.parse(body) as Event });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    got,
    events: () => got.map((g) => g.json),
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

function eventSchema() {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/event.schema.json'), 'utf8')) as {
    $defs: Record<string, { properties: Record<string, unknown> }>;
  };
  return { validate: ajv.compile(schema), defs: schema.$defs };
}

describe('blocked modules through the daemon', () => {
  it('show blocked with the chain in list, /status and /metrics, and send module.blocked once per reason', async (t) => {
    const rx = await receiver();
    t.onTestFinished(() => rx.close());
    const p = await buildPlatform(
      scratch(t, 'blocked'),
      {
        base: { version: '1.0.0' },
        reports: { version: '1.0.0', dependencies: { base: '^2.0.0' } },
        extra: { version: '1.0.0' },
      },
      { targetConfig: '  prune: true' },
    );
    const yaml = join(p.repo, 'ringlock.yaml');
    // Unsigned events to a host the operator allows: every event (no filter), so the schema sees them all.
    const config = readFileSync(yaml, 'utf8');
    writeFileSync(yaml, `${config}notifications:\n  webhooks:\n    - url: ${rx.url}\n`);
    const remote = await serveRepo(p);
    t.onTestFinished(() => remote.close());
    const d = await startDaemon(p, {
      repo: remote.url,
      env: { RINGLOCK_ALLOWED_HOSTS: new URL(rx.url).host },
    });
    t.onTestFinished(async () => {
      await d.stop('SIGKILL');
    });

    const first = await d.until('first pass applied', (s) => s.appliedCommit !== undefined);
    const row = first.modules.find((m) => m.name === 'reports')!;
    expect(row).toMatchObject({ state: 'blocked', desired: '1.0.0' });
    expect(row.blocked).toContain('the ring has base 1.0.0');
    expect(row.blockedChain).toEqual(['reports needs base ^2.0.0', 'the ring has base 1.0.0']);
    expect(row.blockedSince).toMatch(/^\d{4}-/);
    const metrics = (await d.get('/metrics')).text;
    expect(metrics).toMatch(/^ringlock_modules\{state="blocked"\} 1$/m);

    const list = await p.ok(['list', '--json', '--target', p.target]);
    const listed = JSON.parse(list.stdout) as { blocked: Record<string, unknown>[] };
    expect(listed.blocked).toEqual([
      {
        module: 'reports',
        version: '1.0.0',
        reason: row.blocked,
        chain: ['reports needs base ^2.0.0', 'the ring has base 1.0.0'],
        code: 'dependency',
        since: row.blockedSince,
      },
    ]);
    expect(row.blockedCode).toBe('dependency');
    const human = await p.ok(['list', '--target', p.target]);
    expect(human.stdout).toContain('Blocked');
    expect(human.stdout).toContain('reports: reports needs base ^2.0.0 → the ring has base 1.0.0');

    // A second pass (a new commit that changes something else) keeps the same reason: no second event.
    await bump(p, 'extra', { version: '1.1.0' });
    const second = remote.push('extra 1.1.0');
    await d.webhook(pushEvent(second));
    await d.until('second commit applied', (s) => s.appliedCommit === second);
    // Events go out in order per receiver: once the upgrade has arrived, any block of that pass has too.
    await until(() => rx.events().some((e) => e.event === 'module.upgraded'), 'module.upgraded');
    expect(rx.events().filter((e) => e.event === 'module.blocked')).toHaveLength(1);
    expect(rx.events().find((e) => e.event === 'module.blocked')!.data).toMatchObject({
      module: 'reports',
      to: '1.0.0',
      reason: row.blocked,
      chain: row.blockedChain,
      since: row.blockedSince,
    });

    // Unblocked: reports 1.0.1 needs base ^1.0.0; extra leaves the lock and is pruned.
    await bump(p, 'reports', { version: '1.0.1', dependencies: { base: '^1.0.0' } });
    p.removeModule('extra');
    await p.release(['reports']);
    const third = remote.push('fix reports: base ^1.0.0');
    await d.webhook(pushEvent(third));
    const after = await d.until('third commit applied', (s) => s.appliedCommit === third);
    expect(after.modules.find((m) => m.name === 'reports')).toMatchObject({
      state: 'active',
      deployed: '1.0.1',
    });
    expect((await d.get('/metrics')).text).toMatch(/^ringlock_modules\{state="blocked"\} 0$/m);
    expect(JSON.parse((await p.ok(['list', '--json', '--target', p.target])).stdout).blocked).toEqual([]);
    expect(p.state().blocked).toBeUndefined();
    await until(() => rx.events().some((e) => e.event === 'module.removed'), 'module.removed');

    // The daemon's history records the commit's subject as the reason.
    const installed = p.history().find((h) => h.module === 'reports' && h.to === '1.0.1')!;
    expect(installed).toMatchObject({
      op: 'install',
      outcome: 'succeeded',
      reason: 'fix reports: base ^1.0.0',
    });

    expect(await d.stop()).toEqual({ code: 0, signal: null });
    const events = rx.events();
    // A block is announced as the pass plans, before it applies.
    expect(events.map((e) => [e.event, e.data.module])).toEqual([
      ['module.blocked', 'reports'],
      ['module.installed', 'base'],
      ['module.installed', 'extra'],
      ['module.upgraded', 'extra'],
      ['module.installed', 'reports'],
      ['module.removed', 'extra'],
    ]);
    const { validate, defs } = eventSchema();
    for (const [i, e] of events.entries()) {
      expect(validate(e), `${e.event}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(e.schemaVersion).toBe(1);
      expect(rx.got[i]!.headers['x-ringlock-delivery']).toBe(e.id);
      // The schema documents every field the daemon sends.
      for (const k of Object.keys(e.data))
        expect(Object.keys(defs[e.event]!.properties), e.event).toContain(k);
    }
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  }, 120_000);

  it('sends module.failed, module.rolled_back, reconcile.failed and drift.detected as the schema describes them', async (t) => {
    const rx = await receiver();
    t.onTestFinished(() => rx.close());
    const health = await startHealthServer();
    t.onTestFinished(() => health.close());
    const p = await buildPlatform(scratch(t, 'events'), {
      base: { version: '1.0.0' },
      orders: { version: '1.0.0', lifecycle: HOOKS },
      web: { version: '1.0.0', healthCheck: { http: { path: healthPath('web', '1.0.0') }, timeout: '1s' } },
    });
    const yaml = join(p.repo, 'ringlock.yaml');
    writeFileSync(yaml, `${readFileSync(yaml, 'utf8')}notifications:\n  webhooks:\n    - url: ${rx.url}\n`);
    health.failing.add(healthPath('web', '1.0.0'));
    const remote = await serveRepo(p);
    t.onTestFinished(() => remote.close());
    const d = await startDaemon(p, {
      repo: remote.url,
      args: ['--health-url', health.url],
      env: { RINGLOCK_ALLOWED_HOSTS: new URL(rx.url).host, RL_HOOK_FAIL: 'orders' },
    });
    t.onTestFinished(async () => {
      await d.stop('SIGKILL');
    });
    await until(
      () =>
        ['module.failed', 'module.rolled_back', 'reconcile.failed'].every((n) =>
          rx.events().some((e) => e.event === n),
        ),
      'the failures announced',
    );
    // Out of band: base's link removed; the next pass reports it.
    rmSync(join(p.target, 'base'));
    expect((await d.post('/reconcile', '', { authorization: `Bearer ${SECRETS.api}` })).status).toBe(202);
    await until(() => rx.events().some((e) => e.event === 'drift.detected'), 'drift.detected');
    expect(await d.stop()).toEqual({ code: 0, signal: null });

    const { validate, defs } = eventSchema();
    for (const e of rx.events()) {
      expect(validate(e), `${e.event}: ${JSON.stringify(validate.errors)}`).toBe(true);
      for (const k of Object.keys(e.data))
        expect(Object.keys(defs[e.event]!.properties), e.event).toContain(k);
    }
  }, 120_000);
});
