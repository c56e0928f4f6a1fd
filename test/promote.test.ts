// ringlock promote / revert / ring assign end to end: real git (a bare remote on disk, history with commit times in
// the past), the built CLI as a child process, and GitHub played by the stand-in that holds every request and answer
// to GitHub's published REST description.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashTrees } from '../src/hash/tree-hash.js';
import type { LockEntry } from '../src/model/types.js';
import { show } from './fixtures-platform.js';
import { startGitHttpServer } from './support/git-http-server.js';
import { servePulls } from './support/github-pulls.js';
import { githubError, startGitHubStandin } from './support/github-standin.js';
import { CONFIG, DAY, entry, HOUR, lockText, PromoRepo, TOKEN } from './support/promote-repo.js';

const CHANGELOG = `# Changelog

## [1.5.0] - 2026-04-08

### Added

- Order lines in the order API.

## [1.4.2] - 2026-03-04

### Fixed

- Cancelling a shipped order returned 500.

## [1.4.0] - 2026-02-11

- First release here.
`;

const MANIFEST = JSON.stringify({
  name: 'orders',
  version: '1.5.0',
  lifecycle: { onUpgrade: 'php artisan migrate --force' },
});

// The tests run concurrently (each has its own world: a remote on disk and a GitHub stand-in); most of their time is
// spent waiting on the CLI's child processes and its client-side GitHub throttling, so overlapping them is what makes
// this file fast. Their worlds are removed when the file is done (a few MB each; the global onTestFinished would not
// know which concurrent test is current, and threading each test's context through world() buys nothing here).
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const base = {
  orders: entry('orders', '1.4.2', { deps: { payments: '^1.0.0' } }),
  payments: entry('payments', '1.2.0'),
  catalog: entry('catalog', '1.3.0'),
};

/** A platform whose canary got orders 1.5.0 `soakedMs` ago; edge and stable run orders 1.4.2. */
async function world(opts: { soakedMs?: number; config?: string; orders?: LockEntry } = {}) {
  const repo = new PromoRepo();
  cleanups.push(() => repo.dispose());
  repo.seed({
    base,
    orders: opts.orders ?? entry('orders', '1.5.0', { deps: { payments: '^1.0.0' } }),
    soakedMs: opts.soakedMs ?? 2 * DAY,
    ...(opts.config ? { config: opts.config } : {}),
    files: {
      'rings/tenants.yaml': TENANTS,
      'modules/orders/CHANGELOG.md': CHANGELOG,
      'modules/orders/module.json': MANIFEST,
    },
  });
  const gh = await startGitHubStandin({ token: TOKEN });
  cleanups.push(() => gh.close());
  const pulls = servePulls(gh);
  const run = (args: string[], env: Record<string, string | undefined> = {}) =>
    repo.run(args, { RINGLOCK_GITHUB_API_URL: gh.url, ...env });
  return { repo, gh, pulls, run };
}

const TENANTS = `# tenant → ring. Schema: schemas/tenants.schema.json
tenants:
  # staff first
  acme-internal: canary
  northwind: edge # early adopter since 2025
  globex: stable
`;

const BRANCH = 'ringlock/promote/edge/orders-1.5.0';

function lockOf(repo: PromoRepo, branch: string, ring: string) {
  return JSON.parse(repo.remoteFile(branch, `rings/${ring}.lock.json`)!);
}

/** The lines of `path` that differ between two remote refs (without the diff's own headers). */
function changedLines(repo: PromoRepo, a: string, b: string, path: string): string[] {
  const diff = repo.git(repo.bare, 'diff', '--unified=0', a, b, '--', path);
  return diff.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l));
}

