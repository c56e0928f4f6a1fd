// What both git drivers share: option checks, credentials, reading a path at a commit (symlinks resolved inside the
// repository), force-push detection, the cache dir's layout and swap, and error translation without secrets.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, type RinglockError, TransientError } from '../errors.js';
import { moveSync } from '../fsutil/move.js';
import { redact, userinfoOf, withoutUserinfo } from '../redact.js';
import type { GitDriverName, GitSourceOptions } from './types.js';

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const MAX_SYMLINK_HOPS = 8;
const AUTH_EXPECTED = 'a token with read access to the repository (contents: read)';

/** The options, checked, with credentials taken out of the URL so that it can be stored and printed. */
export interface ResolvedSource {
  url: string;
  branch: string;
  cacheDir: string;
  timeoutMs: number;
  auth?: { username: string; password: string };
  /** Strings that must never appear in a message: the token and the basic-auth header value made from it. */
  secrets: string[];
}

export function resolveOptions(opts: GitSourceOptions): ResolvedSource {
  const display = redact(opts.url);
  // A leading '-' would be read as an option by git; `ext::`-style transports run commands.
  if (opts.url.startsWith('-') || /^[a-z][a-z0-9+.-]*::/i.test(opts.url) || /[\0\n\r]/.test(opts.url))
    throw new InputError('git/bad-url', `"${display}" is not a git URL ringlock can fetch`, {
      expected: 'an https:// URL, or a local path / file:// URL',
    });
  const branch = opts.branch;
  // git check-ref-format's rules, for one branch name.
  const badBranch =
    /(^[-/.]|\/\.|[/.]$|\.lock$|\.\.|\/\/|@\{|[\0-\x20\x7f~^:?*[\\])/.test(branch) || branch === '';
  if (badBranch)
    throw new InputError('git/bad-branch', `"${branch}" is not a valid branch name`, {
      expected: 'a branch name such as main or release/2.x',
    });
  let username = opts.username;
  let password = opts.token;
  const secrets: string[] = [];
  const userinfo = userinfoOf(opts.url);
  if (userinfo !== undefined) {
    // Credentials in the URL become the same basic auth as a token; the stored and printed URL has none.
    const colon = userinfo.indexOf(':');
    const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon));
    const pass = colon < 0 ? '' : decode(userinfo.slice(colon + 1));
    username ??= user || undefined;
    password ??= pass || undefined;
    secrets.push(userinfo, pass);
    // A user-only userinfo is often a token itself (https://TOKEN@host).
    if (colon < 0) secrets.push(user);
  }
  const auth = password ? { username: username ?? 'x-access-token', password } : undefined;
  if (auth) secrets.push(auth.password, basicAuthValue(auth));
  // A local path is stored in the clone's config, where a relative one would resolve against the clone itself.
  const isPath = !/^[a-z][a-z0-9+.-]*:\/\//i.test(opts.url) && !opts.url.includes(':');
  return {
    url: isPath ? resolve(opts.url) : withoutUserinfo(opts.url),
    branch,
    cacheDir: opts.cacheDir,
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(auth ? { auth } : {}),
    secrets: secrets.filter((x) => x.length > 0),
  };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function basicAuthValue(auth: { username: string; password: string }): string {
  return Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
}

// ---- reading a path at a commit ----

export interface TreeEntry {
  /** Git's octal mode: 100644/100755 file, 120000 symlink, 040000 tree, 160000 submodule. */
  mode: string;
  oid: string;
  /** Blob size, when the driver knows it without reading the blob. */
  size?: number;
}

/** The tree of one commit, as a driver reads it. */
export interface CommitTree {
  /** The entries found at each of `paths` (all prefixes of one path); a missing path is absent from the map. */
  lookup(paths: string[]): Promise<Map<string, TreeEntry>>;
  readBlob(oid: string): Promise<Buffer>;
}

export function checkCommitId(commit: string): void {
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(commit))
    throw new InputError('git/unknown-commit', `"${commit}" is not a commit id`, {
      expected: 'a full commit id (40 or 64 hex digits) returned by sync()',
    });
}

export function unknownCommit(commit: string): InputError {
  return new InputError('git/unknown-commit', `commit ${commit} is not in the local clone`, {
    expected: 'a commit returned by sync() (or still present in the cache)',
  });
}

/** The path split into segments; refuses what could name something outside the repository. */
export function splitRepoPath(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (path.startsWith('/') || path.includes('\0') || parts.includes('..') || parts.length === 0)
    throw new InputError('git/bad-path', `"${path}" is not a repository-relative file path`, {
      expected: "a '/'-separated path inside the repository, without '..' segments or a leading '/'",
    });
  return parts;
}

