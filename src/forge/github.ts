// Reports applied lock commits to GitHub as deployments (environment = ring), so PR and commit pages show what
// each ring runs. The only module that imports @octokit/*: Octokit's errors are translated here.
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { InputError, InternalError, RinglockError, TransientError } from '../errors.js';
import { redactUrl, scrub } from '../redact.js';

export interface GitHubLogger {
  warn(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export interface GitHubOptions {
  token: string;
  /** GitHub Enterprise Server: https://ghe.example.com/api/v3 (default https://api.github.com). */
  baseUrl?: string;
  owner: string;
  repo: string;
  userAgent?: string;
  /** Attempts after the first on 5xx and network errors (default 3). */
  retries?: number;
  logger?: GitHubLogger;
  /** Per request (default 30 s). */
  timeoutMs?: number;
  /** Unit of the retry backoff (attempt² × this) and of rate-limit waits (default 1000 ms). */
  retryBaseMs?: number;
}

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

export interface DeploymentReport {
  /** The applied lock commit. */
  sha: string;
  /** The ring. */
  environment: string;
  state: DeploymentState;
  /** At most 140 characters (GitHub's limit); longer text is cut. */
  description: string;
  logUrl?: string;
  /** Default: environment === 'production'. */
  productionEnvironment?: boolean;
}

const GitHubOctokit = Octokit.plugin(retry, throttling);
type Client = InstanceType<typeof GitHubOctokit>;

/** Rate-limit waits longer than this are not worth holding the reconcile loop for. */
const MAX_RATE_LIMIT_WAIT_S = 60;
const RATE_LIMIT_RETRIES = 2;
const PERMISSION =
  'the "deployments: write" permission (fine-grained token or GitHub App) or the repo_deployment scope (classic token)';

export class GitHubDeployments {
  private readonly octokit: Client;
  private readonly repoName: string;
  /** Deployment id per sha + environment: a commit is deployed to a ring once, then gets statuses. */
  private readonly deployments = new Map<string, Promise<number>>();

  constructor(private readonly opts: GitHubOptions) {
    if (!opts.token) {
      throw new InputError('forge/auth', 'no GitHub token was given', {
        expected: 'a token with ' + PERMISSION,
      });
    }
    this.repoName = `${opts.owner}/${opts.repo}`;
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const base = opts.retryBaseMs ?? 1000;
    const log = opts.logger;
    const onLimit =
      (kind: string) =>
      (retryAfter: number, options: { method: string; url: string }, _o: unknown, n: number) => {
        const again = n < RATE_LIMIT_RETRIES && retryAfter <= MAX_RATE_LIMIT_WAIT_S;
        log?.warn(
          {
            repository: this.repoName,
            request: `${options.method} ${options.url}`,
            retryAfter,
            attempt: n + 1,
          },
          again ? `GitHub ${kind} rate limit hit; retrying` : `GitHub ${kind} rate limit hit; giving up`,
        );
        return again;
      };
    const say = (level: 'debug' | 'warn') => (msg: string) =>
      log?.[level]?.({ repository: this.repoName }, scrub(String(msg), [opts.token]));
    this.octokit = new GitHubOctokit({
      auth: opts.token,
      baseUrl: opts.baseUrl?.replace(/\/+$/, ''),
      userAgent: opts.userAgent ?? 'ringlock/0.1.0',
      log: { debug: say('debug'), info: say('debug'), warn: say('warn'), error: say('warn') },
      // Not `request: { retries }`: plugin-retry then re-sends every failed request, 401 and 404 included.
      retry: { retries: opts.retries ?? 3, retryAfterBaseValue: base },
      throttle: {
        retryAfterBaseValue: base,
        onRateLimit: onLimit('primary'),
        onSecondaryRateLimit: onLimit('secondary'),
      },
      request: {
        // Octokit has no deadline of its own; a GitHub that never answers must not stall the daemon.
        fetch: (url: string | URL, init: RequestInit = {}) => {
          const deadline = AbortSignal.timeout(timeoutMs);
          return fetch(url, {
            ...init,
            signal: init.signal ? AbortSignal.any([init.signal, deadline]) : deadline,
          });
        },
      },
    });
  }

  async report(input: DeploymentReport): Promise<void> {
    if (!/^[0-9a-f]{7,64}$/i.test(input.sha)) {
      throw new InputError('forge/sha', `"${input.sha}" is not a commit id`, {
        expected: 'a hex commit sha',
      });
    }
    const key = `${input.sha}\u0000${input.environment}`;
    let id = this.deployments.get(key);
    if (!id) {
      id = this.deployment(input);
      this.deployments.set(key, id);
      // A failed creation is forgotten so that the next report tries again.
      id.catch(() => this.deployments.get(key) === id && this.deployments.delete(key));
    }
    const deploymentId = await id;
    await this.call(`post the ${input.state} status of deployment ${deploymentId}`, () =>
      this.octokit.rest.repos.createDeploymentStatus({
        owner: this.opts.owner,
        repo: this.opts.repo,
        deployment_id: deploymentId,
        state: input.state,
        environment: input.environment,
        description: truncate(input.description, 140),
        ...(input.logUrl ? { log_url: input.logUrl } : {}),
        auto_inactive: true,
      }),
    );
  }

  /** The deployment of sha to the environment: found (after a restart) or created. */
  private async deployment(input: DeploymentReport): Promise<number> {
    const { owner, repo } = this.opts;
    const { sha, environment } = input;
    const found = await this.call(`list the deployments of ${sha.slice(0, 12)}`, () =>
      this.octokit.rest.repos.listDeployments({ owner, repo, sha, environment, per_page: 1 }),
    );
    const existing = found.data[0];
    if (existing) return existing.id;
    const created = await this.call(`create a deployment of ${sha.slice(0, 12)} to ${environment}`, () =>
      this.octokit.rest.repos.createDeployment({
        owner,
        repo,
        ref: sha,
        environment,
        auto_merge: false,
        required_contexts: [],
        transient_environment: false,
        production_environment: input.productionEnvironment ?? environment === 'production',
        description: truncate(input.description, 140),
        payload: { ring: environment, tool: 'ringlock' },
      }),
    );
    if (!('id' in created.data)) {
      // 202 is GitHub merging the default branch into the ref, which auto_merge: false rules out.
      throw new InternalError(
        'forge/deployment-not-created',
        `GitHub did not create the deployment of ${sha}`,
        {
          expected: 'a 201 answer',
        },
      );
    }
    return created.data.id;
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.translate(e, action);
    }
  }

  private translate(e: unknown, action: string): RinglockError {
    if (e instanceof RinglockError) return e;
    const where = `${action} in ${this.repoName} on ${redactUrl(this.opts.baseUrl ?? 'https://api.github.com')}`;
    const clean = (s: string) => scrub(s, [this.opts.token]);
    if (!isRequestError(e)) {
      return new InternalError('forge/internal', clean(`could not ${where}: ${String(e)}`), { cause: e });
    }
    const { status } = e;
    const body = e.response?.data as { message?: string; errors?: unknown[] } | undefined;
    const said = clean(body?.message ?? e.message);
    const headers = e.response?.headers ?? {};
    const cause = new Error(clean(e.message));
    if (status === 401) {
      return new InputError(
        'forge/auth',
        `the GitHub token was rejected (401 ${said}) when trying to ${where}`,
        {
          expected: 'a valid, unexpired token',
          cause,
        },
      );
    }
    if (
      status === 429 ||
      (status === 403 && (headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(said)))
    ) {
      return new TransientError(
        'forge/rate-limited',
        `GitHub rate limit reached when trying to ${where}: ${said}`,
        {
          expected: 'to try again after the limit resets',
          cause,
        },
      );
    }
    if (status === 403 || status === 404) {
      const hidden = status === 404 ? ' (GitHub answers 404 when the token cannot see the repository)' : '';
      return new InputError(
        'forge/permission',
        `GitHub refused to ${where} (${status} ${said})${hidden}: the token needs deployments: write on ${this.repoName}`,
        { expected: `a token with ${PERMISSION}`, cause },
      );
    }
    if (status === 409) {
      return new InputError(
        'forge/deployment-conflict',
        `GitHub refused to ${where} (409 ${said}): a merge conflict, or required status checks of the commit failed`,
        { expected: 'a commit whose required checks pass', cause },
      );
    }
    if (status === 422) {
      const errors = body?.errors?.length ? ` ${clean(JSON.stringify(body.errors))}` : '';
      return new InputError('forge/validation', `GitHub refused to ${where} (422 ${said})${errors}`, {
        expected: 'a commit that has been pushed to GitHub, and a valid ring name',
        cause,
      });
    }
    if (status >= 500 || status === 0 || !e.response) {
      const what = e.response ? `GitHub answered ${status} ${said}` : `GitHub could not be reached: ${said}`;
      return new TransientError('forge/unreachable', `could not ${where}: ${what}`, {
        expected: 'GitHub to answer; will try again later',
        cause,
      });
    }
    return new InputError('forge/request-rejected', `GitHub refused to ${where} (${status} ${said})`, {
      cause,
    });
  }
}

interface OctokitRequestError extends Error {
  status: number;
  response?: { data?: unknown; headers: Record<string, string | number | undefined> };
}

// Octokit's RequestError, recognised by shape: @octokit/request-error is not our dependency.
function isRequestError(e: unknown): e is OctokitRequestError {
  return e instanceof Error && typeof (e as OctokitRequestError).status === 'number' && 'request' in e;
}

/** At most `max` characters (code points), ending in … when cut. */
export function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;

/** `owner/name`, an https URL of the repository (optionally .git) or an ssh remote `git@host:owner/name.git`. */
export function parseRepository(s: string): { owner: string; repo: string } {
  const t = s.trim();
  let path = t;
  const ssh = /^(?:ssh:\/\/)?git@[^:/\s]+[:/](.+)$/.exec(t);
  if (ssh) path = ssh[1]!;
  else if (/^https?:\/\//i.test(t) && URL.canParse(t)) path = new URL(t).pathname;
  const parts = path
    .replace(/^\/+|\/+$/g, '')
    .replace(/\.git$/, '')
    .split('/');
  const [owner, repo] = parts;
  if (
    parts.length === 2 &&
    owner &&
    repo &&
    OWNER.test(owner) &&
    REPO.test(repo) &&
    repo !== '.' &&
    repo !== '..'
  ) {
    return { owner, repo };
  }
  throw new InputError('config/github-repository', `"${scrub(t)}" does not name a GitHub repository`, {
    expected: 'owner/name or https://github.com/owner/name',
  });
}