describe.concurrent('ringlock promote', () => {
  it('opens a pull request with one commit on its branch that changes only the module’s lines', async () => {
    const { repo, gh, pulls, run } = await world();
    const r = await run(['promote', 'orders', '--from', 'canary']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('opened pull request #1');
    gh.assertNoUnexpected();

    expect(repo.remoteBranches()).toEqual(['main', BRANCH]);
    const main = repo.tip(repo.bare, 'main');
    expect(repo.git(repo.bare, 'rev-parse', `${BRANCH}^`)).toBe(main);
    expect(lockOf(repo, BRANCH, 'edge').modules.orders).toEqual(
      lockOf(repo, 'main', 'canary').modules.orders,
    );
    const lines = changedLines(repo, 'main', BRANCH, 'rings/edge.lock.json');
    expect(lines.length).toBeGreaterThan(0);
    const before = repo.remoteFile('main', 'rings/edge.lock.json')!;
    const after = repo.remoteFile(BRANCH, 'rings/edge.lock.json')!;
    // Every changed line is one of orders' fields; nothing else moved (same line count, other lines identical).
    expect(after.split('\n')).toHaveLength(before.split('\n').length);
    for (const l of lines) expect(l).toMatch(/"(version|sha256|integrity|artifact)":/);
    expect(repo.git(repo.bare, 'diff', '--stat', 'main', BRANCH)).toContain('1 file changed');
    const message = repo.git(repo.bare, 'log', '-1', '--format=%B', BRANCH);
    expect(message).toContain('promote orders 1.4.2 → 1.5.0 to edge');
    expect(message).toContain('Ringlock-Promotion: orders@1.5.0 canary->edge');

    const [pr] = pulls.pulls();
    expect(pulls.pulls()).toHaveLength(1);
    expect(pr).toMatchObject({ title: 'promote orders 1.4.2 → 1.5.0 to edge', head: BRANCH, base: 'main' });
    expect(pr!.labels).toEqual(['ringlock:promotion', 'ring:edge']);
    expect(pr!.reviewers).toEqual(['alice']);
    expect(pr!.teamReviewers).toEqual(['release-engineers']);
    expect(pr!.body).toContain('| `orders` | 1.4.2 | **1.5.0** |');
    expect(pr!.body).toContain('Order lines in the order API.'); // the 1.5.0 changelog entry
    expect(pr!.body).not.toContain('Cancelling a shipped order'); // 1.4.2 is already in edge
    expect(pr!.body).toContain('run its `onUpgrade` hook');
    // Absolute times only (the body reads the same on every rerun): the commit the pin arrived with, and the rule.
    const arrived = repo
      .git(repo.bare, 'log', '-1', '--format=%H', '--grep=canary: orders 1.5.0', 'main')
      .slice(0, 7);
    expect(pr!.body).toMatch(
      new RegExp(`\\| \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC \\(\`${arrived}\`\\) \\| 24h \\|$`, 'm'),
    );
    // The working tree and its branch were never touched.
    expect(repo.git(repo.work, 'status', '--porcelain')).toBe('');
    expect(repo.git(repo.work, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
  });

  it('is idempotent: a rerun updates the same pull request, a moved base resets the branch, never a second one', async () => {
    const { repo, pulls, run, gh } = await world();
    expect((await run(['promote', 'orders', '--from', 'canary'])).code).toBe(0);
    const first = repo.tip(repo.bare, BRANCH);

    const again = await run(['promote', 'orders', '--from', 'canary', '--json']);
    expect(again.code, show(again)).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      ok: true,
      status: 'unchanged',
      pushed: false,
      pr: { number: 1 },
    });
    expect(repo.tip(repo.bare, BRANCH)).toBe(first);

    repo.commit({ 'README.md': 'docs\n' }, HOUR, 'docs');
    const moved = await run(['promote', 'orders', '--from', 'canary', '--json']);
    expect(moved.code, show(moved)).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({ status: 'updated', pushed: true, pr: { number: 1 } });
    expect(repo.git(repo.bare, 'rev-parse', `${BRANCH}^`)).toBe(repo.tip(repo.bare, 'main'));
    expect(pulls.pulls()).toHaveLength(1);
    gh.assertNoUnexpected();
  });

  it('a newer pin supersedes the open pull request of the older one: it is closed with a comment naming the new one', async () => {
    const { repo, pulls, run, gh } = await world();
    expect((await run(['promote', 'orders', '--from', 'canary'])).code).toBe(0);
    repo.commit(
      {
        'rings/canary.lock.json': lockText('canary', {
          ...base,
          orders: entry('orders', '1.6.0', { deps: { payments: '^1.0.0' } }),
        }),
      },
      2 * DAY,
    );
    const r = await run(['promote', 'orders', '--from', 'canary']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('closed the pull request(s) it supersedes: #1');
    const [old, fresh] = pulls.pulls();
    expect(fresh).toMatchObject({ number: 2, state: 'open', head: 'ringlock/promote/edge/orders-1.6.0' });
    expect(old).toMatchObject({ number: 1, state: 'closed' });
    expect(old!.comments[0]).toContain('Superseded by #2');
    gh.assertNoUnexpected();
  });

  it('a scheduled run leaves a pull request a reviewer closed unmerged alone; a person asking again gets a new one', async () => {
    const { pulls, run } = await world();
    expect((await run(['promote', 'orders', '--from', 'canary'])).code).toBe(0);
    pulls.decline(1);
    const auto = await run(['promote', '--auto']);
    expect(auto.code, show(auto)).toBe(0);
    expect(auto.stdout).toContain('was closed without merging');
    expect(pulls.pulls()).toHaveLength(1);
    const manual = await run(['promote', 'orders', '--from', 'canary']);
    expect(manual.code, show(manual)).toBe(0);
    expect(pulls.pulls()).toHaveLength(2);
  });

  it('never resets a branch that holds a person’s commits', async () => {
    const { repo, run } = await world();
    expect((await run(['promote', 'orders', '--from', 'canary'])).code).toBe(0);
    repo.git(repo.author, 'fetch', '-q', 'origin', BRANCH);
    repo.git(repo.author, 'checkout', '-q', '-b', 'fix', 'FETCH_HEAD');
    repo.commit({ 'NOTES.md': 'a reviewer note\n' }, 0, 'note from a reviewer', BRANCH);
    const mine = repo.tip(repo.bare, BRANCH);
    repo.git(repo.author, 'checkout', '-q', 'main');
    repo.commit({ 'README.md': 'moved\n' }, 0, 'main moves on');
    expect(repo.remoteFile(BRANCH, 'NOTES.md')).toBe('a reviewer note\n');
    const r = await run(['promote', 'orders', '--from', 'canary']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('has commits ringlock did not make');
    expect(repo.tip(repo.bare, BRANCH)).toBe(mine);
  });

  it('never resets a branch whose ringlock commit a person amended (trailer kept)', async () => {
    const { repo, pulls, run } = await world();
    expect((await run(['promote', 'orders', '--from', 'canary'])).code).toBe(0);
    repo.git(repo.author, 'fetch', '-q', 'origin', BRANCH);
    repo.git(repo.author, 'checkout', '-q', '-b', 'fix', 'FETCH_HEAD');
    writeFileSync(join(repo.author, 'NOTES.md'), 'a reviewer note\n');
    repo.git(repo.author, 'add', 'NOTES.md');
    repo.git(
      repo.author,
      '-c',
      'user.name=Dev',
      '-c',
      'user.email=dev@example.test',
      'commit',
      '-q',
      '--amend',
      '--no-edit',
    );
    repo.git(repo.author, 'push', '-q', '--force', 'origin', `HEAD:refs/heads/${BRANCH}`);
    repo.git(repo.author, 'checkout', '-q', 'main');
    const amended = repo.tip(repo.bare, BRANCH);
    expect(repo.git(repo.bare, 'log', '-1', '--format=%B', BRANCH)).toContain('Ringlock-Promotion: ');
    const r = await run(['promote', 'orders', '--from', 'canary']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain(`branch ${BRANCH} has commits ringlock did not make`);
    expect(r.stderr).toContain('[promote/branch-edited]');
    expect(repo.tip(repo.bare, BRANCH)).toBe(amended);
    expect(repo.remoteFile(BRANCH, 'NOTES.md')).toBe('a reviewer note\n');
    expect(pulls.pulls()).toHaveLength(1);
  });

  it('never resets a branch whose ringlock commit sits on a person’s commit that is not on the base', async () => {
    const { repo, run } = await world();
    expect((await run(['promote', 'orders', '--from', 'canary'])).code).toBe(0);
    const ours = repo.tip(repo.bare, BRANCH);
    const dev = (...a: string[]) =>
      repo.git(repo.author, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.test', ...a);
    dev('fetch', '-q', 'origin', BRANCH);
    dev('checkout', '-q', '-b', 'prep', 'main');
    writeFileSync(join(repo.author, 'NOTES.md'), 'a reviewer note\n');
    dev('add', 'NOTES.md');
    dev('commit', '-q', '-m', 'note from a reviewer');
    dev('cherry-pick', ours);
    dev('push', '-q', '--force', 'origin', `HEAD:refs/heads/${BRANCH}`);
    dev('checkout', '-q', 'main');
    const moved = repo.tip(repo.bare, BRANCH);
    expect(repo.git(repo.bare, 'log', '-1', '--format=%B', BRANCH)).toContain('Ringlock-Promotion: ');
    const r = await run(['promote', 'orders', '--from', 'canary']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('has commits ringlock did not make');
    expect(repo.tip(repo.bare, BRANCH)).toBe(moved);
    expect(repo.remoteFile(BRANCH, 'NOTES.md')).toBe('a reviewer note\n');
  });

  it('does nothing when the identical promotion is already merged', async () => {
    const { repo, pulls, run } = await world();
    repo.commit(
      {
        'rings/edge.lock.json': lockText('edge', {
          ...base,
          orders: entry('orders', '1.5.0', { deps: { payments: '^1.0.0' } }),
        }),
      },
      HOUR,
    );
    const r = await run(['promote', 'orders@1.5.0', '--from', 'canary']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('edge already pins orders as canary does');
    expect(pulls.pulls()).toHaveLength(0);
    expect(repo.remoteBranches()).toEqual(['main']);
  });

  it('refuses before the soak time has passed; --force passes and says so in bold', async () => {
    const { repo, pulls, run } = await world({ soakedMs: 3 * HOUR });
    const r = await run(['promote', 'orders', '--from', 'canary']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain('RL006');
    expect(r.stderr).toMatch(/orders 1\.5\.0 has not soaked in canary for 24h: it has been there 3h/);
    expect(repo.remoteBranches()).toEqual(['main']);
    expect(pulls.pulls()).toHaveLength(0);

    const forced = await run(['promote', 'orders', '--from', 'canary', '--force']);
    expect(forced.code, show(forced)).toBe(0);
    expect(pulls.pulls()[0]!.body).toContain('**⚠️ Soak time overridden with `--force`.**');
    expect(repo.git(repo.bare, 'log', '-1', '--format=%B', BRANCH)).toContain(
      'Soak time overridden with --force.',
    );
  });

  it('soak counts from when the pin landed on the default branch, not from an older identical pin that was replaced', async () => {
    const { repo, run } = await world({ soakedMs: 5 * DAY });
    // canary went 1.5.0 → 1.4.2 → 1.5.0 again, the last time 2 hours ago: the run that counts is 2 hours old.
    repo.commit({ 'rings/canary.lock.json': lockText('canary', base) }, 4 * DAY);
    repo.commit(
      {
        'rings/canary.lock.json': lockText('canary', {
          ...base,
          orders: entry('orders', '1.5.0', { deps: { payments: '^1.0.0' } }),
        }),
      },
      2 * HOUR,
    );
    const r = await run(['promote', 'orders', '--from', 'canary', '--dry-run']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toMatch(/it has been there 2h/);
  });

  it('refuses a promotion whose dependency the target ring lacks, with the chain; --with-deps brings it along', async () => {
    const { repo, pulls, run } = await world();
    repo.commit(
      {
        'rings/canary.lock.json': lockText('canary', {
          ...base,
          orders: entry('orders', '2.0.0', { deps: { payments: '^2.0.0' } }),
          payments: entry('payments', '2.0.0'),
        }),
      },
      3 * DAY,
      'canary: orders 2, payments 2',
    );
    const r = await run(['promote', 'orders', '--from', 'canary']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain('RL008');
    expect(r.stderr).toContain('orders needs payments ^2.0.0 → the ring has payments 1.2.0');
    expect(r.stderr).toContain('--with-deps brings payments from canary along');
    expect(repo.remoteBranches()).toEqual(['main']);

    const w = await run(['promote', 'orders', '--from', 'canary', '--with-deps']);
    expect(w.code, show(w)).toBe(0);
    const branch = 'ringlock/promote/edge/orders-2.0.0';
    const edge = lockOf(repo, branch, 'edge');
    expect(edge.modules.orders.version).toBe('2.0.0');
    expect(edge.modules.payments.version).toBe('2.0.0');
    expect(pulls.pulls()[0]!.title).toBe('promote 2 modules to edge (orders 2.0.0, payments 2.0.0)');
    expect(pulls.pulls()[0]!.body).toContain('`payments` (for `orders`)');
  });

  it('refuses a prerelease into a ring that does not allow one', async () => {
    const { repo, run } = await world();
    const rc = entry('orders', '1.6.0-rc.1', { deps: { payments: '^1.0.0' } });
    repo.commit({ 'rings/edge.lock.json': lockText('edge', { ...base, orders: rc }) }, 5 * DAY);
    const r = await run(['promote', 'orders', '--from', 'edge', '--dry-run']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain('RL007');
    expect(r.stderr).toContain(
      'orders 1.6.0-rc.1 is a prerelease and ring stable does not allow prereleases',
    );
  });

  it('--dry-run prints the diff and the body and changes nothing; --no-pr commits on a local branch only', async () => {
    const { repo, gh, run } = await world();
    const dry = await run(['promote', 'orders', '--from', 'canary', '--dry-run']);
    expect(dry.code, show(dry)).toBe(0);
    expect(dry.stdout).toContain('-      "version": "1.4.2"');
    expect(dry.stdout).toContain('+      "version": "1.5.0"');
    expect(dry.stdout).toContain('## Promote to `edge` from `canary`');
    expect(repo.remoteBranches()).toEqual(['main']);
    expect(gh.calls).toHaveLength(0);

    const local = await run(['promote', 'orders', '--from', 'canary', '--no-pr'], {
      GITHUB_TOKEN: undefined,
    });
    expect(local.code, show(local)).toBe(0);
    expect(repo.git(repo.work, 'branch', '--list', BRANCH)).toContain(BRANCH);
    expect(repo.git(repo.work, 'show', `${BRANCH}:rings/edge.lock.json`)).toContain('"version": "1.5.0"');
    expect(repo.remoteBranches()).toEqual(['main']);
    expect(gh.calls).toHaveLength(0);
  });

  it('promotes every differing module with --all onto one branch', async () => {
    const { repo, run } = await world();
    repo.commit(
      {
        'rings/canary.lock.json': lockText('canary', {
          ...base,
          orders: entry('orders', '1.5.0', { deps: { payments: '^1.0.0' } }),
          catalog: entry('catalog', '1.4.0'),
        }),
      },
      2 * DAY,
    );
    const r = await run(['promote', '--all', '--from', 'canary']);
    expect(r.code, show(r)).toBe(0);
    const edge = lockOf(repo, 'ringlock/promote/edge/all', 'edge');
    expect([edge.modules.orders.version, edge.modules.catalog.version]).toEqual(['1.5.0', '1.4.0']);
  });
});

/** orders 1.5.0 pinned with the content hash its source in the fixture really has (lock freshness holds). */
async function realOrders(): Promise<LockEntry> {
  const dir = mkdtempSync(join(tmpdir(), 'ringlock-orders-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'module.json'), MANIFEST);
  writeFileSync(join(dir, 'CHANGELOG.md'), CHANGELOG);
  const [h] = await hashTrees([{ root: dir, display: 'modules/orders' }]);
  return { ...entry('orders', '1.5.0', { deps: { payments: '^1.0.0' } }), sha256: h!.digest };
}

describe.concurrent('promote and check agree', () => {
  it('the pull request promote opens passes ringlock check; --force one fails it on soak unless hotfix; a revert passes as a rollback', async () => {
    const orders = await realOrders();
    const { repo, run } = await world({ orders });
    expect((await run(['promote', 'orders', '--from', 'canary'])).code).toBe(0);
    repo.git(repo.work, 'fetch', '-q', 'origin');
    const ok = await run(['check', '--base', 'origin/main', '--head', `origin/${BRANCH}`, '--json']);
    expect(ok.code, show(ok)).toBe(0);

    const young = await world({ soakedMs: HOUR, orders });
    expect((await young.run(['promote', 'orders', '--from', 'canary', '--force'])).code).toBe(0);
    young.repo.git(young.repo.work, 'fetch', '-q', 'origin');
    const early = await young.run(['check', '--base', 'origin/main', '--head', `origin/${BRANCH}`]);
    expect(early.code, show(early)).toBe(1);
    expect(early.stdout + early.stderr).toContain('RL006');
    const hotfix = await young.run([
      'check',
      '--base',
      'origin/main',
      '--head',
      `origin/${BRANCH}`,
      '--allow',
      'hotfix',
    ]);
    expect(hotfix.code, show(hotfix)).toBe(0);

    for (const [v, age] of [
      ['1.4.0', 9 * DAY],
      ['1.5.0', DAY],
    ] as const)
      repo.commit(
        {
          'rings/stable.lock.json': lockText('stable', {
            ...base,
            orders: entry('orders', v, { deps: { payments: '^1.0.0' } }),
          }),
        },
        age,
      );
    expect((await run(['revert', 'orders', '--ring', 'stable', '--reason', 'bad'])).code).toBe(0);
    repo.git(repo.work, 'fetch', '-q', 'origin');
    const back = await run([
      'check',
      '--base',
      'origin/main',
      '--head',
      'origin/ringlock/revert/stable/orders-1.4.0',
      '--json',
    ]);
    expect(back.code, show(back)).toBe(0);
    expect(back.stdout).toContain('RL009');
  });
});

describe.concurrent('ringlock promote --auto', () => {
  it('opens exactly the due pull requests and skips a frozen ring with the reason', async () => {
    const now = Date.now();
    const config = `${CONFIG}  freeze:
    - rings: [stable]
      from: ${new Date(now - DAY).toISOString()}
      until: ${new Date(now + DAY).toISOString()}
      reason: quarterly close
`;
    const { repo, pulls, run, gh } = await world({ config, soakedMs: 3 * DAY });
    // canary: orders soaked 3 days (due), catalog 1 hour (not yet); edge → stable: payments soaked 4 days (frozen).
    repo.commit(
      { 'rings/edge.lock.json': lockText('edge', { ...base, payments: entry('payments', '1.3.0') }) },
      4 * DAY,
    );
    repo.commit(
      {
        'rings/canary.lock.json': lockText('canary', {
          ...base,
          orders: entry('orders', '1.5.0', { deps: { payments: '^1.0.0' } }),
          payments: entry('payments', '1.3.0'),
          catalog: entry('catalog', '1.4.0'),
        }),
      },
      HOUR,
    );
    const r = await run(['promote', '--auto', '--json']);
    expect(r.code, show(r)).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(pulls.pulls().map((p) => p.title)).toEqual(['promote orders 1.4.2 → 1.5.0 to edge']);
    expect(out.items).toContainEqual({ ring: 'stable', from: 'edge', skipped: 'frozen: quarterly close' });
    gh.assertNoUnexpected();

    // A second scheduled run changes nothing and opens nothing new.
    const again = await run(['promote', '--auto']);
    expect(again.code, show(again)).toBe(0);
    expect(pulls.pulls()).toHaveLength(1);
    expect(again.stdout).toContain('already up to date');
  });

  it('a recurring (cron) freeze in force refuses a manual promotion too, unless --ignore-freeze', async () => {
    const config = `${CONFIG}  freeze:
    - rings: [edge]
      cron: "* * * * *"
      duration: 1h
      reason: always frozen in this test
`;
    const { pulls, run } = await world({ config });
    const r = await run(['promote', 'orders', '--from', 'canary']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain('ring edge is frozen: always frozen in this test');
    const ok = await run(['promote', 'orders', '--from', 'canary', '--ignore-freeze']);
    expect(ok.code, show(ok)).toBe(0);
    expect(pulls.pulls()[0]!.body).toContain('Opened during a freeze');
  });
});

describe.concurrent('ringlock revert', () => {
  async function history() {
    const w = await world();
    const { repo } = w;
    for (const [v, age] of [
      ['1.4.0', 9 * DAY],
      ['1.4.2', 5 * DAY],
      ['1.5.0', DAY],
    ] as const)
      repo.commit(
        {
          'rings/stable.lock.json': lockText('stable', {
            ...base,
            orders: entry('orders', v, { deps: { payments: '^1.0.0' } }),
          }),
        },
        age,
        `stable: orders ${v}`,
      );
    return w;
  }

  it('opens a rollback pull request to the previous distinct pin, labelled ringlock:rollback, with the reason', async () => {
    const { repo, pulls, run, gh } = await history();
    const r = await run(['revert', 'orders', '--ring', 'stable', '--reason', 'checkout errors since 1.5.0']);
    expect(r.code, show(r)).toBe(0);
    const branch = 'ringlock/revert/stable/orders-1.4.2';
    expect(lockOf(repo, branch, 'stable').modules.orders).toEqual(
      entry('orders', '1.4.2', { deps: { payments: '^1.0.0' } }),
    );
    const [pr] = pulls.pulls();
    expect(pr).toMatchObject({ title: 'revert orders 1.5.0 → 1.4.2 in stable', head: branch });
    expect(pr!.labels).toEqual(['ringlock:rollback', 'ring:stable']);
    expect(pr!.body).toContain('**Reason:** checkout errors since 1.5.0');
    expect(pr!.body).toContain('Order lines in the order API.'); // what the rollback undoes
    expect(repo.git(repo.bare, 'log', '-1', '--format=%B', branch)).toContain(
      'Ringlock-Rollback: orders@1.4.2 stable (from 1.5.0)',
    );
    gh.assertNoUnexpected();
  });

  it('after a rollback was merged, the next revert goes further back, never forward to the bad version', async () => {
    const { repo, run } = await history();
    repo.commit(
      {
        'rings/stable.lock.json': lockText('stable', {
          ...base,
          orders: entry('orders', '1.4.2', { deps: { payments: '^1.0.0' } }),
        }),
      },
      HOUR,
      'revert',
    );
    const r = await run(['revert', 'orders', '--ring', 'stable', '--reason', 'still broken', '--dry-run']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('revert orders 1.4.2 → 1.4.0 in stable');
  });

  it('--to picks a named earlier pin; a version the ring never ran is refused (exit 2)', async () => {
    const { repo, run } = await history();
    const r = await run([
      'revert',
      'orders',
      '--ring',
      'stable',
      '--to',
      '1.4.0',
      '--reason',
      'x',
      '--dry-run',
    ]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('+      "version": "1.4.0"');
    const bad = await run(['revert', 'orders', '--ring', 'stable', '--to', '1.3.9', '--reason', 'x']);
    expect(bad.code, show(bad)).toBe(2);
    expect(bad.stderr).toContain('ring stable never pinned orders 1.3.9');
    expect(repo.remoteBranches()).toEqual(['main']);
  });
});

describe.concurrent('ringlock ring assign', () => {
  it('edits tenants.yaml keeping its comments and order, and opens a pull request with the reason', async () => {
    const { repo, pulls, run } = await world();
    const r = await run(['ring', 'assign', 'northwind', 'stable', '--reason', 'GA contract signed']);
    expect(r.code, show(r)).toBe(0);
    const branch = 'ringlock/tenants/northwind-stable';
    expect(repo.remoteFile(branch, 'rings/tenants.yaml')).toBe(
      TENANTS.replace('northwind: edge', 'northwind: stable'),
    );
    expect(pulls.pulls()[0]).toMatchObject({
      title: 'move tenant northwind from edge to stable',
      labels: ['ringlock:tenants', 'ring:stable'],
    });
    expect(pulls.pulls()[0]!.body).toContain('**Reason:** GA contract signed');

    const added = await run(['ring', 'assign', 'initech', 'edge', '--reason', 'pilot', '--dry-run']);
    expect(added.code, show(added)).toBe(0);
    expect(added.stdout).toContain('+  initech: edge');

    const unknown = await run(['ring', 'assign', 'initech', 'prod', '--reason', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('ring prod: unknown ring');
    expect(unknown.stderr).toContain('canary, edge, stable');
  });
});

describe.concurrent('errors people hit', () => {
  it('no token: exit 2 naming the variable and the permissions; nothing is pushed', async () => {
    const { repo, run } = await world();
    const r = await run(['promote', 'orders', '--from', 'canary'], { GITHUB_TOKEN: undefined });
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('GITHUB_TOKEN is not set');
    expect(r.stderr).toContain('contents: write and pull-requests: write');
    expect(repo.remoteBranches()).toEqual(['main']);
  });

  it('a token without pull-requests: write: exit 2 saying which; a rerun with a good token finishes', async () => {
    const { repo, gh, pulls, run } = await world();
    gh.on('pulls/create', () => ({
      ...githubError(403, 'Resource not accessible by personal access token'),
      headers: { 'x-accepted-github-permissions': 'pull_requests=write' },
    }));
    const r = await run(['promote', 'orders', '--from', 'canary']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('the token needs pull-requests: write');
    expect(r.stderr).toContain(`The branch ${BRANCH} is pushed`);
    expect(r.stderr).not.toContain(TOKEN);
    const pushed = repo.tip(repo.bare, BRANCH);

    servePulls(gh);
    const again = await run(['promote', 'orders', '--from', 'canary', '--json']);
    expect(again.code, show(again)).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'opened', pushed: false });
    expect(repo.tip(repo.bare, BRANCH)).toBe(pushed);
    expect(pulls.pulls()).toHaveLength(1);
  });

  it('the network failing between push and pull request: exit 3 naming the pushed branch; a rerun completes it', async () => {
    const { repo, gh, pulls, run } = await world();
    gh.on('pulls/create', () => githubError(502, 'Bad Gateway'));
    const r = await run(['promote', 'orders', '--from', 'canary']);
    expect(r.code, show(r)).toBe(3);
    expect(r.stderr).toContain(`The branch ${BRANCH} is pushed`);
    expect(r.stderr).toContain('run the same command again');
    const pushed = repo.tip(repo.bare, BRANCH);
    servePulls(gh);
    const again = await run(['promote', 'orders', '--from', 'canary', '--json']);
    expect(again.code, show(again)).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'opened', pushed: false });
    expect(repo.tip(repo.bare, BRANCH)).toBe(pushed);
    expect(pulls.pulls()).toHaveLength(1);
    expect(repo.remoteBranches()).toEqual(['main', BRANCH]);
  });

  it('over HTTPS-style auth the token goes to git as a header: pushes work, a read-only token is told it needs contents: write, and the token is never printed', async () => {
    for (const readOnly of [false, true]) {
      const { repo, pulls, run } = await world();
      const server = await startGitHttpServer({ root: repo.root, token: TOKEN, readOnly });
      cleanups.push(() => server.stop());
      repo.git(repo.work, 'remote', 'set-url', 'origin', server.url('remote.git'));
      const r = await run(['promote', 'orders', '--from', 'canary']);
      expect(r.stdout + r.stderr).not.toContain(TOKEN);
      expect(repo.git(repo.work, 'config', '--list')).not.toContain(TOKEN);
      if (readOnly) {
        expect(r.code, show(r)).toBe(2);
        expect(r.stderr).toContain('the token needs contents: write');
        expect(repo.remoteBranches()).toEqual(['main']);
        expect(pulls.pulls()).toHaveLength(0);
      } else {
        expect(r.code, show(r)).toBe(0);
        expect(repo.remoteBranches()).toEqual(['main', BRANCH]);
        const anonymous = await run(['promote', 'orders', '--from', 'canary'], { GITHUB_TOKEN: undefined });
        expect(anonymous.code, show(anonymous)).toBe(2);
        expect(anonymous.stderr).toContain('authentication failed');
      }
    }
  });

  it('a protected branch: exit 2 with the remote’s reason', async () => {
    const { repo, run } = await world();
    repo.hook(
      'pre-receive',
      '#!/bin/sh\necho "GH006: Protected branch update failed for refs/heads/ringlock/*." >&2\nexit 1\n',
    );
    const r = await run(['promote', 'orders', '--from', 'canary']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('GH006: Protected branch update failed');
    expect(repo.remoteBranches()).toEqual(['main']);
  });

  it('a push race (someone else updates the branch meanwhile): exit 3, nothing overwritten, a rerun succeeds', async () => {
    const { repo, pulls, run } = await world();
    // Another ringlock run's commit (the trailer, only the ring's lock changed), kept on a scratch ref of the remote.
    const other = repo.commit(
      { 'rings/edge.lock.json': lockText('edge', { ...base, payments: entry('payments', '1.2.1') }) },
      0,
      'promote orders\n\nRinglock-Promotion: orders@1.5.0 canary->edge',
      'scratch',
    );
    repo.git(repo.author, 'reset', '-q', '--hard', 'HEAD~1');
    // The other pusher lands between ringlock's look at the remote and its push.
    repo.hook(
      'pre-receive',
      `#!/bin/sh\nunset GIT_QUARANTINE_PATH\ngit update-ref refs/heads/${BRANCH} ${other}\nrm -f "$0"\n`,
    );
    const r = await run(['promote', 'orders', '--from', 'canary']);
    expect(r.code, show(r)).toBe(3);
    expect(r.stderr).toContain('someone else updated');
    expect(repo.tip(repo.bare, BRANCH)).toBe(other);
    expect(pulls.pulls()).toHaveLength(0);
    const again = await run(['promote', 'orders', '--from', 'canary']);
    expect(again.code, show(again)).toBe(0);
    expect(lockOf(repo, BRANCH, 'edge').modules.orders.version).toBe('1.5.0');
    expect(lockOf(repo, BRANCH, 'edge').modules.payments.version).toBe('1.2.0');
  });

  it('a push whose lease is stale on our side (the branch moved after we looked) is a push race too', async () => {
    const { repo } = await world();
    const { WorkRepo } = await import('../src/git/workrepo.js');
    const w = await WorkRepo.open({ cwd: repo.work });
    try {
      const main = repo.tip(repo.bare, 'main');
      repo.git(repo.bare, 'update-ref', 'refs/heads/ringlock/x', main);
      const tree = await w.treeOf(main);
      const c = await w.commitTree(tree, main, 'x');
      for (const expected of [undefined, 'f'.repeat(40)]) {
        const err = await w.push(c, 'ringlock/x', expected).then(
          () => undefined,
          (e: unknown) => e as { code?: string; message: string },
        );
        expect(err?.code, err?.message).toBe('promote/push-race');
      }
      expect(repo.tip(repo.bare, 'ringlock/x')).toBe(main);
    } finally {
      w.close();
    }
  });

  it.each([
    [['promote', 'orders'], 'which ring to promote from? give --from'],
    [['promote', '--from', 'canary'], 'name the module(s) to promote, or --all'],
    [['promote', 'orders', '--all', '--from', 'canary'], '--all promotes every module: name none'],
    [['promote', '--auto', 'orders'], '--auto decides the modules and rings itself'],
    [['promote', 'Orders!', '--from', 'canary'], '"Orders!" is not a module name'],
    [['promote', 'orders@1.5', '--from', 'canary'], 'is not a version'],
    [
      ['promote', 'orders', '--from', 'canary', '--dry-run', '--no-pr'],
      '--dry-run and --no-pr do not go together',
    ],
    [['promote', 'orders', '--from', 'prod'], '--from prod: unknown ring'],
    [['promote', 'nope', '--from', 'canary'], 'ring canary does not pin nope'],
    [['promote', 'orders@1.6.0', '--from', 'canary'], 'ring canary pins orders 1.5.0, not 1.6.0'],
    [['promote', 'orders', '--from', 'stable'], 'no ring is promoted from stable'],
    [['revert', 'orders', '--ring', 'stable'], 'say why with --reason'],
    [
      ['revert', 'orders', '--ring', 'stable', '--reason', 'x'],
      'holds no version of orders lower than 1.4.2',
    ],
    [['ring', 'assign', 'bad tenant!', 'edge', '--reason', 'x'], 'is not a tenant id'],
    [['promote', 'orders', '--from', 'canary', '--base', 'nope'], 'the remote has no branch nope'],
  ])('%j: exit 2 — %s', async (args, message) => {
    const { repo, gh, run } = await world();
    const r = await run(args);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain(message);
    expect(repo.remoteBranches()).toEqual(['main']);
    expect(gh.calls).toHaveLength(0);
  });

  it('an invalid freeze in ringlock.yaml is reported at its line, and nothing happens', async () => {
    const config = `${CONFIG}  freeze:
    - from: 2026-13-01
      until: 2026-12-24
      reason: bad date
    - cron: "61 * * * *"
      duration: 1h
      reason: bad minute
`;
    const { repo, run } = await world({ config });
    const r = await run(['promote', 'orders', '--from', 'canary']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/ringlock\.yaml:\d+:\d+: \/promotion\/freeze\/0: "2026-13-01" is not a date/);
    expect(r.stderr).toMatch(/\/promotion\/freeze\/1: minute "61" is outside 0-59/);
    expect(repo.remoteBranches()).toEqual(['main']);
  });
});
