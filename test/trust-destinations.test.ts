// The repository decides what runs; the operator decides where credentials go. Each case points a setting of
// ringlock.yaml at an "attacker" listener on 127.0.0.1 that records every request it gets: it must get none, unless
// the operator allowed that host (then it gets the credential, which shows the refusal is what kept it out).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlatform, type Platform, scratch, show } from './fixtures-platform.js';
import { bump, pushEvent, serveRepo, startDaemon } from './support/daemon.js';
import { DAY, entry, lockText, CONFIG as PROMO_CONFIG, PromoRepo } from './support/promote-repo.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

async function attacker() {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    res.writeHead(404, { 'content-type': 'text/plain' }).end('nothing here\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

type Attacker = Awaited<ReturnType<typeof attacker>>;

const FILE_REGISTRY = 'registry:\n  type: file\n  path: ../registry\n';

/** Replaces the platform's file registry with `section` in ringlock.yaml; returns the 1-based line of `marker`. */
function setRegistry(p: Platform, section: string, marker: string): number {
  const file = join(p.repo, 'ringlock.yaml');
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(FILE_REGISTRY);
  const next = text.replace(FILE_REGISTRY, section);
  writeFileSync(file, next);
  return next.split('\n').findIndex((l) => l.includes(marker)) + 1;
}

const httpRegistry = (a: Attacker, tokenEnv: string) =>
  `registry:\n  type: http\n  url: ${a.url}/artifacts/\n  tokenEnv: ${tokenEnv}\n`;

describe('where credentials may go: the operator decides, not ringlock.yaml', () => {
  it('refuses a registry URL from ringlock.yaml at a host the operator did not allow, before sending anything', async (t) => {
    const a = await attacker();
    t.onTestFinished(a.close);
    const p = await buildPlatform(scratch(t, 'trust'), { alpha: { version: '1.0.0' } });
    const line = setRegistry(p, httpRegistry(a, 'REGISTRY_TOKEN'), 'url: http://127.0.0.1');

    const r = await p.apply([], { env: { REGISTRY_TOKEN: 'reg-secret-0001' } });
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain(`ringlock.yaml:${line}:`);
    expect(r.stderr).toContain('/registry/url');
    expect(r.stderr).toContain(`http://${a.host}, a host the operator has not bound REGISTRY_TOKEN to`);
    expect(r.stderr).toContain('config/untrusted-destination');
    expect(r.stderr).toContain(`RINGLOCK_DESTINATIONS=REGISTRY_TOKEN@${a.host}`);
    expect(a.seen).toEqual([]);
    expect(existsSync(join(p.target, '.ringlock', 'state.json'))).toBe(false);

    // --json says the same, with the position.
    const j = await p.apply(['--json'], { env: { REGISTRY_TOKEN: 'reg-secret-0001' } });
    const err = JSON.parse(j.stdout).error;
    expect(err).toMatchObject({ code: 'config/untrusted-destination', exitCode: 2 });
    expect(err.diagnostics[0]).toMatchObject({ file: 'ringlock.yaml', line, pointer: '/registry/url' });
    expect(a.seen).toEqual([]);

    // A host the operator allowed for events, or bound another credential to, is no licence for this token.
    for (const env of [
      { RINGLOCK_ALLOWED_HOSTS: a.host },
      { RINGLOCK_DESTINATIONS: `NOTIFY_SECRET@${a.host}` },
      { RINGLOCK_DESTINATIONS: `REGISTRY_TOKEN@127.0.0.1` }, // no port: https on 443 only
    ]) {
      const still = await p.apply([], { env: { REGISTRY_TOKEN: 'reg-secret-0001', ...env } });
      expect(still.code, show(still)).toBe(2);
      expect(still.stderr).toContain('config/untrusted-destination');
    }
    expect(a.seen).toEqual([]);

    // Bound by the operator, the same config does send the token there: the refusal was what kept it out.
    const allowed = await p.apply([], {
      env: {
        REGISTRY_TOKEN: 'reg-secret-0001',
        RINGLOCK_DESTINATIONS: `OTHER@example.org,REGISTRY_TOKEN@${a.host}`,
      },
    });
    expect(allowed.code, show(allowed)).toBe(3);
    expect(a.seen.length).toBeGreaterThan(0);
    expect(a.seen[0]!.headers.authorization).toBe('Bearer reg-secret-0001');
  });

  it("refuses ringlock.yaml naming ringlock's own credentials, even for an allowed host", async (t) => {
    const a = await attacker();
    t.onTestFinished(a.close);
    const p = await buildPlatform(scratch(t, 'trust'), { alpha: { version: '1.0.0' } });
    const line = setRegistry(p, httpRegistry(a, 'RINGLOCK_GIT_TOKEN'), 'tokenEnv: RINGLOCK_GIT_TOKEN');
    const r = await p.apply([], {
      env: {
        RINGLOCK_GIT_TOKEN: 'ghs_git_token_0002',
        RINGLOCK_DESTINATIONS: `RINGLOCK_GIT_TOKEN@${a.host}`,
      },
    });
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain(`ringlock.yaml:${line}:`);
    expect(r.stderr).toContain("RINGLOCK_GIT_TOKEN is ringlock's own credential");
    expect(r.stderr).not.toContain('ghs_git_token_0002');
    expect(a.seen).toEqual([]);
  });

  it('sends no credential the operator bound elsewhere: GITHUB_TOKEN as the token of a registry at an events host', async (t) => {
    const a = await attacker();
    t.onTestFinished(a.close);
    const p = await buildPlatform(scratch(t, 'trust'), { alpha: { version: '1.0.0' } });
    setRegistry(p, httpRegistry(a, 'GITHUB_TOKEN'), 'url: http://127.0.0.1');
    const operator = join(p.root, 'operator.yaml');
    writeFileSync(
      operator,
      `apiVersion: ringlock/v1\nkind: OperatorConfig\nallowedHosts: ["${a.host}"]\ncredentials:\n  NOTIFY_SECRET: ["${a.host}"]\n`,
    );
    const r = await p.apply(['--operator-config', operator], { env: { GITHUB_TOKEN: 'ghp_forge_0006' } });
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('a host the operator has not bound GITHUB_TOKEN to');
    expect(r.stderr).not.toContain('ghp_forge_0006');
    expect(a.seen).toEqual([]);
  });

  it("uses the operator's registry (operator config or --registry) and never the repository's", async (t) => {
    const a = await attacker();
    t.onTestFinished(a.close);
    const p = await buildPlatform(scratch(t, 'trust'), { alpha: { version: '1.0.0' } });
    setRegistry(p, httpRegistry(a, 'REGISTRY_TOKEN'), 'url: http://127.0.0.1');
    const operator = join(p.root, 'operator.yaml');
    writeFileSync(
      operator,
      `apiVersion: ringlock/v1\nkind: OperatorConfig\nregistry:\n  url: file://${p.registry}\n`,
    );
    const r = await p.apply(['--operator-config', operator], { env: { REGISTRY_TOKEN: 'reg-secret-0003' } });
    expect(r.code, show(r)).toBe(0);
    expect(p.link('alpha')).toMatch(/^\.ringlock\/store\/alpha\/1\.0\.0-/);
    expect(a.seen).toEqual([]);

    // A registry the operator names on the command line gets the operator's token (RINGLOCK_REGISTRY_TOKEN).
    const q = await buildPlatform(scratch(t, 'trust'), { beta: { version: '1.0.0' } });
    const viaFlag = await q.apply(['--registry', `${a.url}/mirror/`], {
      env: { RINGLOCK_REGISTRY_TOKEN: 'operator-reg-0004' },
    });
    expect(viaFlag.code, show(viaFlag)).toBe(3);
    expect(a.seen.map((s) => s.headers.authorization)).toContain('Bearer operator-reg-0004');
  });

  it('names the operator config file, line and field when it is invalid, and changes nothing', async (t) => {
    const p = await buildPlatform(scratch(t, 'trust'), { alpha: { version: '1.0.0' } });
    const operator = join(p.root, 'operator.yaml');
    writeFileSync(
      operator,
      'apiVersion: ringlock/v1\nkind: OperatorConfig\nallowedHosts:\n  - registry.example.com\n  - https://evil.example/\n',
    );
    const bad = await p.apply(['--operator-config', operator]);
    expect(bad.code, show(bad)).toBe(2);
    expect(bad.stderr).toContain(`${operator}:5:5`);
    expect(bad.stderr).toContain('/allowedHosts/1');
    expect(bad.stderr).toMatch(/expected: a host name or IP/);

    writeFileSync(operator, 'apiVersion: ringlock/v1\nkind: OperatorConfig\nallowHosts: [a.example]\n');
    const unknown = await p.apply([], { env: { RINGLOCK_OPERATOR_CONFIG: operator } });
    expect(unknown.code, show(unknown)).toBe(2);
    expect(unknown.stderr).toContain(`${operator}:3:1`);
    expect(unknown.stderr).toContain('unknown property "allowHosts"');

    const missing = await p.apply(['--operator-config', join(p.root, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml');

    const env = await p.apply([], { env: { RINGLOCK_ALLOWED_HOSTS: 'https://x.example/' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('RINGLOCK_ALLOWED_HOSTS: "https://x.example/" is not a host');
    const cred = await p.apply([], { env: { RINGLOCK_DESTINATIONS: 'registry.example.com' } });
    expect(cred.code).toBe(2);
    expect(cred.stderr).toContain('RINGLOCK_DESTINATIONS: "registry.example.com" is not NAME@host');
    const user = await p.apply([], { env: { RINGLOCK_MODULE_USER: 'nobody' } });
    expect(user.code).toBe(2);
    expect(user.stderr).toContain('RINGLOCK_MODULE_USER=nobody: not uid:gid');
    expect(existsSync(join(p.target, '.ringlock', 'state.json'))).toBe(false);
  });

  it('promote refuses promotion.github.baseUrl at a host the operator did not allow, before any commit or push', async (t) => {
    const a = await attacker();
    t.onTestFinished(a.close);
    const repo = new PromoRepo();
    t.onTestFinished(() => repo.dispose());
    const config = `${PROMO_CONFIG}    baseUrl: ${a.url}/api/v3\n`;
    const base = { orders: entry('orders', '1.4.0') };
    repo.commit(
      {
        'ringlock.yaml': config,
        'rings/canary.lock.json': lockText('canary', { orders: entry('orders', '1.5.0') }),
        'rings/edge.lock.json': lockText('edge', base),
        'rings/stable.lock.json': lockText('stable', base),
      },
      10 * DAY,
    );
    repo.cloneWork();
    const line = config.split('\n').findIndex((l) => l.includes('baseUrl:')) + 1;
    for (const mode of [[], ['--dry-run']]) {
      const r = await repo.run(['promote', 'orders', '--from', 'canary', ...mode], {
        GITHUB_API_URL: undefined,
      });
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr).toContain(`ringlock.yaml:${line}:`);
      expect(r.stderr).toContain('/promotion/github/baseUrl');
      expect(r.stderr).toContain('config/untrusted-destination');
    }
    expect(a.seen).toEqual([]);
    expect(repo.remoteBranches()).toEqual(['main']);
  });

  it('the daemon treats a commit whose notifications go to a host the operator did not allow as invalid', async (t) => {
    const a = await attacker();
    t.onTestFinished(a.close);
    const p = await buildPlatform(scratch(t, 'trust'), { alpha: { version: '1.0.0' } });
    const remote = await serveRepo(p);
    t.onTestFinished(() => remote.close());
    const d = await startDaemon(p, { repo: remote.url, env: { NOTIFY_SECRET: 'notify-secret-0005' } });
    t.onTestFinished(async () => {
      await d.stop('SIGKILL');
    });
    const good = (await d.until('applied', (s) => s.appliedCommit !== undefined)).appliedCommit!;

    const file = join(p.repo, 'ringlock.yaml');
    const text = `${readFileSync(file, 'utf8')}notifications:\n  webhooks:\n    - url: ${a.url}/events\n      secretEnv: NOTIFY_SECRET\n`;
    writeFileSync(file, text);
    const line = text.split('\n').findIndex((l) => l.includes(`url: ${a.url}`)) + 1;
    await bump(p, 'alpha', { version: '1.1.0' });
    const bad = remote.push('notifications to an unknown host');
    await d.webhook(pushEvent(bad));
    const s = await d.until('refused', (x) => x.lastError?.commit === bad);
    expect(s.lastError).toMatchObject({
      code: 'config/untrusted-destination',
      file: 'ringlock.yaml',
      line,
    });
    expect(s.appliedCommit).toBe(good);
    expect(s.modules.find((m) => m.name === 'alpha')?.deployed).toBe('1.0.0');

    // The next commit with the same config is refused too (the refused settings were never adopted).
    await bump(p, 'alpha', { version: '1.2.0' });
    const again = remote.push('another change, same config');
    await d.webhook(pushEvent(again));
    const s2 = await d.until('refused again', (x) => x.lastError?.commit === again);
    expect(s2.appliedCommit).toBe(good);
    expect(a.seen).toEqual([]);
    expect(d.output()).not.toContain('notify-secret-0005');
  });
});
