// The content hash (README "Content hash") of module trees as a commit holds them, read from git without a checkout:
// the same walk, excludes and entry lines as src/hash over a directory, so a tree read here hashes exactly like its
// checkout on disk (git keeps the executable bit and symlink targets, the only metadata the hash covers). Blobs are
// hashed once per object id, so a base and a head that share files share the work.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { InputError } from '../errors.js';
import { excluderFromText, IGNORE_FILE } from '../hash/ignore.js';
import { type HashedEntry, type TreeHash, treeDigest } from '../hash/tree-hash.js';
import { sortEntries } from '../hash/walk.js';
import { type BlobReader, git } from './cli.js';

export interface GitTreeEntry {
  mode: string;
  type: string;
  oid: string;
  /** Repo-relative path. */
  path: string;
}

/** Every entry (trees included) under the given repo-relative folders at `commit`, in one `git ls-tree`. */
export async function listTrees(
  repoDir: string,
  commit: string,
  dirs: readonly string[],
): Promise<GitTreeEntry[]> {
  if (dirs.length === 0) return [];
  const out = await git(['ls-tree', '-r', '-t', '-z', '--full-tree', commit, '--', ...dirs], {
    cwd: repoDir,
  });
  const entries: GitTreeEntry[] = [];
  for (const rec of out.split('\0')) {
    if (rec === '') continue;
    const tab = rec.indexOf('\t');
    const [mode, type, oid] = rec.slice(0, tab).split(' ');
    entries.push({ mode: mode!, type: type!, oid: oid!, path: rec.slice(tab + 1) });
  }
  return entries;
}

const IGNORE_MAX_BYTES = 64 * 1024;
/** Longer than any path a file system takes (PATH_MAX is 4096). */
const LINK_MAX_BYTES = 4096;

/** Hashes of blob contents by object id, shared across trees and commits. */
export type BlobDigestCache = Map<string, { hex: string; size: number }>;

/**
 * The content hash of each module folder `dir` (repo-relative) from the entries `listTrees` gave for it; a folder with
 * no entries is left out. A tree that cannot be hashed (a link leading outside the module, a submodule) gives the
 * InputError the walk on disk would give.
 */
export async function hashGitTrees(
  reader: BlobReader,
  entries: readonly GitTreeEntry[],
  dirs: readonly string[],
  cache: BlobDigestCache = new Map(),
): Promise<Map<string, TreeHash | InputError>> {
  const byDir = new Map<string, GitTreeEntry[]>(dirs.map((d) => [d, []]));
  for (const e of entries) {
    for (const d of ancestors(e.path)) {
      const list = byDir.get(d);
      if (list) {
        list.push(e);
        break;
      }
    }
  }
  const out = new Map<string, TreeHash | InputError>();
  for (const [dir, list] of byDir) {
    if (list.length === 0) continue;
    try {
      out.set(dir, await hashOne(reader, dir, list, cache));
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      out.set(dir, e);
    }
  }
  return out;
}

/** The folders above a path, nearest first: a/b/c → a/b, a. */
function* ancestors(path: string): Generator<string> {
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) yield path.slice(0, i);
}

async function hashOne(
  reader: BlobReader,
  dir: string,
  list: GitTreeEntry[],
  cache: BlobDigestCache,
): Promise<TreeHash> {
  const prefix = `${dir}/`;
  const rel = (e: GitTreeEntry) => e.path.slice(prefix.length);
  const fail = (code: string, path: string, msg: string): never => {
    throw new InputError(code, msg, { file: `${dir}/${path}` });
  };
  let ignoreText: string | undefined;
  const ignoreEntry = list.find((e) => rel(e) === IGNORE_FILE);
  if (ignoreEntry) {
    if (ignoreEntry.mode !== '100644' && ignoreEntry.mode !== '100755')
      fail('file/symlink', IGNORE_FILE, 'ignore file is a symlink loop, or a symlink where none is allowed');
    const obj = await reader.readCapped(ignoreEntry.oid, IGNORE_MAX_BYTES);
    if (obj && !obj.data)
      fail(
        'file/too-large',
        IGNORE_FILE,
        `ignore file is ${obj.size} bytes, larger than ${IGNORE_MAX_BYTES}`,
      );
    ignoreText = obj?.data?.toString('utf8');
  }
  const ex = excluderFromText(ignoreText);
  const pruned = new Set<string>();
  const kept: GitTreeEntry[] = [];
  const links = new Map<string, string>();
  for (const e of list) {
    const r = rel(e);
    if ([...ancestors(r)].some((a) => pruned.has(a))) continue;
    const name = r.slice(r.lastIndexOf('/') + 1);
    if (/[\n\r]/.test(name))
      fail('hash/bad-path', JSON.stringify(r), 'file names must not contain line breaks');
    if (e.type === 'tree') {
      if (ex.excluded(r, true)) pruned.add(r);
      continue;
    }
    if (e.mode === '160000') {
      if (!ex.excluded(r, true))
        fail('hash/submodule', r, 'is a git submodule; a module tree cannot contain one');
      continue;
    }
    if (ex.excluded(r, false)) continue;
    kept.push(e);
  }
  const hashed: HashedEntry[] = [];
  for (const e of kept) {
    const r = rel(e);
    let d = cache.get(e.oid);
    let linkTarget: string | undefined;
    if (e.mode === '120000') {
      // A link's target is a path: small, read whole.
      const obj = await reader.readCapped(e.oid, LINK_MAX_BYTES);
      if (!obj) fail('hash/unreadable', r, `object ${e.oid} is missing from the repository`);
      if (!obj!.data)
        fail('hash/symlink-target', r, `symlink target is ${obj!.size} bytes, longer than ${LINK_MAX_BYTES}`);
      d = { hex: createHash('sha256').update(obj!.data!).digest('hex'), size: obj!.size };
      cache.set(e.oid, d);
      linkTarget = obj!.data!.toString('utf8');
    } else if (!d) {
      // A file of any size is streamed through the hash, never held whole.
      const obj = await reader.hashObject(e.oid);
      if (!obj) fail('hash/unreadable', r, `object ${e.oid} is missing from the repository`);
      d = { hex: obj!.sha256, size: obj!.size };
      cache.set(e.oid, d);
    }
    if (e.mode === '120000') {
      const target = linkTarget!;
      const resolved = posix.normalize(posix.join(posix.dirname(r), target));
      if (target.startsWith('/') || resolved === '..' || resolved.startsWith('../'))
        fail('hash/symlink-escape', r, `symlink points outside the module (-> ${target})`);
      links.set(r, resolved);
      hashed.push({ path: r, mode: '120000', size: d.size, digest: d.hex });
    } else {
      hashed.push({ path: r, mode: e.mode === '100755' ? '100755' : '100644', size: d.size, digest: d.hex });
    }
  }
  // A chain of links that comes back to itself cannot be resolved on disk either.
  for (const [start] of links) {
    let at: string | undefined = start;
    for (let hops = 0; at !== undefined && hops <= links.size; hops++) at = links.get(at);
    if (at !== undefined) fail('hash/symlink-loop', start, `symlink loop (-> ${links.get(start)})`);
  }
  const entries = sortEntries(hashed);
  return {
    digest: treeDigest(entries),
    fileCount: entries.length,
    sizeBytes: entries.reduce((s, e) => s + (e.mode === '120000' ? 0 : e.size), 0),
    entries,
  };
}
