// Platform repositories with real git history for `ringlock check`, and running the built CLI as a GitHub Actions job
// runs it: GITHUB_* variables, an event payload file and a step summary file.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, manifest, PLATFORM_CONFIG, type Tree, testdir, writeTree } from '../helpers.js';

export const DAY = 86_400_000;

export const CONFIG = PLATFORM_CONFIG;

export function git(repo: string, args: string[], when?: number): string {
  const date = when === undefined ? undefined : `@${Math.floor(when / 1000)} +0000`;
  const r = spawnSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Dev',
      GIT_AUTHOR_EMAIL: 'dev@example.com',
      GIT_COMMITTER_NAME: 'Dev',
      GIT_COMMITTER_EMAIL: 'dev@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: repo,
      ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}),
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Runs the built CLI in `cwd` (synchronously; env without any RINGLOCK_* or GITHUB_* of the developer's). */
export function ringlock(cwd: string, args: string[], env: Record<string, string> = {}) {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('RINGLOCK_') && !k.startsWith('GITHUB_') && k !== 'CI') clean[k] = v;
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...clean, NO_COLOR: '1', ...env },
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface PlatformRepo {
  dir: string;
  commit(message: string, when?: number): string;
  write(tree: Tree): void;
  remove(path: string): void;
  /** `ringlock lock` with these args; throws when it fails. */
  lock(...args: string[]): void;
  read(path: string): string;
  edit(path: string, f: (text: string) => string): void;
  /** module.json's JSON, edited. */
  editManifest(name: string, f: (m: Record<string, unknown>) => void): void;
  editLock(
    ring: string,
    f: (l: { platform: string; modules: Record<string, Record<string, unknown>> }) => void,
  ): void;
  branch(name: string): void;
}

/**
 * A platform repo on branch main: modules a 1.0.0 and b 1.0.0 (b depends on a ^1.0.0), every ring pinning both at
 * their source versions, committed `baseAge` ago (default 10 days: long soaked).
 */
