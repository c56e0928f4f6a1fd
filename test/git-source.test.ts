// Both git drivers against a real git smart-HTTP server on 127.0.0.1: clone, fetch, force-push, symlinks, outages,
// auth, restarts and a corrupt cache.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError, RinglockError, TransientError } from '../src/errors.js';
import { createGitSource, parseGitDriver } from '../src/git/index.js';
import type { GitDriverName, GitSource, GitSourceOptions } from '../src/git/types.js';
import { testdir } from './helpers.js';
import {
  deleteBranch,
  type GitHttpServer,
  makeBareRepo,
  startGitHttpServer,
  WorkClone,
} from './support/git-http-server.js';

const TOKEN = 'ghs_s3cretTok3nValue42';

async function failure(p: Promise<unknown>): Promise<RinglockError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RinglockError) return e;
    throw e;
  }
  throw new Error('expected a RinglockError');
}

/** Every regular file under `dir`. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

describe.each(['native', 'isomorphic'] as const)('%s git source', (driver: GitDriverName) => {
  let root: string;
  let bare: string;
  let work: WorkClone;
  let first: string;
  const servers: GitHttpServer[] = [];
  const sources: GitSource[] = [];
  const cleanups: (() => void)[] = [];

  async function server(opts: { token?: string; port?: number } = {}): Promise<GitHttpServer> {
    const s = await startGitHttpServer({ root, ...opts });
    servers.push(s);
    return s;
  }
  async function source(opts: Partial<GitSourceOptions> & { url: string }): Promise<GitSource> {
    const s = await createGitSource(driver, { branch: 'main', cacheDir: join(root, 'cache'), ...opts });
    sources.push(s);
    return s;
  }

  beforeEach(() => {
    root = testdir();
    bare = makeBareRepo(root, 'app.git');
    work = new WorkClone(bare);
    cleanups.push(() => work.dispose());
    first = work.commit({
      'ringlock.yaml': 'apiVersion: ringlock/v1\n',
      'rings/stable.json': '{"ring":"stable"}\n',
      'current.json': { symlink: 'rings/stable.json' },
      latest: { symlink: 'rings' },
      'hop1.json': { symlink: 'current.json' },
      'escape.json': { symlink: '../../etc/passwd' },
      'nested/escape.json': { symlink: '../../outside' },
      'absolute.json': { symlink: '/etc/passwd' },
      'loop-a': { symlink: 'loop-b' },
      'loop-b': { symlink: 'loop-a' },
      'dangling.json': { symlink: 'nope.json' },
    });
    work.push();
  });

  afterEach(async () => {
    for (const s of sources.splice(0)) await s.close();
    for (const s of servers.splice(0)) await s.stop();
    for (const c of cleanups.splice(0)) c();
  });

  it('clones on the first sync and reads files at the commit, never a missing one', async () => {
    const srv = await server();
    const src = await source({ url: srv.url('app.git') });
    const r = await src.sync();
    // The tip's subject line: the reason the daemon's history records for what it applies from it.
    expect(r).toMatchObject({ commit: first, forced: false, subject: 'change' });
    expect(r.previous).toBeUndefined();
    expect(r.fetchMs).toBeGreaterThanOrEqual(0);
    expect(await src.readFile(first, 'ringlock.yaml')).toBe('apiVersion: ringlock/v1\n');
    expect(await src.readFile(first, './rings//stable.json')).toBe('{"ring":"stable"}\n');
    expect(await src.readFile(first, 'missing.yaml')).toBeUndefined();
    expect(await src.readFile(first, 'ringlock.yaml/below')).toBeUndefined();
    expect(await src.readFile(first, 'rings/missing.json')).toBeUndefined();
  });

  it('refuses directories, bad paths, unknown commits and files over maxBytes', async () => {
    const src = await source({ url: (await server()).url('app.git') });
    await src.sync();
    expect(await failure(src.readFile(first, 'rings'))).toMatchObject({ code: 'git/not-a-file' });
    expect(await failure(src.readFile(first, '../x'))).toMatchObject({ code: 'git/bad-path' });
    expect(await failure(src.readFile(first, '/etc/passwd'))).toMatchObject({ code: 'git/bad-path' });
    expect(await failure(src.readFile('0'.repeat(40), 'ringlock.yaml'))).toMatchObject({
      code: 'git/unknown-commit',
    });
    expect(await failure(src.readFile('HEAD', 'ringlock.yaml'))).toBeInstanceOf(InputError);
    expect(await failure(src.readFile(first, 'ringlock.yaml', 4))).toMatchObject({ code: 'file/too-large' });
  });

  it('follows in-repo symlinks and refuses ones leading outside the repository', async () => {
    const src = await source({ url: (await server()).url('app.git') });
    await src.sync();
    expect(await src.readFile(first, 'current.json')).toBe('{"ring":"stable"}\n');
    expect(await src.readFile(first, 'hop1.json')).toBe('{"ring":"stable"}\n');
    expect(await src.readFile(first, 'latest/stable.json')).toBe('{"ring":"stable"}\n');
    expect(await src.readFile(first, 'dangling.json')).toBeUndefined();
    for (const [path, target] of [
      ['escape.json', '../../etc/passwd'],
      ['nested/escape.json', '../../outside'],
      ['absolute.json', '/etc/passwd'],
    ] as const) {
      const e = await failure(src.readFile(first, path));
      expect(e).toBeInstanceOf(InputError);
      expect(e.code).toBe('git/symlink');
      expect(e.message).toContain(path);
      expect(e.message).toContain(target);
    }
    expect(await failure(src.readFile(first, 'loop-a'))).toMatchObject({ code: 'git/symlink' });
  });

  it('picks up a new commit on the next sync and still reads the old one', async () => {
    const src = await source({ url: (await server()).url('app.git') });
    await src.sync();
    const second = work.commit({ 'ringlock.yaml': 'apiVersion: ringlock/v2\n' });
    work.push();
    const r = await src.sync();
    expect(r).toMatchObject({ commit: second, previous: first, forced: false });
    expect(await src.readFile(second, 'ringlock.yaml')).toBe('apiVersion: ringlock/v2\n');
    expect(await src.readFile(first, 'ringlock.yaml')).toBe('apiVersion: ringlock/v1\n');
    expect(await src.sync()).toMatchObject({ commit: second, previous: second, forced: false });
  });

  it('follows a force-push: the new tip wins', async () => {
    const src = await source({ url: (await server()).url('app.git') });
    await src.sync();
    const second = work.commit({ 'ringlock.yaml': 'v2\n' });
    work.push();
    await src.sync();
    const rewritten = work.forcePush({ 'ringlock.yaml': 'v2-rewritten\n' });
    const r = await src.sync();
    expect(r).toMatchObject({ commit: rewritten, previous: second, forced: true });
    expect(await src.readFile(rewritten, 'ringlock.yaml')).toBe('v2-rewritten\n');
  });

  it('reports a stopped server as transient and recovers when it is back on the same port', async () => {
    const srv = await server();
    const port = srv.port;
    const src = await source({ url: srv.url('app.git') });
    await src.sync();
    await srv.stop();
    const e = await failure(src.sync());
    expect(e).toBeInstanceOf(TransientError);
    expect(e.code).toBe('git/unreachable');
    const second = work.commit({ 'ringlock.yaml': 'after outage\n' });
    work.push();
    await srv.start();
    expect(srv.port).toBe(port);
    expect(await src.sync()).toMatchObject({ commit: second, previous: first });
  });

  it('authenticates with the token and never shows it', async () => {
    const srv = await server({ token: TOKEN });
    const url = srv.url('app.git');
    const ok = await source({ url, token: TOKEN });
    expect((await ok.sync()).commit).toBe(first);
    expect(await ok.readFile(first, 'ringlock.yaml')).toBe('apiVersion: ringlock/v1\n');

    const wrongToken = `${TOKEN}-wrong`;
    const errors = [
      await failure((await source({ url, token: wrongToken, cacheDir: join(root, 'c2') })).sync()),
      await failure((await source({ url, cacheDir: join(root, 'c3') })).sync()),
      await failure(
        (
          await source({ url: url.replace('://', `://user:${wrongToken}@`), cacheDir: join(root, 'c4') })
        ).sync(),
      ),
    ];
    for (const e of errors) {
      expect(e).toBeInstanceOf(InputError);
      expect(e.code).toBe('git/auth');
      expect(e.expected).toContain('read access');
      const seen = [
        e.message,
        String(e.stack),
        (e.cause as Error | undefined)?.message,
        String(e.cause),
      ].join('\n');
      expect(seen).not.toContain(TOKEN);
      expect(seen).not.toContain(Buffer.from(`x-access-token:${wrongToken}`).toString('base64'));
      expect(seen).not.toContain('user:');
    }
    // The clone's config (and everything else the drivers wrote) holds neither token.
    const written = files(join(root, 'cache'));
    expect(written.some((f) => f.endsWith('/config'))).toBe(true);
    for (const dir of ['c2', 'c3', 'c4'])
      if (existsSync(join(root, dir))) written.push(...files(join(root, dir)));
    for (const f of written) expect(readFileSync(f).includes(TOKEN), f).toBe(false);
  });

  it('says which branch is missing, on the first clone and after the branch is deleted', async () => {
    const url = (await server()).url('app.git');
    const e = await failure((await source({ url, branch: 'nope' })).sync());
    expect(e).toBeInstanceOf(InputError);
    expect(e.code).toBe('git/branch-not-found');
    expect(e.message).toContain('nope');

    const src = await source({ url, cacheDir: join(root, 'c2') });
    await src.sync();
    deleteBranch(bare, 'main');
    expect(await failure(src.sync())).toMatchObject({ code: 'git/branch-not-found' });
  });

  it('reports a URL that is no git repository', async () => {
    const e = await failure((await source({ url: (await server()).url('none.git') })).sync());
    expect(e).toMatchObject({ code: 'git/bad-url' });
  });

  it('reuses the clone after a restart and reports the tip it had as previous', async () => {
    const url = (await server()).url('app.git');
    const cacheDir = join(root, 'cache');
    const before = await source({ url });
    await before.sync();
    await before.close();
    const inodes = () =>
      Object.fromEntries(readdirSync(cacheDir).map((n) => [n, statSync(join(cacheDir, n)).ino]));
    const kept = inodes();
    const second = work.commit({ 'ringlock.yaml': 'v2\n' });
    work.push();
    const after = await source({ url });
    expect(await after.sync()).toMatchObject({ commit: second, previous: first, forced: false });
    // A re-clone would have renamed a fresh directory into place.
    expect(inodes()).toEqual(kept);
    expect(await after.readFile(first, 'ringlock.yaml')).toBe('apiVersion: ringlock/v1\n');
  });

  it.each([
    ['every file', (_f: string) => true],
    ['the object store', (f: string) => f.includes('/objects/')],
  ])('re-clones cleanly when %s of the cache is garbage', async (_what, pick) => {
    const url = (await server()).url('app.git');
    const cacheDir = join(root, 'cache');
    await (await source({ url })).sync();
    for (const f of files(cacheDir).filter(pick)) writeFileSync(f, 'garbage\0garbage');
    writeFileSync(join(cacheDir, 'junk.bin'), 'garbage');
    const src = await source({ url });
    expect(await src.sync()).toMatchObject({ commit: first });
    expect(await src.readFile(first, 'ringlock.yaml')).toBe('apiVersion: ringlock/v1\n');
  });

  it('re-clones when the cache holds another branch', async () => {
    work.git('branch', 'other');
    work.git('push', '-q', 'origin', 'other');
    const moved = work.commit({ 'ringlock.yaml': 'main moved on\n' });
    work.push();
    const url = (await server()).url('app.git');
    expect(await (await source({ url, branch: 'other' })).sync()).toMatchObject({ commit: first });
    const r = await (await source({ url })).sync();
    expect(r).toMatchObject({ commit: moved, forced: false });
    expect(r.previous).toBeUndefined();
  });

  it('gives up at the deadline on a remote that never answers', async () => {
    const sockets = new Set<Socket>();
    const hole: Server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      hole.close();
    });
    const port = (hole.address() as { port: number }).port;
    const src = await source({ url: `http://127.0.0.1:${port}/app.git`, timeoutMs: 1_000 });
    const e = await failure(src.sync());
    expect(e).toBeInstanceOf(TransientError);
    expect(e.code).toBe('git/timeout');
  });
});

describe('driver names', () => {
  it('parses native and isomorphic, and refuses anything else', () => {
    expect(parseGitDriver('native')).toBe('native');
    expect(parseGitDriver('isomorphic')).toBe('isomorphic');
    expect(() => parseGitDriver('libgit2')).toThrow(InputError);
  });
});