function prefixes(parts: string[]): string[] {
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** Reads `path` in `tree`: follows in-repo symlinks (also ones in the middle of the path), at most 8 hops. */
export async function readPath(
  tree: CommitTree,
  path: string,
  maxBytes = DEFAULT_MAX_BYTES,
): Promise<string | undefined> {
  let parts = splitRepoPath(path);
  for (let hops = 0; ; hops++) {
    const found = await tree.lookup(prefixes(parts));
    let next: string[] | undefined;
    for (let i = 0; i < parts.length; i++) {
      const here = parts.slice(0, i + 1).join('/');
      const entry = found.get(here);
      if (entry === undefined) return undefined;
      const last = i === parts.length - 1;
      if (entry.mode === '120000') {
        if (hops >= MAX_SYMLINK_HOPS)
          throw new InputError('git/symlink', `${path}: more than ${MAX_SYMLINK_HOPS} symlinks to follow`, {
            expected: 'a chain of at most 8 symlinks without a loop',
          });
        const target = (await tree.readBlob(entry.oid)).toString('utf8');
        next = [...symlinkTarget(path, here, target), ...parts.slice(i + 1)];
        break;
      }
      if (entry.mode === '160000')
        throw new InputError('git/not-a-file', `${path}: ${here} is a submodule, not a file`, {
          expected: 'a regular file tracked in the repository itself',
        });
      if (entry.mode.startsWith('04')) {
        if (!last) continue;
        throw new InputError('git/not-a-file', `${path} is a directory, not a file`, {
          expected: 'a regular file',
        });
      }
      if (!last) return undefined; // a file used as a directory: no such path
      if (entry.size !== undefined && entry.size > maxBytes) throw tooLarge(path, entry.size, maxBytes);
      const blob = await tree.readBlob(entry.oid);
      if (blob.length > maxBytes) throw tooLarge(path, blob.length, maxBytes);
      return blob.toString('utf8');
    }
    if (next === undefined) return undefined;
    if (next.length === 0)
      throw new InputError('git/not-a-file', `${path} resolves to the repository root, not a file`, {
        expected: 'a regular file',
      });
    parts = next;
  }
}

/** The repo-relative segments a symlink at `link` points to; refuses absolute targets and ones above the root. */
function symlinkTarget(path: string, link: string, target: string): string[] {
  const refuse = (why: string) =>
    new InputError('git/symlink', `${path}: ${link} is a symlink to "${target}", which ${why}`, {
      expected: 'a relative symlink to a file inside the repository',
    });
  if (target.startsWith('/') || target.includes('\0')) throw refuse('is an absolute path');
  const out = link.split('/').slice(0, -1);
  for (const seg of target.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) throw refuse('leads outside the repository');
      out.pop();
    } else out.push(seg);
  }
  return out;
}

function tooLarge(path: string, size: number, maxBytes: number): InputError {
  return new InputError('file/too-large', `${path} is ${size} bytes, more than the ${maxBytes} allowed`, {
    expected: `a file of at most ${maxBytes} bytes`,
  });
}

// ---- force-push detection ----

/**
 * Whether `next` is known not to descend from `previous`, walking raw parent ids (shallow grafts hide them from
 * git's own ancestry checks). Any commit missing from the cache, or a long walk, means "cannot tell": false.
 */
export async function isForced(
  previous: string | undefined,
  next: string,
  parentsOf: (oid: string) => Promise<string[] | undefined>,
): Promise<boolean> {
  if (previous === undefined || previous === next) return false;
  const seen = new Set<string>([next]);
  const queue = [next];
  while (queue.length > 0) {
    if (seen.size > 256) return false;
    const parents = await parentsOf(queue.shift()!);
    if (parents === undefined) return false;
    for (const p of parents) {
      if (p === previous) return false;
      if (!seen.has(p)) {
        seen.add(p);
        queue.push(p);
      }
    }
  }
  return true;
}

/** The first line of a raw commit object's message, bounded; undefined when it has none. */
export function commitSubject(rawCommit: string): string | undefined {
  const at = rawCommit.indexOf('\n\n');
  if (at < 0) return undefined;
  const line = rawCommit
    .slice(at + 2)
    .split('\n', 1)[0]!
    .trim();
  return line === '' ? undefined : line.slice(0, 500);
}

export function parseParents(rawCommit: string): string[] {
  const header = rawCommit.split('\n\n', 1)[0] ?? '';
  return [...header.matchAll(/^parent ([0-9a-f]+)$/gm)].map((m) => m[1]!);
}

// ---- the cache dir: one clone at <cacheDir>/repo.git, marked only once complete ----

const CLONE = 'repo.git';
const MARKER = 'ringlock-source.json';

