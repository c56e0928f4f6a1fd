// The content hash of a module tree (see README "Content hash"): sha256 over one line per entry,
// "<sha256 hex of contents> <mode> <path>\n", entries in byte order of their path.
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors.js';
import { type HashFilesResult, localHashFiles, WORKER_SOURCE } from './file-hasher.js';
import { type EntryMode, type WalkEntry, walkTree } from './walk.js';

export interface HashedEntry {
  path: string;
  mode: EntryMode;
  size: number;
  digest: string;
}

export interface TreeHash {
  /** `sha256:<hex>` */
  digest: string;
  fileCount: number;
  sizeBytes: number;
  entries: HashedEntry[];
}

export interface TreeInput {
  root: string;
  /** Path shown in errors. */
  display: string;
}

export interface HashOptions {
  /** Worker threads besides the main thread; default: one when there is enough to hash and more than one core. */
  workers?: number;
  /** Called once the trees are walked, before any content is read. */
  onWalked?: (files: number) => void;
}

// A worker costs ~30 ms to start; below this many files one thread finishes first.
const PARALLEL_MIN_FILES = 400;

/** The manifest line of one entry. */
export function manifestLine(e: HashedEntry): string {
  return `${e.digest} ${e.mode} ${e.path}\n`;
}

export function treeDigest(entries: readonly HashedEntry[]): string {
  const h = createHash('sha256');
  for (const e of entries) h.update(manifestLine(e));
  return `sha256:${h.digest('hex')}`;
}

/** Hashes several trees at once, sharing one pool of threads over all their files. */
export async function hashTrees(trees: readonly TreeInput[], opts: HashOptions = {}): Promise<TreeHash[]> {
  const walked = trees.map((t) => walkTree(t.root, t.display));
  const files = walked.flat().filter((e) => e.kind === 'file');
  opts.onWalked?.(files.length);
  const digests = await hashFileContents(files, opts);
  return walked.map((list) => {
    const entries: HashedEntry[] = list.map((e) => {
      if (e.kind === 'symlink') {
        const size = Buffer.byteLength(e.target!);
        return {
          path: e.path,
          mode: '120000',
          size,
          digest: createHash('sha256').update(e.target!).digest('hex'),
        };
      }
      const d = digests.get(e)!;
      return { path: e.path, mode: d.exec ? '100755' : '100644', size: d.size, digest: d.hex };
    });
    return {
      digest: treeDigest(entries),
      fileCount: entries.length,
      sizeBytes: entries.reduce((s, e) => s + (e.mode === '120000' ? 0 : e.size), 0),
      entries,
    };
  });
}

/**
 * Like hashTrees, but one tree's problem (an escaping link, an unreadable file) does not hide the others:
 * each result is a TreeHash or the InputError of that tree.
 */
export async function hashTreesSettled(
  trees: readonly TreeInput[],
  opts: HashOptions = {},
): Promise<(TreeHash | InputError)[]> {
  try {
    return await hashTrees(trees, opts);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    const out: (TreeHash | InputError)[] = [];
    for (const t of trees) {
      try {
        out.push((await hashTrees([t], opts))[0]!);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        out.push(err);
      }
    }
    return out;
  }
}

export async function hashTree(root: string, display: string, opts: HashOptions = {}): Promise<TreeHash> {
  const [h] = await hashTrees([{ root, display }], opts);
  return h!;
}

async function hashFileContents(files: WalkEntry[], opts: HashOptions) {
  const paths = files.map((f) => f.abs);
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const wanted = opts.workers ?? (files.length >= PARALLEL_MIN_FILES && availableParallelism() > 1 ? 1 : 0);
  const workers: Promise<HashFilesResult>[] = [];
  for (let i = 0; i < wanted; i++) {
    workers.push(
      new Promise((resolve, reject) => {
        const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { paths, counter: counter.buffer } });
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (code) => {
          if (code !== 0) reject(new Error(`hash worker exited with code ${code}`));
        });
      }),
    );
  }
  const results = [localHashFiles()(paths, counter, Buffer.allocUnsafe(1 << 20))];
  // Stop the workers early when this thread hit an error.
  if (results[0]!.error) Atomics.store(counter, 0, paths.length);
  results.push(...(await Promise.all(workers)));
  const out = new Map<WalkEntry, { hex: string; size: number; exec: boolean }>();
  let firstError: HashFilesResult['error'];
  for (const r of results) {
    for (let i = 0; i < r.done.length; i += 4) {
      out.set(files[r.done[i] as number]!, {
        hex: r.done[i + 1] as string,
        size: r.done[i + 2] as number,
        exec: r.done[i + 3] === 1,
      });
    }
    if (r.error && (!firstError || r.error.index < firstError.index)) firstError = r.error;
  }
  if (firstError) {
    const f = files[firstError.index]!;
    const code = firstError.code;
    if (code === 'ELOOP' || code === 'ENOTREG' || code === 'ENXIO') {
      throw new InputError('hash/changed', 'changed from a regular file while being hashed', {
        file: f.shown,
      });
    }
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? firstError.message);
    throw new InputError('hash/unreadable', `cannot be read (${why})`, { file: f.shown });
  }
  return out;
}
