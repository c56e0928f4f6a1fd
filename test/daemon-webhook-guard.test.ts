// The webhook as an attacker meets it, against the real daemon (a child process) watching a repository served over
// git smart HTTP: unsigned and oversized floods (the daemon's memory read from /proc), no secret, replays, pushes for
// other repositories, bursts of valid pushes (fetches counted in /metrics) and SIGTERM under a flood.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RecentKeys, repoKey, sameRepository } from '../src/daemon/webhook-guards.js';
import { buildPlatform, type ModuleSpec, type Platform, scratch } from './fixtures-platform.js';
import {
  bump,
  type DaemonProcess,
  gitIn,
  memory,
  postLarge,
  pushEvent,
  type Remote,
  serveRepo,
  sign,
  startDaemon,
} from './support/daemon.js';

type Ctx = { onTestFinished(fn: () => void | Promise<void>): void };
const MiB = 1024 * 1024;

async function setup(t: Ctx, env: Record<string, string | undefined> = {}) {
  const modules: Record<string, ModuleSpec> = { base: { version: '1.0.0' } };
  const p = await buildPlatform(scratch(t, 'webhook'), modules);
  const remote = await serveRepo(p);
  t.onTestFinished(() => remote.close());
  const d = await startDaemon(p, { repo: remote.url, env });
  t.onTestFinished(async () => {
    await d.stop('SIGKILL');
  });
  await d.until('first commit applied', (s) => s.appliedCommit === head(remote));
  return { p, remote, d };
}

const head = (remote: Remote) => gitIn(remote.bare, 'rev-parse', 'refs/heads/main');