export const clonePath = (cacheDir: string): string => join(cacheDir, CLONE);

interface Marker {
  driver: GitDriverName;
  url: string;
  branch: string;
}

/** Whether the clone in the cache dir was completed by this driver for this URL and branch. */
export function cloneMatches(cacheDir: string, want: Marker): boolean {
  try {
    const m = JSON.parse(readFileSync(join(clonePath(cacheDir), MARKER), 'utf8')) as Partial<Marker>;
    return m.driver === want.driver && m.url === want.url && m.branch === want.branch;
  } catch {
    return false;
  }
}

/** A fresh directory beside the clone, to clone into; leftovers of earlier crashes are removed first. */
export function freshCloneDir(cacheDir: string): string {
  for (const name of safeReaddir(cacheDir))
    if (name.startsWith(`${CLONE}.new-`) || name.startsWith(`${CLONE}.old-`))
      rmSync(join(cacheDir, name), { recursive: true, force: true });
  return join(cacheDir, `${CLONE}.new-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Marks the fresh clone complete and renames it into place. A crash at any point leaves no marked half clone. */
export function commitClone(cacheDir: string, fresh: string, marker: Marker): void {
  writeFileSync(join(fresh, MARKER), `${JSON.stringify(marker)}\n`);
  const live = clonePath(cacheDir);
  const old = `${live}.old-${randomBytes(4).toString('hex')}`;
  try {
    // The old clone is on its way out: where it cannot be renamed (an overlay's lower layer) it is deleted in place.
    moveSync(live, old, { discard: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  moveSync(fresh, live);
  rmSync(old, { recursive: true, force: true });
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

// ---- errors ----

export type FailureKind = 'unreachable' | 'timeout' | 'auth' | 'branch-not-found' | 'bad-url' | 'failed';

/** The ringlock error for a failed clone or fetch; `detail` and the cause are scrubbed of every secret. */
export function fetchError(
  kind: FailureKind,
  src: ResolvedSource,
  detail: string,
  cause?: unknown,
): RinglockError {
  const url = redact(src.url);
  const clean = (s: string) => redact(s, src.secrets).trim().split('\n').slice(-3).join(' ').slice(0, 500);
  const why = clean(detail);
  const options = cause === undefined ? {} : { cause: scrubbedCause(cause, src.secrets) };
  switch (kind) {
    case 'unreachable':
      return new TransientError('git/unreachable', `cannot reach the git remote ${url}: ${why}`, options);
    case 'timeout':
      return new TransientError(
        'git/timeout',
        `fetching ${src.branch} from ${url} did not finish within ${src.timeoutMs} ms`,
        options,
      );
    case 'auth':
      return new InputError(
        'git/auth',
        src.auth
          ? `the git remote ${url} refused the token: ${why}`
          : `the git remote ${url} needs authentication and no token was given: ${why}`,
        { ...options, expected: AUTH_EXPECTED },
      );
    case 'branch-not-found':
      return new InputError('git/branch-not-found', `branch "${src.branch}" does not exist on ${url}`, {
        ...options,
        expected: 'the name of an existing branch of the repository',
      });
    case 'bad-url':
      return new InputError('git/bad-url', `${url} is not a git repository ringlock can fetch: ${why}`, {
        ...options,
        expected: `the URL of an existing git repository, and ${AUTH_EXPECTED}`,
      });
    default:
      return new TransientError('git/failed', `fetching ${src.branch} from ${url} failed: ${why}`, options);
  }
}

/** Reading from the local clone failed for a reason other than the commit or path (an I/O error, a broken pack). */
export function readError(src: ResolvedSource, commit: string, path: string, cause: unknown): RinglockError {
  const why = redact(cause instanceof Error ? cause.message : String(cause), src.secrets)
    .trim()
    .slice(0, 500);
  return new TransientError(
    'git/read-failed',
    `reading ${path} at ${commit} from the local clone failed: ${why}`,
    {
      cause: scrubbedCause(cause, src.secrets),
    },
  );
}

/** A stand-in for a library error: its message scrubbed, and none of its other fields (which may hold headers). */
function scrubbedCause(cause: unknown, secrets: readonly string[]): Error {
  const message = cause instanceof Error ? cause.message : String(cause);
  const e = new Error(redact(message, secrets));
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === 'string') Object.assign(e, { code });
  return e;
}

/** The committer time (seconds since the epoch) of a raw commit object, or undefined. */
export function committerTime(rawCommit: string): number | undefined {
  const m = /^committer .* (\d+) [+-]\d{4}$/m.exec(rawCommit.split('\n\n')[0] ?? '');
  return m ? Number(m[1]) : undefined;
}
