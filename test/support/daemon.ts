// The daemon as a child process for end-to-end tests: a fixture platform made into a git repository served over real
// smart HTTP, the real `ringlock daemon` watching it, and helpers to push, sign webhooks and wait on /status.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { DaemonStatus } from '../../src/daemon/status.js';
import { HOOK_ENV, type ModuleSpec, type Platform, RING } from '../fixtures-platform.js';
import { BIN } from '../helpers.js';
import { cleanGitEnv, type GitHttpServer, makeBareRepo, startGitHttpServer } from './git-http-server.js';

/** How long a wait on the daemon may take: generous, as files and their tests run side by side on two cores. */
export const DEADLINE_MS = 45_000;

export const SECRETS = {
  webhook: `whsec-${randomBytes(12).toString('hex')}`,
  api: `api-${randomBytes(12).toString('hex')}`,
  git: `ghs_${randomBytes(16).toString('hex')}`,
};

/** Runs git in the platform repo with fixed identities. */
export function gitIn(dir: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: cleanGitEnv({
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 't@example.test',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 't@example.test',
    }),
  }).trim();
}

export interface Remote {
  server: GitHttpServer;
  bare: string;
  url: string;
  /** Commits everything in the platform repo and pushes it; returns the commit. */
  push(message?: string): string;
  close(): Promise<void>;
}

/** Makes `p.repo` a git repository whose remote is a bare repo served over smart HTTP (optionally token-protected). */
export async function serveRepo(p: Platform, opts: { token?: string } = {}): Promise<Remote> {
  const gitRoot = join(p.root, 'git-server');
  // Served as acme/platform.git, the repository pushEvent() names (the daemon ignores pushes for other repositories).
  const bare = makeBareRepo(gitRoot, 'acme/platform.git');
  gitIn(p.repo, 'init', '-q', '--initial-branch=main');
  gitIn(p.repo, 'remote', 'add', 'origin', bare);
  const server = await startGitHttpServer({ root: gitRoot, token: opts.token });
  const push = (message = 'change') => {
    gitIn(p.repo, 'add', '-A');
    gitIn(p.repo, 'commit', '-q', '--allow-empty', '-m', message);
    gitIn(p.repo, 'push', '-q', '--force', 'origin', 'HEAD:refs/heads/main');
    return gitIn(p.repo, 'rev-parse', 'HEAD');
  };
  push('initial');
  return { server, bare, url: server.url('acme/platform.git'), push, close: () => server.stop() };
}

/** Bumps a module in the sources, locks and publishes it (the real CLI), ready to push. */
export async function bump(p: Platform, name: string, spec: ModuleSpec): Promise<void> {
  p.writeModule(name, spec);
  await p.release([name]);
}

export interface DaemonProcess {
  child: ChildProcess;
  base: string;
  /** Everything it printed so far (stdout JSON logs + stderr). */
  output(): string;
  logLines(): Record<string, unknown>[];
  status(): Promise<DaemonStatus>;
  get(path: string): Promise<{ status: number; text: string }>;
  post(
    path: string,
    body: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; text: string }>;
  /** A push webhook signed with the daemon's secret (or `secret`). */
  webhook(
    body: unknown,
    opts?: { event?: string; secret?: string | null; signature?: string; delivery?: string },
  ): Promise<{ status: number; text: string }>;
  until(what: string, ok: (s: DaemonStatus) => boolean, timeoutMs?: number): Promise<DaemonStatus>;
  /** SIGTERM and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface DaemonStart {
  repo: string;
  driver?: 'native' | 'isomorphic';
  /** Reconcile schedule; default: yearly, so only webhooks and /reconcile trigger runs. */
  schedule?: string;
  args?: string[];
  env?: Record<string, string | undefined>;
  /** Runs `node` under this command line (e.g. `unshare … tini --`): the child is then its first word. */
  wrapper?: string[];
}