export function platformGitRepo(
  opts: { baseAge?: number; modules?: Record<string, string> } = {},
): PlatformRepo {
  const modules = opts.modules ?? { a: '1.0.0', b: '1.0.0' };
  const tree: Tree = { 'ringlock.yaml': CONFIG, VERSION: '2.0.0\n', 'README.md': '# platform\n' };
  for (const [name, version] of Object.entries(modules)) {
    tree[`modules/${name}/module.json`] = manifest(
      name,
      version,
      name === 'b' ? { dependencies: { a: '^1.0.0' } } : {},
    );
    tree[`modules/${name}/src/index.php`] = `<?php // ${name}\n`;
    tree[`modules/${name}/CHANGELOG.md`] = `# Changelog\n\n## [${version}]\n- first\n`;
  }
  const dir = testdir(tree);
  const repo: PlatformRepo = {
    dir,
    commit(message, when) {
      git(dir, ['add', '-A']);
      git(dir, ['commit', '-q', '--allow-empty', '-m', message], when);
      return git(dir, ['rev-parse', 'HEAD']);
    },
    write: (t) => writeTree(dir, t),
    remove: (p) => rmSync(join(dir, p), { recursive: true, force: true }),
    lock(...args) {
      const r = ringlock(dir, ['lock', ...args]);
      if (r.code !== 0) throw new Error(`ringlock lock ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    },
    read: (p) => readFileSync(join(dir, p), 'utf8'),
    edit(p, f) {
      writeFileSync(join(dir, p), f(readFileSync(join(dir, p), 'utf8')));
    },
    editManifest(name, f) {
      const p = join(dir, 'modules', name, 'module.json');
      const m = JSON.parse(readFileSync(p, 'utf8'));
      f(m);
      writeFileSync(p, `${JSON.stringify(m, null, 2)}\n`);
    },
    editLock(ring, f) {
      const p = join(dir, 'rings', `${ring}.lock.json`);
      const l = JSON.parse(readFileSync(p, 'utf8'));
      f(l);
      writeFileSync(p, serialize(l));
    },
    branch: (name) => {
      git(dir, ['checkout', '-q', '-b', name]);
    },
  };
  git(dir, ['init', '-q', '-b', 'main']);
  repo.lock();
  const names = Object.keys(modules).flatMap((m) => ['--module', m]);
  repo.lock('--ring', 'edge', ...names);
  repo.lock('--ring', 'stable', ...names);
  repo.commit('platform', Date.now() - (opts.baseAge ?? 10 * DAY));
  return repo;
}

/**
 * main: a 1.1.0 everywhere, stable's pin carrying a published artifact's integrity; then a 1.2.0 in canary and edge,
 * and `promotion`, the commit that takes stable to 1.2.0 too.
 */
export function stableRanA110() {
  const repo = platformGitRepo({ modules: { a: '1.1.0', b: '1.0.0' } });
  repo.editLock('stable', (l) => {
    l.modules.a!.integrity = `sha256-${Buffer.alloc(32, 2).toString('base64')}`;
  });
  repo.commit('stable: a 1.1.0 from its published artifact', Date.now() - 9 * DAY);
  repo.write({ 'modules/a/src/index.php': '<?php // a 1.2.0\n' });
  repo.editManifest('a', (m) => {
    m.version = '1.2.0';
  });
  repo.edit('modules/a/CHANGELOG.md', (t) => `${t}\n## [1.2.0]\n- more\n`);
  repo.lock();
  repo.lock('--ring', 'edge', '--module', 'a');
  repo.commit('a 1.2.0 in canary and edge', Date.now() - 8 * DAY);
  const edge = JSON.parse(repo.read('rings/edge.lock.json'));
  repo.editLock('stable', (l) => {
    l.modules.a = edge.modules.a;
  });
  const promotion = repo.commit('stable: a 1.2.0', Date.now() - DAY);
  return { repo, base: promotion, promotion };
}

function serialize(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x && typeof x === 'object')
      return Object.fromEntries(
        Object.keys(x)
          .sort()
          .map((k) => [k, sort((x as Record<string, unknown>)[k])]),
      );
    return x;
  };
  return `${JSON.stringify(sort(v), null, 2)}\n`;
}

export interface ActionsRun {
  code: number;
  stdout: string;
  stderr: string;
  summary: string;
  errors: string[];
  warnings: string[];
  notices: string[];
}

/**
 * The commit actions/checkout checks out on pull_request (refs/pull/N/merge): `head` merged into `into`, the base
 * branch's tip, with `into` as first parent. The working tree stays on the branch it was on.
 */
export function mergeCommit(repo: PlatformRepo, into: string, head: string): string {
  const back = git(repo.dir, ['rev-parse', '--abbrev-ref', 'HEAD']);
  git(repo.dir, ['checkout', '-q', '--detach', into]);
  git(repo.dir, ['merge', '-q', '--no-ff', '-m', `Merge ${head} into ${into}`, head]);
  const sha = git(repo.dir, ['rev-parse', 'HEAD']);
  git(repo.dir, ['checkout', '-q', back]);
  return sha;
}

/**
 * `ringlock check` as a GitHub Actions job on pull_request runs it. By default GITHUB_SHA is the PR's head; with
 * `mergeInto` (the base branch's tip) it is the merge commit GitHub makes, as in real runs, while the event's
 * base.sha stays `base` — which, as on GitHub after the base branch moved, may be stale.
 */
export function checkAsAction(
  repo: PlatformRepo,
  pr: { base: string; head: string; labels?: string[]; number?: number; mergeInto?: string },
  opts: { args?: string[]; env?: Record<string, string>; event?: unknown } = {},
): ActionsRun {
  const work = testdir({});
  const eventPath = join(work, 'event.json');
  const summaryPath = join(work, 'summary.md');
  writeFileSync(
    eventPath,
    JSON.stringify(
      opts.event ?? {
        action: 'synchronize',
        number: pr.number ?? 7,
        pull_request: {
          number: pr.number ?? 7,
          base: { ref: 'main', sha: pr.base },
          head: { ref: 'pr', sha: pr.head },
          labels: (pr.labels ?? []).map((name, i) => ({ id: i + 1, name })),
        },
      },
    ),
  );
  const r = ringlock(repo.dir, ['check', ...(opts.args ?? [])], {
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_SHA: pr.mergeInto === undefined ? pr.head : mergeCommit(repo, pr.mergeInto, pr.head),
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_WORKSPACE: repo.dir,
    GITHUB_REPOSITORY: 'acme/platform',
    ...opts.env,
  });
  const lines = r.stdout.split('\n');
  return {
    ...r,
    summary: existsSync(summaryPath) ? readFileSync(summaryPath, 'utf8') : '',
    errors: lines.filter((l) => l.startsWith('::error')),
    warnings: lines.filter((l) => l.startsWith('::warning')),
    notices: lines.filter((l) => l.startsWith('::notice')),
  };
}

/** The CLI as a child process (async: the stand-in answers in this process). */
export function checkWithComment(
  repo: PlatformRepo,
  apiUrl: string,
  token: string,
  base: string,
  head: string,
) {
  const work = testdir({});
  const event = join(work, 'event.json');
  const summary = join(work, 'summary.md');
  writeFileSync(
    event,
    JSON.stringify({
      number: 7,
      pull_request: { number: 7, base: { sha: base }, head: { sha: head }, labels: [] },
    }),
  );
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('GITHUB_') && !k.startsWith('RINGLOCK_')) env[k] = v;
  Object.assign(env, {
    NO_COLOR: '1',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: event,
    GITHUB_SHA: head,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_REPOSITORY: 'acme/platform',
    GITHUB_API_URL: apiUrl,
    GITHUB_TOKEN: token,
  });
  const child = spawn(process.execPath, [BIN, 'check', '--comment'], { cwd: repo.dir, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    stdout += b;
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr += b;
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string; summary: string }>((resolve) =>
    child.on('close', (code) =>
      resolve({ code, stdout, stderr, summary: existsSync(summary) ? readFileSync(summary, 'utf8') : '' }),
    ),
  );
}
