// The GitHub REST client every forge feature shares: Octokit with retries, throttling and a deadline per request,
// and the translation of Octokit's errors into ringlock's (the token never in a message). The only place that
// constructs an Octokit.
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { InputError, InternalError, RinglockError, TransientError } from '../errors.js';
import { redact } from '../redact.js';
import { VERSION } from '../version.js';

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

/** What a call needs, for messages when GitHub refuses it. */
export interface CallNeeds {
  /** The permission, as a user grants it: 'pull-requests: write'. */
  permission: string;
  /** Longer wording for `expected`, naming fine-grained and classic tokens. */
  expected?: string;
  /** What a 409 means for this call, and the error code to give it (default forge/conflict). */
  conflict?: string;
  conflictCode?: string;
  /** What a 422 usually means for this call. */
  invalid?: string;
}

const GitHubOctokit = Octokit.plugin(retry, throttling);
export type Client = InstanceType<typeof GitHubOctokit>;

/** Rate-limit waits longer than this are not worth holding the caller for. */
const MAX_RATE_LIMIT_WAIT_S = 60;
const RATE_LIMIT_RETRIES = 2;

export class GitHubClient {
  readonly octokit: Client;
  readonly owner: string;
  readonly repo: string;
  readonly repoName: string;

  constructor(
    private readonly opts: GitHubOptions,
    needs: CallNeeds,
  ) {
    if (!opts.token) {
      throw new InputError('forge/auth', 'no GitHub token was given', {
        expected: `a token with ${needs.expected ?? needs.permission}`,
      });
    }
    this.owner = opts.owner;
    this.repo = opts.repo;
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
      log?.[level]?.({ repository: this.repoName }, redact(String(msg), [opts.token]));
    this.octokit = new GitHubOctokit({
      auth: opts.token,
      baseUrl: opts.baseUrl?.replace(/\/+$/, ''),
      userAgent: opts.userAgent ?? `ringlock/${VERSION}`,
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

  /** Runs one request (or a few), translating what Octokit throws; `action` completes "could not …". */
  async call<T>(action: string, needs: CallNeeds, fn: (octokit: Client) => Promise<T>): Promise<T> {
    try {
      return await fn(this.octokit);
    } catch (e) {
      throw this.translate(e, action, needs);
    }
  }

  translate(e: unknown, action: string, needs: CallNeeds): RinglockError {
    if (e instanceof RinglockError) return e;
    const where = `${action} in ${this.repoName} on ${redact(this.opts.baseUrl ?? 'https://api.github.com')}`;
    const clean = (s: string) => redact(s, [this.opts.token]);
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
      // Fine-grained tokens and Apps: GitHub names the permission the call needed.
      const accepted = headers['x-accepted-github-permissions'];
      const named = typeof accepted === 'string' && accepted ? ` (GitHub says it accepts: ${accepted})` : '';
      return new InputError(
        'forge/permission',
        `GitHub refused to ${where} (${status} ${said})${hidden}: the token needs ${needs.permission} on ${this.repoName}${named}`,
        { expected: `a token with ${needs.expected ?? needs.permission}`, cause },
      );
    }
    if (status === 409) {
      const why = needs.conflict ? `: ${needs.conflict}` : '';
      return new InputError(
        needs.conflictCode ?? 'forge/conflict',
        `GitHub refused to ${where} (409 ${said})${why}`,
        {
          cause,
        },
      );
    }
    if (status === 422) {
      const errors = body?.errors?.length ? ` ${clean(JSON.stringify(body.errors))}` : '';
      return new InputError('forge/validation', `GitHub refused to ${where} (422 ${said})${errors}`, {
        ...(needs.invalid ? { expected: needs.invalid } : {}),
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
  throw new InputError('config/github-repository', `"${redact(t)}" does not name a GitHub repository`, {
    expected: 'owner/name or https://github.com/owner/name',
  });
}
