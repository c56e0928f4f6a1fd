// A real git smart-HTTP server for tests: node:http on 127.0.0.1 running `git http-backend` as CGI, plus helpers to
// make bare repos and push commits to them with the git CLI.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface GitHttpServerOptions {
  /** Directory holding the bare repositories (GIT_PROJECT_ROOT). */
  root: string;
  /** When set, every request must carry `Authorization: Basic base64(username:token)`, else 401. */
  token?: string;
  username?: string;
  /** Port to listen on (default 0: any free port; a restart reuses the port first bound). */
  port?: number;
  /** Refuse pushes with 403, as GitHub does for a token without contents: write. */
  readOnly?: boolean;
}

export interface GitHttpServer {
  url(repoName: string): string;
  readonly port: number;
  /** Requests received since the server was created (across restarts). */
  readonly requests: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Environment for git processes run by tests: no inherited GIT_* (a test run inside a git hook has GIT_DIR set), no
 * user or system config, so results do not depend on the machine. */
export function cleanGitEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('GIT_')) env[k] = v;
  return { ...env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C', ...extra };
}

function httpBackendPath(): string {
  const execPath = execFileSync('git', ['--exec-path'], { encoding: 'utf8', env: cleanGitEnv() }).trim();
  return join(execPath, 'git-http-backend');
}

export async function startGitHttpServer(opts: GitHttpServerOptions): Promise<GitHttpServer> {
  const backend = httpBackendPath();
  const expectedAuth =
    opts.token === undefined
      ? undefined
      : `Basic ${Buffer.from(`${opts.username ?? 'x-access-token'}:${opts.token}`).toString('base64')}`;
  const children = new Set<ChildProcess>();
  let requests = 0;
  let port = opts.port ?? 0;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requests++;
    if (expectedAuth !== undefined && req.headers.authorization !== expectedAuth) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (
      opts.readOnly &&
      (url.pathname.endsWith('/git-receive-pack') || url.search.includes('git-receive-pack'))
    ) {
      res.writeHead(403, { 'Content-Type': 'text/plain' });
      res.end('Permission to acme/platform.git denied to ringlock-bot.\n');
      return;
    }
    const env: Record<string, string> = {
      ...cleanGitEnv(),
      GIT_PROJECT_ROOT: opts.root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      REMOTE_USER: expectedAuth === undefined ? '' : (opts.username ?? 'x-access-token'),
    };
    // Without CONTENT_LENGTH http-backend reads the body to EOF, which is what a chunked request needs.
    if (req.headers['content-length'] !== undefined) env.CONTENT_LENGTH = req.headers['content-length'];
    if (req.headers['content-encoding'] !== undefined)
      env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
    const protocol = req.headers['git-protocol'];
    if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol;

    const child = spawn(backend, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    child.on('close', () => children.delete(child));
    child.stdin.on('error', () => {}); // the backend may exit before reading the whole body
    child.stderr.resume();
    req.pipe(child.stdin);

    let head = Buffer.alloc(0);
    let headersSent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const crlf = head.indexOf('\r\n\r\n');
      const lf = head.indexOf('\n\n');
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
      if (end < 0) return;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      headersSent = true;
      res.write(head.subarray(end));
    });
    child.on('close', (code) => {
      if (!headersSent) {
        res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end(`git http-backend exited with ${code} before sending headers\n`);
      } else res.end();
    });
    res.on('close', () => {
      if (child.exitCode === null) child.kill();
    });
  };

  const server = createServer(handle);
  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      if (server.listening) return resolve();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      for (const c of children) c.kill();
      server.close(() => resolve());
      // Keep-alive sockets (isomorphic-git's agent) would otherwise keep the server open.
      server.closeAllConnections();
    });
  await start();
  return {
    url: (repoName) => `http://127.0.0.1:${port}/${repoName}`,
    get port() {
      return port;
    },
    get requests() {
      return requests;
    },
    stop,
    start,
  };
}

/** Creates an empty bare repo `root/name` (default branch main) and returns its path. */
export function makeBareRepo(root: string, name: string): string {
  const path = join(root, name);
  execFileSync('git', ['init', '--bare', '-q', '--initial-branch=main', path], { env: cleanGitEnv() });
  execFileSync('git', ['config', 'http.receivepack', 'true'], { cwd: path, env: cleanGitEnv() });
  return path;
}

/** Content of a file, or a symlink `{ symlink: target }`, or null to delete the path. */
export type WorkTree = Record<string, string | { symlink: string } | null>;

/**
 * A working clone that pushes to a bare repo by path. Pushing by path (not through the HTTP server) matters: the
 * git CLI runs synchronously here, and the server lives in the test's own event loop.
 */
export class WorkClone {
  readonly dir: string;
  private tick = 0;

  constructor(
    readonly barePath: string,
    readonly branch = 'main',
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'ringlock-work-'));
    this.git('init', '-q', `--initial-branch=${branch}`);
    this.git('remote', 'add', 'origin', barePath);
  }

  git(...args: string[]): string {
    // Fixed identities and a date that advances per commit: the same script gives the same commit ids.
    const date = `${1_700_000_000 + this.tick * 60} +0000`;
    return execFileSync('git', args, {
      cwd: this.dir,
      encoding: 'utf8',
      env: cleanGitEnv({
        GIT_AUTHOR_NAME: 'Test Author',
        GIT_AUTHOR_EMAIL: 'author@example.test',
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_NAME: 'Test Committer',
        GIT_COMMITTER_EMAIL: 'committer@example.test',
        GIT_COMMITTER_DATE: date,
      }),
    }).trim();
  }

  write(tree: WorkTree): void {
    for (const [rel, value] of Object.entries(tree)) {
      const abs = join(this.dir, rel);
      rmSync(abs, { recursive: true, force: true });
      if (value === null) continue;
      mkdirSync(dirname(abs), { recursive: true });
      if (typeof value === 'string') writeFileSync(abs, value);
      else symlinkSync(value.symlink, abs);
    }
  }

  /** Writes `tree`, commits everything and returns the new commit id. */
  commit(tree: WorkTree, message = 'change'): string {
    this.write(tree);
    this.tick++;
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  push(): void {
    this.git('push', '-q', 'origin', `HEAD:refs/heads/${this.branch}`);
  }

  /** Drops the last commit, commits `tree` instead and force-pushes: the branch's old tip is no longer on it. */
  forcePush(tree: WorkTree, message = 'rewrite'): string {
    this.git('reset', '-q', '--hard', 'HEAD~1');
    const sha = this.commit(tree, message);
    this.git('push', '-q', '--force', 'origin', `HEAD:refs/heads/${this.branch}`);
    return sha;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Deletes a branch in a bare repo, as a remote whose branch was removed. */
export function deleteBranch(barePath: string, branch: string): void {
  execFileSync('git', ['update-ref', '-d', `refs/heads/${branch}`], { cwd: barePath, env: cleanGitEnv() });
}
