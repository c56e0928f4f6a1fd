// Extraction + content hash of prepared artifacts on worker threads (one per core), falling back to this thread when
// the worker bundle is not there (running from sources).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { extractArchive } from '../artifacts/extract.js';
import { InputError, OperationFailed, type RinglockError } from '../errors.js';
import { hashTree } from '../hash/tree-hash.js';

interface Reply {
  id: number;
  ok: boolean;
  digest?: string;
  error?: { kind: string; code: string; message: string; file?: string; expected?: string };
}

function workerFile(): string | undefined {
  for (const rel of ['../extract-worker.js', './extract-worker.js']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return undefined;
}

function rebuild(e: NonNullable<Reply['error']>): RinglockError {
  const opts = { file: e.file, expected: e.expected };
  return e.kind === 'InputError'
    ? new InputError(e.code, e.message, opts)
    : new OperationFailed(e.code, e.message, opts);
}

export class ExtractPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly pending = new Map<
    number,
    { resolve: (d: string) => void; reject: (e: unknown) => void }
  >();
  private next = 0;
  private readonly file: string | undefined;

  /** `size` 0: everything on this thread. */
  constructor(size = Math.max(1, availableParallelism())) {
    this.file = size > 0 ? workerFile() : undefined;
    if (!this.file) return;
    for (let i = 0; i < size; i++) {
      const w = new Worker(this.file);
      w.unref();
      w.on('message', (r: Reply) => {
        const p = this.pending.get(r.id);
        if (!p) return;
        this.pending.delete(r.id);
        this.release(w);
        if (r.ok) p.resolve(r.digest!);
        else p.reject(rebuild(r.error!));
      });
      w.on('error', (e) => {
        for (const [, p] of this.pending) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  private release(w: Worker) {
    this.idle.push(w);
    this.waiting.shift()?.();
  }

  /** Extracts `artifact` into `staging` (which must not exist) and returns the tree's content hash. */
  async run(artifact: string, staging: string, display: string): Promise<string> {
    if (!this.file) {
      await extractArchive(artifact, staging, { display });
      return (await hashTree(staging, display)).digest;
    }
    while (this.idle.length === 0) await new Promise<void>((r) => this.waiting.push(r));
    const w = this.idle.pop()!;
    const id = this.next++;
    return new Promise<string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, artifact, staging, display });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
