// `ringlock check --comment`: one sticky pull-request comment, created once and then edited, against a GitHub
// stand-in on 127.0.0.1 that holds requests and answers to GitHub's published REST description.
import { afterEach, describe, expect, it } from 'vitest';
import { checkWithComment, git, platformGitRepo } from './support/check-repo.js';
import { simpleUser } from './support/github-deployments.js';
import {
  type GitHubStandin,
  githubError,
  type StandinHandler,
  startGitHubStandin,
} from './support/github-standin.js';

const TOKEN = 'ghs_check_token_0123456789';
const standins: GitHubStandin[] = [];
afterEach(async () => {
  for (const s of standins.splice(0)) await s.close();
});

/** A person's account, as GitHub returns it (bots are type Bot). */
const person = (login: string, id: number) => ({
  ...simpleUser('https://api.github.com', login, id),
  type: 'User',
});

interface Comment {
  id: number;
  body: string;
  user: ReturnType<typeof simpleUser>;
}

function commentJson(base: string, c: Comment) {
  return {
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${base}/repos/acme/platform/issues/comments/${c.id}`,
    html_url: `https://github.com/acme/platform/pull/7#issuecomment-${c.id}`,
    issue_url: `${base}/repos/acme/platform/issues/7`,
    body: c.body,
    user: c.user,
    created_at: '2026-01-02T03:04:05Z',
    updated_at: '2026-01-02T03:04:05Z',
    author_association: 'NONE',
  };
}

async function commentsStandin(seed: Comment[] = []) {
  const gh = await startGitHubStandin({ token: TOKEN, prefix: '/api/v3' });
  standins.push(gh);
  const comments: Comment[] = [...seed];
  let next = 900;
  const list: StandinHandler = (req) => {
    if (req.params.issue_number !== '7') return githubError(404, 'Not Found');
    return { status: 200, body: comments.map((c) => commentJson(gh.url, c)) };
  };
  gh.on('issues/list-comments', list);
  gh.on('issues/create-comment', (req) => {
    const c = {
      id: next++,
      body: (req.body as { body: string }).body,
      user: simpleUser(gh.url, 'github-actions[bot]', 41898282),
    };
    comments.push(c);
    return { status: 201, body: commentJson(gh.url, c), headers: { location: commentJson(gh.url, c).url } };
  });
  gh.on('issues/update-comment', (req) => {
    const c = comments.find((x) => String(x.id) === req.params.comment_id);
    if (!c) return githubError(404, 'Not Found');
    c.body = (req.body as { body: string }).body;
    return { status: 200, body: commentJson(gh.url, c) };
  });
  return { gh, comments };
}

describe('ringlock check --comment', () => {
  it('creates one sticky comment, then edits it on the next push (never a second one)', async () => {
    const someone = {
      id: 5,
      body: 'LGTM <!-- ringlock:check --> (quoted)',
      user: person('reviewer', 77),
    };
    const { gh, comments } = await commentsStandin([{ ...someone }]);
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.write({ 'modules/a/src/index.php': '<?php // changed\n' });
    repo.lock();
    const head1 = repo.commit('no bump');

    const first = await checkWithComment(repo, gh.url, TOKEN, base, head1);
    expect(first.code, first.stderr).toBe(1);
    expect(first.stdout).toContain(
      'comment created: https://github.com/acme/platform/pull/7#issuecomment-900',
    );
    expect(comments).toHaveLength(2);
    expect(comments[1]!.body.startsWith('<!-- ringlock:check -->\n## ringlock check: ❌')).toBe(true);
    expect(comments[1]!.body).toContain('RL002');
    // The comment carries the same report as the job summary.
    expect(comments[1]!.body).toContain(first.summary.trim());

    repo.editManifest('a', (m) => {
      m.version = '1.0.1';
    });
    repo.lock();
    const head2 = repo.commit('bump');
    const second = await checkWithComment(repo, gh.url, TOKEN, base, head2);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('comment updated');
    expect(comments).toHaveLength(2);
    expect(comments[0]).toEqual(someone);
    expect(comments[1]!.body).toContain('## ringlock check: ✅ passed');
    expect(comments[1]!.body).toContain('| `a` | ⬆️ upgrade | `1.0.0` | `1.0.1` |');

    const ops = gh.calls.map((c) => c.operationId);
    expect(ops).toEqual([
      'issues/list-comments',
      'issues/create-comment',
      'issues/list-comments',
      'issues/update-comment',
    ]);
    gh.assertNoUnexpected();
  });

  it("never adopts a person's comment that starts with the marker: it comments anew", async () => {
    const copied = {
      id: 6,
      body: '<!-- ringlock:check -->\n## ringlock check: ✅ passed\n\n(pasted from an old run)',
      user: person('alice', 78),
    };
    const { gh, comments } = await commentsStandin([{ ...copied }]);
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.write({ 'modules/a/src/index.php': '<?php // changed\n' });
    repo.lock();
    const head = repo.commit('no bump');
    const r = await checkWithComment(repo, gh.url, TOKEN, base, head);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('comment created');
    expect(comments).toHaveLength(2);
    expect(comments[0]).toEqual(copied);
    expect(comments[1]!.body).toContain('## ringlock check: ❌');
    expect(gh.calls.map((c) => c.operationId)).toEqual(['issues/list-comments', 'issues/create-comment']);
    gh.assertNoUnexpected();
  });

  it('a refused comment (read-only token on a fork) warns and keeps the verdict', async () => {
    const gh = await startGitHubStandin({ token: TOKEN, prefix: '/api/v3' });
    standins.push(gh);
    gh.on('issues/list-comments', () => ({ status: 200, body: [] }));
    gh.on('issues/create-comment', () => githubError(403, 'Resource not accessible by integration'));
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    const head = repo.commit('nothing');
    const r = await checkWithComment(repo, gh.url, TOKEN, base, head);
    expect(r.code).toBe(0);
    // In the log and the summary, never as an extra warning annotation (GitHub shows 10 per step, for the findings).
    expect(r.stderr).toMatch(/^warning: could not post the pull-request comment: .*pull-requests: write/m);
    expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/^::warning/m);
    expect(r.summary).toMatch(/^> could not post the pull-request comment: .*pull-requests: write/m);
    expect(r.stderr).not.toContain(TOKEN);
    gh.assertNoUnexpected();
  });
});
