import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError, TransientError } from '../src/errors.js';
import { GitHubDeployments, type GitHubOptions, parseRepository } from '../src/forge/github.js';
import { deploymentHandlers, serveDeployments } from './support/github-deployments.js';
import { type GitHubStandin, githubError, startGitHubStandin } from './support/github-standin.js';

const SHA = 'a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d';
const TOKEN = 'ghp_test_token_0123456789abcdef';

const standins: GitHubStandin[] = [];
afterEach(async () => {
  for (const s of standins.splice(0)) await s.close();
});

async function github(opts: { prefix?: string } = {}) {
  const gh = await startGitHubStandin({ token: TOKEN, ...opts });
  standins.push(gh);
  return { gh, api: serveDeployments(gh) };
}

function client(gh: GitHubStandin, o: Partial<GitHubOptions> = {}) {
  return new GitHubDeployments({
    token: TOKEN,
    baseUrl: gh.url,
    owner: 'acme',
    repo: 'platform',
    retries: 2,
    retryBaseMs: 1,
    timeoutMs: 5000,
    ...o,
  });
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('GitHubDeployments.report', () => {
  it('creates one deployment per commit and ring, then posts each status to it', async () => {
    const { gh, api } = await github();
    const c = client(gh);
    const long = 'x'.repeat(200);

    await c.report({ sha: SHA, environment: 'staging', state: 'in_progress', description: long });
    await c.report({
      sha: SHA,
      environment: 'staging',
      state: 'success',
      description: 'ok',
      logUrl: 'https://ci/1',
    });

    gh.assertNoUnexpected();
    const ops = gh.calls.map((c) => c.operationId);
    expect(ops.filter((o) => o === 'repos/create-deployment')).toHaveLength(1);
    expect(ops.filter((o) => o === 'repos/create-deployment-status')).toHaveLength(2);
    const [d] = api.deployments();
    expect(api.deployments()).toHaveLength(1);
    expect(d).toMatchObject({
      sha: SHA,
      environment: 'staging',
      payload: { ring: 'staging', tool: 'ringlock' },
      production_environment: false,
      transient_environment: false,
    });
    expect(gh.calls.find((c) => c.operationId === 'repos/create-deployment')!.body).toMatchObject({
      auto_merge: false,
      required_contexts: [],
    });
    const statuses = api.statuses(d!.id);
    expect(statuses.map((s) => [s.state, s.environment])).toEqual([
      ['in_progress', 'staging'],
      ['success', 'staging'],
    ]);
    expect(Array.from(statuses[0]!.description)).toHaveLength(140);
    expect(statuses[1]!.log_url).toBe('https://ci/1');
    expect(gh.calls.every((c) => c.headers.authorization === `token ${TOKEN}`)).toBe(true);
  });

  it('reuses the deployment GitHub already has after a restart, and keeps rings apart', async () => {
    const { gh, api } = await github();
    await client(gh).report({ sha: SHA, environment: 'prod', state: 'success', description: 'first run' });

    const restarted = client(gh);
    await restarted.report({ sha: SHA, environment: 'prod', state: 'success', description: 'second run' });
    await restarted.report({
      sha: SHA,
      environment: 'canary',
      state: 'failure',
      description: 'x',
      productionEnvironment: true,
    });

    gh.assertNoUnexpected();
    expect(api.deployments().map((d) => [d.environment, d.production_environment])).toEqual([
      ['prod', false],
      ['canary', true],
    ]);
    expect(api.statuses(api.deployments()[0]!.id)).toHaveLength(2);
  });

  it('honours a GitHub Enterprise base URL with a path prefix', async () => {
    const { gh, api } = await github({ prefix: '/api/v3' });
    expect(gh.url).toMatch(/\/api\/v3$/);

    await client(gh).report({ sha: SHA, environment: 'prod', state: 'success', description: 'ghe' });

    gh.assertNoUnexpected();
    expect(api.deployments()).toHaveLength(1);
  });
});

describe('GitHubDeployments errors', () => {
  it('a rejected token is forge/auth, and the token is not in the message', async () => {
    const { gh, api } = await github();
    const wrong = 'ghp_wrong_token_9999999999';

    const e = await rejection(
      client(gh, { token: wrong }).report({ sha: SHA, environment: 'p', state: 'success', description: '' }),
    );

    expect(e).toBeInstanceOf(InputError);
    expect(e.code).toBe('forge/auth');
    expect(e.message).toContain('the GitHub token was rejected');
    expect(e.message).not.toContain(wrong);
    expect(gh.unexpected).toEqual([expect.stringContaining('bad or missing Authorization')]);
    expect(api.deployments()).toHaveLength(0);
  });

  it('403 is forge/permission naming deployments: write', async () => {
    const { gh } = await github();
    gh.on('repos/list-deployments', () =>
      githubError(403, 'Resource not accessible by personal access token'),
    );

    const e = await rejection(
      client(gh).report({ sha: SHA, environment: 'p', state: 'success', description: '' }),
    );

    expect(e).toBeInstanceOf(InputError);
    expect(e.code).toBe('forge/permission');
    expect(e.message).toContain('deployments: write');
    expect(gh.calls).toHaveLength(1);
    gh.assertNoUnexpected();
  });

  it('retries 5xx answers, then reports a TransientError', async () => {
    const { gh } = await github();
    gh.on('repos/list-deployments', () => githubError(502, 'Server Error'));

    const e = await rejection(
      client(gh).report({ sha: SHA, environment: 'p', state: 'success', description: '' }),
    );

    expect(e).toBeInstanceOf(TransientError);
    expect(e.code).toBe('forge/unreachable');
    expect(gh.calls.map((c) => c.operationId)).toEqual(Array(3).fill('repos/list-deployments'));
    gh.assertNoUnexpected();
  });

  it('goes on when GitHub recovers after a 500', async () => {
    const { gh, api } = await github();
    const real = deploymentHandlers(gh.url)['repos/create-deployment-status']!;
    let failures = 1;
    gh.on('repos/create-deployment-status', (req, state) =>
      failures-- > 0 ? githubError(500, 'Server Error') : real(req, state),
    );

    await client(gh).report({ sha: SHA, environment: 'p', state: 'success', description: '' });

    expect(gh.calls.map((c) => c.operationId)).toEqual([
      'repos/list-deployments',
      'repos/create-deployment',
      'repos/create-deployment-status',
      'repos/create-deployment-status',
    ]);
    expect(api.statuses(api.deployments()[0]!.id)).toHaveLength(1);
    gh.assertNoUnexpected();
  });

  it('an unreachable GitHub is a TransientError', async () => {
    const port = await freePort();
    const c = new GitHubDeployments({
      token: TOKEN,
      baseUrl: `http://127.0.0.1:${port}`,
      owner: 'a',
      repo: 'b',
      retries: 0,
    });

    const e = await rejection(c.report({ sha: SHA, environment: 'p', state: 'success', description: '' }));

    expect(e).toBeInstanceOf(TransientError);
    expect(e.code).toBe('forge/unreachable');
  });

  it('409 and 422 from create-deployment are reported clearly', async () => {
    const { gh } = await github();
    gh.on('repos/create-deployment', () => githubError(409, 'Conflict: failed commit status checks'));
    const conflict = await rejection(
      client(gh).report({ sha: SHA, environment: 'p', state: 'success', description: '' }),
    );
    expect(conflict.code).toBe('forge/deployment-conflict');
    expect(conflict.message).toContain('required status checks');

    gh.on('repos/create-deployment', () => githubError(422, `No ref found for: ${SHA}`));
    const invalid = await rejection(
      client(gh).report({ sha: SHA, environment: 'p', state: 'success', description: '' }),
    );
    expect(invalid.code).toBe('forge/validation');
    expect(invalid.message).toContain('No ref found');
    gh.assertNoUnexpected();
  });
});

describe('the GitHub stand-in holds both sides to the description', () => {
  it('refuses a request body with a wrong field type or an unknown field (422) and records it', async () => {
    const { gh } = await github();
    const post = (body: unknown) =>
      fetch(`${gh.url}/repos/acme/platform/deployments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    const wrongType = await post({ ref: SHA, auto_merge: 'no' });
    const misspelt = await post({ ref: SHA, auto_merg: false });

    expect(wrongType.status).toBe(422);
    expect(((await wrongType.json()) as { message: string }).message).toContain('/auto_merge');
    expect(misspelt.status).toBe(422);
    expect(gh.unexpected).toEqual([
      expect.stringMatching(/repos\/create-deployment: .*\/auto_merge must be boolean/),
      expect.stringContaining('must NOT have additional properties'),
    ]);
    expect(gh.calls).toHaveLength(0);
    expect(() => gh.assertNoUnexpected()).toThrow(/unexpected traffic/);
  });

  it('records an answer of its own that breaks the contract, unknown routes and missing handlers', async () => {
    const gh = await startGitHubStandin();
    standins.push(gh);
    gh.on('repos/list-deployments', () => ({ status: 200, body: [] }));
    gh.on('repos/create-deployment', () => ({ status: 201, body: { id: 'one', sha: SHA } }));

    await rejection(
      client(gh, { retries: 0 }).report({ sha: SHA, environment: 'p', state: 'success', description: '' }),
    );
    const unknown = await fetch(`${gh.url}/repos/acme/platform/no-such-thing`);
    const unhandled = await fetch(`${gh.url}/repos/acme/platform/deployments/1`);

    expect(unknown.status).toBe(404);
    expect(unhandled.status).toBe(501);
    expect(gh.unexpected).toEqual([
      expect.stringMatching(/201 answer breaks the description: .*\/id must be integer/),
      expect.stringContaining('repos/create-deployment-status has no handler'),
      expect.stringContaining("no such operation in GitHub's description"),
      expect.stringContaining('repos/get-deployment has no handler'),
    ]);
  });
});

describe('parseRepository', () => {
  it.each([
    ['acme/platform', 'acme', 'platform'],
    ['https://github.com/acme/platform', 'acme', 'platform'],
    ['https://github.com/acme/platform.git', 'acme', 'platform'],
    ['https://ghe.example.com/acme/my.repo/', 'acme', 'my.repo'],
    ['git@github.com:acme/platform.git', 'acme', 'platform'],
  ])('%s', (s, owner, repo) => {
    expect(parseRepository(s)).toEqual({ owner, repo });
  });

  it.each(['acme', 'acme/platform/extra', 'https://github.com/acme', '-bad/x', 'acme/..', ''])(
    'refuses %j',
    (s) => {
      expect(() => parseRepository(s)).toThrow(expect.objectContaining({ code: 'config/github-repository' }));
    },
  );
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
