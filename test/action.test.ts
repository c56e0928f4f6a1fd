// The GitHub Action as the runner runs it: `node dist/action/index.js` from a copy of the action's files alone (no
// node_modules anywhere above it), with INPUT_* and GITHUB_* variables, an event file and a step summary file, on a
// pull request's merge commit. And the bundle is what the source builds, byte for byte.
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  type Dirent,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT, testdir } from './helpers.js';
import { git, mergeCommit, type PlatformRepo, platformGitRepo } from './support/check-repo.js';
import { simpleUser } from './support/github-deployments.js';
import { type GitHubStandin, startGitHubStandin } from './support/github-standin.js';

const BUNDLE = join(REPO_ROOT, 'dist/action');
const TOKEN = 'ghs_action_token_0123456789';
const standins: GitHubStandin[] = [];
afterEach(async () => {
  for (const s of standins.splice(0)) await s.close();
});

/** What the runner downloads for `uses: owner/ringlock@v1`: the repository at the tag, without node_modules. */
function actionCheckout(): string {
  const dir = testdir({});
  cpSync(join(REPO_ROOT, 'action.yml'), join(dir, 'action.yml'));
  cpSync(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'));
  mkdirSync(join(dir, 'dist'), { recursive: true });
  cpSync(BUNDLE, join(dir, 'dist/action'), { recursive: true });
  return dir;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  summary: string;
}

/** A pull_request job: the workspace is the platform repository, checked out at the PR's merge commit. */
function runAction(
  repo: PlatformRepo,
  pr: { base: string; head: string },
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  workspace = repo.dir,
): Promise<Run> {
  const action = actionCheckout();
  const meta = parse(readFileSync(join(action, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
    runs: { main: string };
  };
  const work = testdir({});
  const event = join(work, 'event.json');
  const summary = join(work, 'summary.md');
  writeFileSync(
    event,
    JSON.stringify({
      action: 'synchronize',
      number: 7,
      pull_request: {
        number: 7,
        base: { ref: 'main', sha: pr.base },
        head: { ref: 'pr', sha: pr.head },
        labels: [],
      },
    }),
  );
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(GITHUB_|RINGLOCK_|INPUT_)/.test(k) && k !== 'CI' && k !== 'NODE_PATH') clean[k] = v;
  // The runner sets every input, with its default when the workflow leaves it out.
  for (const [name, spec] of Object.entries(meta.inputs))
    clean[`INPUT_${name.toUpperCase()}`] =
      inputs[name] ?? (spec.default?.includes('${{') ? '' : (spec.default ?? ''));
  Object.assign(clean, {
    NO_COLOR: '1',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: event,
    GITHUB_SHA: mergeCommit(repo, pr.base, pr.head),
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'acme/platform',
    GITHUB_ACTION_PATH: action,
    ...env,
  });
  const child = spawn(process.execPath, [join(action, meta.runs.main)], { cwd: workspace, env: clean });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    stdout += b;
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr += b;
  });
  return new Promise((resolve) =>
    child.on('close', (code) =>
      resolve({ code, stdout, stderr, summary: existsSync(summary) ? readFileSync(summary, 'utf8') : '' }),
    ),
  );
}

/** main with a and b at 1.0.0; branch pr edits a without a version bump (RL002), or with one. */
function pullRequest(bump: boolean) {
  const repo = platformGitRepo();
  const base = git(repo.dir, ['rev-parse', 'HEAD']);
  repo.branch('pr');
  repo.write({ 'modules/a/src/index.php': '<?php // changed\n' });
  if (bump)
    repo.editManifest('a', (m) => {
      m.version = '1.0.1';
    });
  repo.lock();
  const head = repo.commit(bump ? 'a 1.0.1' : 'edit a, no bump');
  return { repo, base, head };
}

