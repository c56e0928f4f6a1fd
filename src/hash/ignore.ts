// What the content hash leaves out: build output, dependency folders, lock files, plus the module's .ringlockignore.
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { readTextFile } from '../source/files.js';

export const IGNORE_FILE = '.ringlockignore';

/** gitignore syntax, matched against paths relative to the module root. */
export const DEFAULT_EXCLUDES: readonly string[] = [
  'node_modules/',
  'vendor/',
  '.git',
  'dist/',
  'build/',
  '.next/',
  '.cache/',
  'coverage/',
  '/storage/framework/',
  '/storage/logs/',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lock',
  'bun.lockb',
  'composer.lock',
  '.DS_Store',
];

export interface Excluder {
  /** `rel` uses '/' separators; directories are asked with `isDir` true. */
  excluded(rel: string, isDir: boolean): boolean;
}

export function excluderFor(root: string, display: string): Excluder {
  let extra: string | undefined;
  const file = join(root, IGNORE_FILE);
  if (existsSync(file) || isLink(file)) {
    // Never follow a link, never block on a FIFO, never read an unbounded file: it is input like any other.
    extra = readTextFile(file, `${display}/${IGNORE_FILE}`, {
      noFollow: true,
      maxBytes: 64 * 1024,
      what: 'ignore file',
    });
  }
  return excluderFromText(extra);
}

/** The default excludes plus a module's own `.ringlockignore` text (for trees read from git rather than disk). */
export function excluderFromText(extra: string | undefined): Excluder {
  const ig: Ignore = ignore().add(DEFAULT_EXCLUDES as string[]);
  if (extra !== undefined) ig.add(extra);
  return { excluded: (rel, isDir) => ig.ignores(isDir ? `${rel}/` : rel) };
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