/** The value of one series in /metrics (0 when absent). */
async function metric(d: DaemonProcess, series: string): Promise<number> {
  const text = (await d.get('/metrics')).text;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function reconciles(d: DaemonProcess): Promise<number> {
  const text = (await d.get('/metrics')).text;
  return [...text.matchAll(/^ringlock_reconciles_total\{[^}]*\} (\d+)$/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
}

const fetches = (d: DaemonProcess) => metric(d, 'ringlock_git_fetch_duration_seconds_count');

/** A signed push webhook with a fixed delivery id, sent as raw text so it can be repeated byte for byte. */
function signedPush(d: DaemonProcess, text: string, delivery: string) {
  return d.post('/hooks/github', text, {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': delivery,
    'x-hub-signature-256': sign(text),
  });
}

async function bumpAndPush(p: Platform, remote: Remote, version: string): Promise<string> {
  await bump(p, 'base', { version });
  return remote.push(`base ${version}`);
}

describe('webhook repository match', () => {
  it('reduces every form of one repository to the same key', () => {
    const forms = [
      'https://github.com/Acme/Platform.git',
      'https://github.com/acme/platform',
      'https://github.com/acme/platform/',
      'http://GitHub.com:443/acme/platform.git',
      'git@github.com:acme/platform.git',
      'ssh://git@github.com/acme/platform.git',
      'git://github.com/acme/platform.git',
    ];
    for (const f of forms) expect(repoKey(f), f).toBe('github.com/acme/platform');
    expect(repoKey('/srv/git/platform.git')).toBe('path:/srv/git/platform.git');
    expect(repoKey('file:///srv/git/platform.git')).toBe('path:/srv/git/platform.git');
  });

  it('matches a payload by any of its URLs or its full_name, and nothing else', () => {
    const watched = 'https://github.com/acme/platform.git';
    expect(sameRepository(watched, { ssh_url: 'git@github.com:acme/platform.git' })).toBe(true);
    expect(sameRepository(watched, { full_name: 'ACME/platform' })).toBe(true);
    expect(sameRepository(watched, { clone_url: 'https://github.com/acme/platform.git' })).toBe(true);
    expect(
      sameRepository(watched, {
        full_name: 'acme/other',
        clone_url: 'https://github.com/acme/other.git',
        ssh_url: 'git@github.com:acme/other.git',
      }),
    ).toBe(false);
    expect(sameRepository(watched, { clone_url: 'https://github.com/acme/platform-fork.git' })).toBe(false);
    expect(sameRepository(watched, { clone_url: 'https://gitlab.example/acme/other.git' })).toBe(false);
    expect(sameRepository(watched, undefined)).toBe(false);
    expect(sameRepository(watched, {})).toBe(false);
    // A local repository is named only by its path; an owner/name cannot claim it.
    expect(sameRepository('/srv/git/platform.git', { full_name: 'srv/git/platform' })).toBe(false);
    expect(sameRepository('/srv/git/platform.git', { clone_url: '/srv/git/platform.git/' })).toBe(true);
  });

  it('remembers a bounded number of deliveries for a bounded time', () => {
    let t = 0;
    const keys = new RecentKeys(3, 1_000, () => t);
    expect(keys.check(['a'])).toBe(false);
    expect(keys.check(['a'])).toBe(true);
    for (const k of ['b', 'c', 'd', 'e']) keys.check([k]);
    expect(keys.size).toBe(3);
    expect(keys.check(['a'])).toBe(false);
    t = 5_000;
    expect(keys.check(['e'])).toBe(false);
  });
});

describe('daemon webhook guard', () => {
  it('refuses unsigned bodies when the headers arrive: 20 × 24 MiB leave its memory bounded', async (t) => {
    const { d, p, remote } = await setup(t);
    const pid = d.child.pid!;
    const before = memory(pid).rss;
    const unsigned = await Promise.all(
      Array.from({ length: 20 }, () =>
        postLarge(d.base, '/hooks/github', 24 * MiB, {
          'x-github-event': 'push',
          'x-github-delivery': randomBytes(8).toString('hex'),
        }),
      ),
    );
    for (const r of unsigned) expect([401, 'reset']).toContain(r);
    const afterUnsigned = memory(pid).peak;
    // Generous ceilings: buffered, the unsigned flood alone takes ~500 MB.
    expect(afterUnsigned - before, 'peak growth under the unsigned flood').toBeLessThan(60 * MiB);
    // With a signature that only looks right, bodies are read, but at most 4 at once (the rest: 503).
    const forged = await Promise.all(
      Array.from({ length: 20 }, () =>
        postLarge(d.base, '/hooks/github', 24 * MiB, {
          'x-github-event': 'push',
          'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
        }),
      ),
    );
    for (const r of forged) expect([401, 503, 'reset']).toContain(r);
    expect(forged.filter((r) => r === 503 || r === 'reset').length).toBeGreaterThan(0);
    const afterForged = memory(pid).peak;
    expect(afterForged - before, 'peak growth under the forged flood').toBeLessThan(150 * MiB);
    expect(await metric(d, 'ringlock_webhooks_total{result="unauthorized"}')).toBeGreaterThanOrEqual(20);
    // The daemon still works: a signed push is applied.
    const second = await bumpAndPush(p, remote, '1.0.1');
    expect(JSON.parse((await d.webhook(pushEvent(second))).text)).toMatchObject({ triggered: true });
    await d.until('push applied', (s) => s.appliedCommit === second);
  });

  it('without a secret refuses every webhook at the headers: 40 × 5 MiB leave its memory bounded', async (t) => {
    const { d } = await setup(t, { RINGLOCK_WEBHOOK_SECRET: undefined });
    const pid = d.child.pid!;
    const before = memory(pid).rss;
    const runs = await reconciles(d);
    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        postLarge(d.base, '/hooks/github', 5 * MiB, {
          'x-github-event': 'push',
          'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
        }),
      ),
    );
    for (const r of results) expect([401, 'reset']).toContain(r);
    expect(memory(pid).peak - before, 'peak growth').toBeLessThan(60 * MiB);
    const small = await d.webhook(pushEvent('0'.repeat(40)));
    expect(small.status).toBe(401);
    expect(JSON.parse(small.text).error).toMatch(/no webhook secret/);
    expect(await reconciles(d)).toBe(runs);
  });

  it('ignores a replayed delivery, by its id or by its body, and says so', async (t) => {
    const { d, p, remote } = await setup(t);
    const second = await bumpAndPush(p, remote, '1.0.1');
    const text = JSON.stringify(pushEvent(second));
    const first = await signedPush(d, text, 'delivery-1');
    expect(first.status).toBe(202);
    expect(JSON.parse(first.text)).toMatchObject({ triggered: true });
    await d.until('push applied', (s) => s.appliedCommit === second);
    const runs = await reconciles(d);
    const again = await signedPush(d, text, 'delivery-1');
    expect(again.status).toBe(202);
    expect(JSON.parse(again.text)).toEqual({ ok: true, triggered: false, reason: 'replay' });
    // A captured body under a fresh delivery id is the same push: a replay too.
    const fresh = await signedPush(d, text, 'delivery-2');
    expect(JSON.parse(fresh.text)).toMatchObject({ triggered: false, reason: 'replay' });
    expect(await metric(d, 'ringlock_webhooks_total{result="replay"}')).toBe(2);
    expect(await reconciles(d)).toBe(runs);
    const logged = d.logLines().filter((l) => l.level === 'debug' && l.result === 'replay');
    expect(logged.map((l) => l.delivery)).toEqual(['delivery-1', 'delivery-2']);
  });

  it('ignores pushes for another repository (an organisation webhook) and pushes that name none', async (t) => {
    const { d, p, remote } = await setup(t);
    const second = await bumpAndPush(p, remote, '1.0.1');
    const runs = await reconciles(d);
    const other = await d.webhook({
      ref: 'refs/heads/main',
      after: second,
      repository: {
        full_name: 'acme/other',
        clone_url: 'https://github.com/acme/other.git',
        ssh_url: 'git@github.com:acme/other.git',
      },
    });
    expect(other.status).toBe(202);
    expect(JSON.parse(other.text)).toMatchObject({
      triggered: false,
      reason: expect.stringMatching(/acme\/other/),
    });
    const none = await d.webhook({ ref: 'refs/heads/main', after: second });
    expect(JSON.parse(none.text)).toMatchObject({ triggered: false });
    expect(await metric(d, 'ringlock_webhooks_total{result="other_repo"}')).toBe(2);
    expect(await reconciles(d)).toBe(runs);
    expect((await d.status()).appliedCommit).not.toBe(second);
    const logged = d.logLines().filter((l) => l.level === 'debug' && l.result === 'other_repo');
    expect(logged).toHaveLength(2);
    // The same repository in its ssh form is the watched one.
    const host = new URL(remote.url).hostname;
    const ssh = await d.webhook({
      ref: 'refs/heads/main',
      after: second,
      repository: { ssh_url: `git@${host}:ACME/platform.git` },
    });
    expect(JSON.parse(ssh.text)).toMatchObject({ triggered: true });
    await d.until('push applied', (s) => s.appliedCommit === second);
  });

  it('a burst of valid pushes costs about one fetch per second, coalesced, and the newest commit is applied', async (t) => {
    const { d, p, remote } = await setup(t);
    const second = await bumpAndPush(p, remote, '1.0.1');
    const before = await fetches(d);
    const t0 = Date.now();
    const answers: { triggered?: boolean; coalesced?: boolean }[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await d.webhook({ ...pushEvent(second), head_commit: { id: second, n: i } });
      expect(r.status).toBe(202);
      answers.push(JSON.parse(r.text));
    }
    const seconds = (Date.now() - t0) / 1000;
    await d.until('push applied', (s) => s.appliedCommit === second && s.phase === 'idle');
    await new Promise((r) => setTimeout(r, 1_500)); // let a coalesced trigger fire
    await d.until('idle', (s) => s.phase === 'idle');
    const spent = (await fetches(d)) - before;
    // Each fire of the limiter costs at most a run's fetch plus one fetch during a run in progress.
    expect(spent).toBeGreaterThanOrEqual(1);
    expect(spent).toBeLessThanOrEqual(3 * (Math.ceil(seconds) + 2));
    expect(spent).toBeLessThan(50);
    expect(answers.every((a) => a.triggered === true)).toBe(true);
    expect(answers.filter((a) => a.coalesced).length).toBeGreaterThan(100);
  });

  it('exits promptly on SIGTERM after a flood of 1,000 replays of one signed webhook', async (t) => {
    const { d, p, remote } = await setup(t);
    const second = await bumpAndPush(p, remote, '1.0.1');
    const text = JSON.stringify(pushEvent(second));
    const before = { fetches: await fetches(d), runs: await reconciles(d) };
    const codes: number[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 250; i++) codes.push((await signedPush(d, text, 'same-delivery')).status);
      }),
    );
    expect(codes.filter((c) => c === 202)).toHaveLength(1000);
    const after = { fetches: await fetches(d), runs: await reconciles(d) };
    expect(after.fetches - before.fetches).toBeLessThanOrEqual(3);
    expect(after.runs - before.runs).toBeLessThanOrEqual(2);
    expect(await metric(d, 'ringlock_webhooks_total{result="replay"}')).toBe(999);
    const t0 = Date.now();
    expect(await d.stop()).toEqual({ code: 0, signal: null });
    // The shutdown budget is 25 s; nothing is left queued, so the exit comes at once.
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