export async function startDaemon(p: Platform, o: DaemonStart): Promise<DaemonProcess> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('RINGLOCK_') && !k.startsWith('GIT_')) env[k] = v;
  Object.assign(env, {
    NO_COLOR: '1',
    LOG_LEVEL: 'debug',
    RINGLOCK_WEBHOOK_SECRET: SECRETS.webhook,
    RINGLOCK_API_TOKEN: SECRETS.api,
    RL_HOOK_OUT: p.out,
    RINGLOCK_MODULE_ENV: HOOK_ENV,
  });
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const args = [
    BIN,
    'daemon',
    '--ring',
    RING,
    '--repo',
    o.repo,
    '--git-driver',
    o.driver ?? 'native',
    '--target',
    p.target,
    '--registry',
    p.registry,
    '--cache-dir',
    join(p.root, 'git-cache'),
    '--listen',
    '127.0.0.1:0',
    '--schedule',
    o.schedule ?? '0 0 1 1 *',
    '--max-backoff',
    '2s',
    ...(o.args ?? []),
  ];
  const [command, ...before] = [...(o.wrapper ?? []), process.execPath];
  const child = spawn(command!, [...before, ...args], {
    cwd: p.root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('close', (code, signal) => r({ code, signal })),
  );
  const base = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`daemon did not start:\n${err}\n${out}`)), DEADLINE_MS);
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString('utf8');
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    void exited.then((e) =>
      reject(new Error(`daemon exited (${e.code ?? e.signal}) before listening:\n${err}\n${out}`)),
    );
  });
  const request = async (
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ) => {
    const r = await fetch(`${base}${path}`, { method, body, headers });
    return { status: r.status, text: await r.text() };
  };
  const d: DaemonProcess = {
    child,
    base,
    exited,
    output: () => `${out}\n${err}`,
    logLines: () =>
      out
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    status: async () => JSON.parse((await request('GET', '/status')).text) as DaemonStatus,
    get: (path) => request('GET', path),
    post: (path, body, headers) => request('POST', path, body, headers),
    webhook: (body, opts = {}) => {
      const text = JSON.stringify(body);
      const secret = opts.secret === undefined ? SECRETS.webhook : opts.secret;
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-github-event': opts.event ?? 'push',
        'x-github-delivery': opts.delivery ?? randomBytes(8).toString('hex'),
      };
      if (opts.signature !== undefined) headers['x-hub-signature-256'] = opts.signature;
      else if (secret !== null)
        headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', secret).update(text).digest('hex')}`;
      return request('POST', '/hooks/github', text, headers);
    },
    until: async (what, ok, timeoutMs = DEADLINE_MS) => {
      const end = Date.now() + timeoutMs;
      let last: DaemonStatus | undefined;
      for (;;) {
        if (child.exitCode !== null)
          throw new Error(`daemon exited while waiting for ${what}:\n${d.output()}`);
        last = await d.status();
        if (ok(last)) return last;
        if (Date.now() > end)
          throw new Error(
            `timed out waiting for ${what}:\n${JSON.stringify(last, null, 2)}\n${d.output().slice(-4000)}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  return d;
}

/** `{ref, after}` as GitHub sends for a push to main. */
export const pushEvent = (commit: string, ref = 'refs/heads/main') => ({
  ref,
  after: commit,
  repository: { full_name: 'acme/platform' },
});

/** A webhook body signed with the daemon's secret, as GitHub signs it. */
export const sign = (text: string, secret = SECRETS.webhook) =>
  `sha256=${createHmac('sha256', secret).update(text).digest('hex')}`;

/** Resident and peak resident memory of a process in bytes (VmRSS, VmHWM of /proc/<pid>/status). */
export function memory(pid: number): { rss: number; peak: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/**
 * POSTs a body of `size` bytes, streamed in 1 MiB pieces (the test holds one piece, not the body). Resolves with the
 * status of the answer, or 'reset' when the server closed the connection before one was read.
 */
export function postLarge(
  base: string,
  path: string,
  size: number,
  headers: Record<string, string> = {},
): Promise<number | 'reset'> {
  const piece = Buffer.alloc(1024 * 1024, 0x61);
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: number | 'reset') => {
      if (done) return;
      done = true;
      resolve(v);
    };
    const req = httpRequest(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(size), ...headers },
      agent: false,
    });
    req.on('response', (res) => {
      finish(res.statusCode ?? 0);
      res.resume();
      req.destroy();
    });
    req.on('error', () => finish('reset'));
    let sent = 0;
    const write = () => {
      while (sent < size && !done) {
        const n = Math.min(piece.length, size - sent);
        sent += n;
        if (!req.write(n === piece.length ? piece : piece.subarray(0, n))) {
          req.once('drain', write);
          return;
        }
      }
      if (!done) req.end();
    };
    write();
  });
}
