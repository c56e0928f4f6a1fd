// End to end: the daemon's outbound events — signed webhooks to a receiver on 127.0.0.1 — and each applied lock commit
// reported to a GitHub stand-in (following GitHub's published REST description) as a deployment with environment = ring.
import { createHmac } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlatform, scratch } from './fixtures-platform.js';
import { bump, pushEvent, serveRepo, startDaemon } from './support/daemon.js';
import { serveDeployments } from './support/github-deployments.js';
import { startGitHubStandin } from './support/github-standin.js';

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: { id: string; event: string; ring: string; data: Record<string, unknown> };
}

async function receiver() {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      got.push({ headers: req.headers, body, json: JSON.parse(body) as Received['json'] });
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
  const end = Date.now() + 20_000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('daemon notifications', () => {
  it('sends signed events and reports each applied commit to GitHub as a deployment of the ring', async (t) => {
    const events = await receiver();
    t.onTestFinished(() => events.close());
    const gh = await startGitHubStandin({ token: 'gh-deploy-token-123' });
    t.onTestFinished(() => gh.close());
    const deployments = serveDeployments(gh);
    const p = await buildPlatform(scratch(t, 'notify'), { base: { version: '1.0.0' } });
    appendFileSync(
      join(p.repo, 'ringlock.yaml'),
      `notifications:
  webhooks:
    - url: ${events.url}
      secretEnv: NOTIFY_SECRET
      events: [module.installed, module.upgraded, module.failed]
  github:
    repository: acme/platform
    tokenEnv: GH_DEPLOY_TOKEN
    baseUrl: ${gh.url}
`,
    );
    const remote = await serveRepo(p);
    t.onTestFinished(() => remote.close());
    const secret = 'notify-secret-value-42';
    const d = await startDaemon(p, {
      repo: remote.url,
      // The operator binds each credential to its receiver (ringlock.yaml alone cannot send them anywhere).
      env: {
        NOTIFY_SECRET: secret,
        GH_DEPLOY_TOKEN: 'gh-deploy-token-123',
        RINGLOCK_DESTINATIONS: `NOTIFY_SECRET@${new URL(events.url).host},GH_DEPLOY_TOKEN@${new URL(gh.url).host}`,
      },
    });
    t.onTestFinished(async () => {
      await d.stop('SIGKILL');
    });
    const first = (await d.until('applied', (s) => s.appliedCommit !== undefined)).appliedCommit!;
    await bump(p, 'base', { version: '1.1.0' });
    const second = remote.push('base 1.1.0');
    await d.webhook(pushEvent(second));
    await d.until('upgrade applied', (s) => s.appliedCommit === second);
    await until(
      () => events.got.some((e) => e.json.event === 'module.upgraded'),
      'module.upgraded delivered',
    );

    expect(events.got.map((e) => [e.json.event, e.json.data.module, e.json.data.to])).toEqual([
      ['module.installed', 'base', '1.0.0'],
      ['module.upgraded', 'base', '1.1.0'],
    ]);
    for (const e of events.got) {
      expect(e.headers['x-ringlock-signature-256']).toBe(
        `sha256=${createHmac('sha256', secret).update(e.body).digest('hex')}`,
      );
      expect(e.headers['x-ringlock-event']).toBe(e.json.event);
      expect(e.headers['x-ringlock-delivery']).toBe(e.json.id);
      expect(e.json.ring).toBe('canary');
    }
    expect(events.got[1]!.json.data).toMatchObject({ commit: second, from: '1.0.0', action: 'upgrade' });

    await until(
      () =>
        deployments.deployments().length === 2 &&
        deployments.deployments().every((x) => deployments.statuses(x.id).some((s) => s.state === 'success')),
      'both commits reported as successful deployments',
    );
    const reported = deployments.deployments();
    expect(reported.map((x) => [x.sha, x.environment])).toEqual([
      [first, 'canary'],
      [second, 'canary'],
    ]);
    expect(deployments.statuses(reported[1]!.id).map((s) => s.state)).toEqual(['in_progress', 'success']);
    gh.assertNoUnexpected();
    expect(d.output()).not.toContain(secret);
    expect(d.output()).not.toContain('gh-deploy-token-123');
    expect(await d.stop()).toEqual({ code: 0, signal: null });
  }, 60_000);
});