describe('the Action bundle', () => {
  it('is what scripts/build.mjs makes from the source, byte for byte', () => {
    const out = testdir({});
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/build.mjs'), '--action-to', out], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const tree = (dir: string) =>
      (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
        .filter((e) => e.isFile())
        .map((e) => relative(dir, join(e.parentPath, e.name)))
        .sort();
    expect(tree(out)).toEqual(tree(BUNDLE));
    expect(tree(out)).toContain('index.js');
    for (const f of tree(out))
      expect(readFileSync(join(out, f)).equals(readFileSync(join(BUNDLE, f))), f).toBe(true);
  });

  it('action.yml runs it on node24, with no install step', () => {
    const meta = parse(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8'));
    expect(meta.runs).toEqual({ using: 'node24', main: 'dist/action/index.js' });
  });

  it('fails a pull request that breaks a rule: error annotation, summary, exit 1', async () => {
    const { repo, base, head } = pullRequest(false);
    const r = await runAction(repo, { base, head }, {});
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^::error file=modules\/a\/module\.json,.*RL002/m);
    expect(r.summary).toContain('## ringlock check: ❌');
    expect(r.summary).toContain('RL002');
  });

  it('passes a bumped change, from a working-directory below the workspace', async () => {
    const { repo, base, head } = pullRequest(true);
    const workspace = testdir({});
    cpSync(repo.dir, join(workspace, 'platform'), { recursive: true });
    const moved = { ...repo, dir: join(workspace, 'platform') };
    const r = await runAction(moved, { base, head }, { 'working-directory': 'platform' }, {}, workspace);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/^::error/m);
    expect(r.summary).toContain('## ringlock check: ✅ passed');
    expect(r.summary).toContain('| `a` | ⬆️ upgrade | `1.0.0` | `1.0.1` |');
  });

  it('comment: true posts the sticky comment with the token input', async () => {
    const gh = await startGitHubStandin({ token: TOKEN, prefix: '/api/v3' });
    standins.push(gh);
    const posted: string[] = [];
    gh.on('issues/list-comments', () => ({ status: 200, body: [] }));
    gh.on('issues/create-comment', (req) => {
      const body = (req.body as { body: string }).body;
      posted.push(body);
      const url = `${gh.url}/repos/acme/platform/issues/comments/900`;
      return {
        status: 201,
        headers: { location: url },
        body: {
          id: 900,
          node_id: 'IC_900',
          url,
          html_url: 'https://github.com/acme/platform/pull/7#issuecomment-900',
          issue_url: `${gh.url}/repos/acme/platform/issues/7`,
          body,
          user: simpleUser(gh.url, 'github-actions[bot]', 41898282),
          created_at: '2026-01-02T03:04:05Z',
          updated_at: '2026-01-02T03:04:05Z',
          author_association: 'NONE',
        },
      };
    });
    const { repo, base, head } = pullRequest(true);
    const r = await runAction(
      repo,
      { base, head },
      { comment: 'true', token: TOKEN },
      { GITHUB_API_URL: gh.url },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('comment created: https://github.com/acme/platform/pull/7#issuecomment-900');
    expect(posted).toHaveLength(1);
    expect(posted[0]!.startsWith('<!-- ringlock:check -->\n## ringlock check: ✅ passed')).toBe(true);
    expect(gh.calls.map((c) => c.operationId)).toEqual(['issues/list-comments', 'issues/create-comment']);
    gh.assertNoUnexpected();
  });

  it('takes args as words, never as shell code', async () => {
    const { repo, base, head } = pullRequest(true);
    const marker = join(repo.dir, 'pwned');
    const r = await runAction(repo, { base, head }, { args: `--json $(touch ${marker}) ;touch ${marker}` });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.message).toBe('check: unexpected argument "$(touch"');
    expect(existsSync(marker)).toBe(false);
    const ok = await runAction(repo, { base, head }, { args: ` --base ${base}\t--head ${head}  --json ` });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ base, head, ok: true });
  });

  it('refuses an unknown command input with an annotation and exit 2', async () => {
    const { repo, base, head } = pullRequest(true);
    const r = await runAction(repo, { base, head }, { command: 'apply' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('::error title=ringlock::unknown command input (expected check or promote)\n');
  });

  it('refuses a working-directory that does not exist, naming it', async () => {
    const { repo, base, head } = pullRequest(true);
    const r = await runAction(repo, { base, head }, { 'working-directory': 'nowhere' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(
      `::error title=ringlock::working-directory ${JSON.stringify(join(repo.dir, 'nowhere'))} does not exist\n`,
    );
  });
});
