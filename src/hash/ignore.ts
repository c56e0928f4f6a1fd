// What the content hash leaves out: build output, dependency folders, lock files, plus the module's .ringlockignore.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { InputError, isErrnoException } from '../errors.js';

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
  const ig: Ignore = ignore().add(DEFAULT_EXCLUDES as string[]);
  let extra: string | undefined;
  try {
    extra = readFileSync(join(root, IGNORE_FILE), 'utf8');
  } catch (e) {
    if (!(isErrnoException(e) && (e.code === 'ENOENT' || e.code === 'ENOTDIR'))) {
      throw new InputError(
        'hash/unreadable',
        `cannot be read (${isErrnoException(e) ? e.code : String(e)})`,
        {
          file: `${display}/${IGNORE_FILE}`,
          cause: e,
        },
      );
    }
  }
  if (extra !== undefined) ig.add(extra);
  return { excluded: (rel, isDir) => ig.ignores(isDir ? `${rel}/` : rel) };
}
