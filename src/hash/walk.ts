// The sorted walk of a module tree: regular files and symlinks, excluded paths pruned, nothing followed.
import { type Dirent, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { InputError, isErrnoException } from '../errors.js';
import { excluderFor } from './ignore.js';

export type EntryMode = '100644' | '100755' | '120000';

/** A walked entry: a regular file (mode and size are learnt when it is read) or a symlink. */
export interface WalkEntry {
  /** Relative path with '/' separators. */
  path: string;
  abs: string;
  /** The path shown in messages. */
  shown: string;
  kind: 'file' | 'symlink';
  /** The link target, for symlinks. */
  target?: string;
}

/** Walks `root` (a directory) and returns its entries sorted by the bytes of their UTF-8 relative path. */
export function walkTree(root: string, display: string): WalkEntry[] {
  const ex = excluderFor(root, display);
  const out: WalkEntry[] = [];
  const fail = (code: string, rel: string, msg: string, cause?: unknown): never => {
    throw new InputError(code, msg, { file: `${display}/${rel}`, cause });
  };
  const visit = (dirAbs: string, dirRel: string) => {
    let items: Dirent[];
    try {
      // Sorted, so that the first problem reported does not depend on directory order.
      items = readdirSync(dirAbs, { withFileTypes: true }).sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
    } catch (e) {
      const code = isErrnoException(e) ? e.code : undefined;
      if (dirRel === '' && code === 'ENOENT')
        throw new InputError('hash/not-found', 'no such directory', { file: display, cause: e });
      if (dirRel === '' && code === 'ENOTDIR')
        throw new InputError('hash/not-a-directory', 'not a directory', { file: display, cause: e });
      return fail(
        'hash/unreadable',
        dirRel || '.',
        `directory cannot be read (${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? String(e))})`,
        e,
      );
    }
    for (const d of items) {
      const rel = dirRel === '' ? d.name : `${dirRel}/${d.name}`;
      const abs = join(dirAbs, d.name);
      if (/[\n\r]/.test(d.name))
        fail('hash/bad-path', JSON.stringify(rel), 'file names must not contain line breaks');
      if (d.isDirectory()) {
        if (!ex.excluded(rel, true)) visit(abs, rel);
        continue;
      }
      if (ex.excluded(rel, false)) continue;
      if (d.isSymbolicLink()) {
        out.push({ ...symlinkEntry(abs, rel, fail), shown: `${display}/${rel}` });
      } else if (d.isFile()) {
        out.push({ path: rel, abs, shown: `${display}/${rel}`, kind: 'file' });
      } else {
        fail(
          'hash/special-file',
          rel,
          'is not a regular file, directory or symlink (FIFO, socket or device)',
        );
      }
    }
  };
  visit(root, '');
  return sortEntries(out);
}

function symlinkEntry(
  abs: string,
  rel: string,
  fail: (code: string, rel: string, msg: string, cause?: unknown) => never,
): WalkEntry {
  let target: string;
  try {
    target = readlinkSync(abs);
  } catch (e) {
    return fail(
      'hash/unreadable',
      rel,
      `symlink cannot be read (${isErrnoException(e) ? e.code : String(e)})`,
      e,
    );
  }
  // A link may point only inside the module: it is hashed as its target text and must mean the same wherever the module is deployed.
  const resolved = posix.normalize(posix.join(posix.dirname(rel), target));
  if (isAbsolute(target) || resolved === '..' || resolved.startsWith('../')) {
    fail('hash/symlink-escape', rel, `symlink points outside the module (-> ${target})`);
  }
  try {
    realpathSync(abs);
  } catch (e) {
    if (isErrnoException(e) && e.code === 'ELOOP')
      fail('hash/symlink-loop', rel, `symlink loop (-> ${target})`, e);
    // A dangling link inside the module is fine: it is hashed as its target text.
  }
  return { path: rel, abs, shown: rel, kind: 'symlink', target };
}

/** Byte order of the UTF-8 path (JavaScript's string order differs for characters beyond U+FFFF). */
export function sortEntries<T extends { path: string }>(entries: T[]): T[] {
  const ascii = entries.every((e) => !/[^\x00-\x7f]/.test(e.path));
  if (ascii) return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const keyed = entries.map((e) => ({ e, k: Buffer.from(e.path, 'utf8') }));
  keyed.sort((a, b) => Buffer.compare(a.k, b.k));
  return keyed.map((x) => x.e);
}
