// The seam under the workspace: the repository's files, from a directory on disk (src/source/dir-source.ts) or from a
// git commit (src/git/commit-source.ts). Readers are written once, as generators that yield what they want to read,
// and run synchronously over a directory (`readNow`) or asynchronously over a commit (`readLater`).
import { InternalError } from '../errors.js';

/** How much of a file a reader may read, and what the file is for messages ("ring lock", "config"). */
export interface ReadCap {
  maxBytes: number;
  what: string;
  /**
   * Answer undefined only when nothing is at the path; a path that cannot be reached (permissions, a link loop, a
   * file where a directory should be) throws what stops it. Without it a directory answers undefined for those too.
   */
  strict?: boolean;
}

export interface DirEntry {
  name: string;
  kind: 'file' | 'directory' | 'symlink' | 'other';
  /** For a symlink that leads to a directory: where it points (links are never followed). */
  linksToDirectory?: string;
}

type Awaitable<T> = T | Promise<T>;

/** What the config and lock readers need: text of repository-relative, '/'-separated paths. */
export interface TextSource {
  /**
   * The file's text; undefined when no such file exists. An oversized, non-regular or unreadable file throws an
   * InputError naming the path (its message is the implementation's: the directory says `${what} is N bytes…`).
   */
  readText(path: string, cap: ReadCap): Awaitable<string | undefined>;
}

/** A whole tree of files: what the workspace needs to find module sources. */
export interface FileSource extends TextSource {
  /**
   * Whether `path` exists. A directory answers for anything there, links followed (as `existsSync`); a commit
   * answers for a file (blob) only, which is all its callers ask about.
   */
  exists(path: string): Awaitable<boolean>;
  isDirectory(path: string): Awaitable<boolean>;
  /** The entries of a directory; undefined when it does not exist. Throws InputError file/unreadable otherwise. */
  list(path: string): Awaitable<DirEntry[] | undefined>;
}

/** One question a reader asks of its source. */
export type FileRequest =
  | { op: 'readText'; path: string; cap: ReadCap }
  | { op: 'exists'; path: string }
  | { op: 'isDirectory'; path: string }
  | { op: 'list'; path: string };

/** A reader: yields requests, receives their answers, returns what it read. */
export type Reading<T> = Generator<FileRequest, T, unknown>;

export function* readText(path: string, cap: ReadCap): Reading<string | undefined> {
  return (yield { op: 'readText', path, cap }) as string | undefined;
}

export function* exists(path: string): Reading<boolean> {
  return (yield { op: 'exists', path }) as boolean;
}

export function* isDirectory(path: string): Reading<boolean> {
  return (yield { op: 'isDirectory', path }) as boolean;
}

export function* list(path: string): Reading<DirEntry[] | undefined> {
  return (yield { op: 'list', path }) as DirEntry[] | undefined;
}

function ask(source: TextSource, req: FileRequest): Awaitable<unknown> {
  if (req.op === 'readText') return source.readText(req.path, req.cap);
  const fn = (source as Partial<FileSource>)[req.op] as ((path: string) => Awaitable<unknown>) | undefined;
  if (!fn) throw new InternalError('source/unsupported', `this file source cannot answer ${req.op}`);
  return fn.call(source, req.path);
}

/** Runs a reader over a source that answers at once (a directory). */
export function readNow<T>(source: TextSource, reading: Reading<T>): T {
  let step = reading.next();
  while (!step.done) {
    const answer = ask(source, step.value);
    if (answer instanceof Promise)
      throw new InternalError('source/async', 'readNow needs a synchronous source');
    step = reading.next(answer);
  }
  return step.value;
}

/** Runs a reader over any source (a git commit answers asynchronously). */
export async function readLater<T>(source: TextSource, reading: Reading<T>): Promise<T> {
  let step = reading.next();
  while (!step.done) step = reading.next(await ask(source, step.value));
  return step.value;
}
