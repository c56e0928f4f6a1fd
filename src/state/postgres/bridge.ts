// The main thread's side of the PostgreSQL store's worker (worker.ts): a synchronous call posts its request and waits
// on a shared flag (Atomics.wait) until the worker has replied, so the StateStore seam stays synchronous and the
// engine's ordering of writes and switches is unchanged; asynchronous calls (the lease) reply through promises.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { InputError, OperationFailed, type RinglockError } from '../../errors.js';
import { dbAddress, type PgStoreOptions, redactUrl } from './options.js';
import type { WireError } from './worker.js';

interface Reply {
  id: number;
  ok?: boolean;
  value?: unknown;
  error?: WireError;
  lost?: string;
  role?: 'writer' | 'leader';
  /** A wake notification of this ring (the commit, or null). */
  wake?: string | null;
}

/** The built worker: beside the CLI's chunks (dist/), or dist/ seen from the sources (tests import src/). */
function workerFile(): string {
  for (const rel of ['../pg-worker.js', './pg-worker.js', '../../../dist/pg-worker.js']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new OperationFailed('state/worker', 'the PostgreSQL store worker (dist/pg-worker.js) is not built', {
    expected: 'npm run build',
  });
}

export class PgBridge {
  private readonly worker: Worker;
  private readonly sync: MessagePort;
  private readonly async: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private next = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void }
  >();
  private dead?: Error;
  onLost?: (reason: string, role: 'writer' | 'leader') => void;
  onWake?: (commit: string | undefined) => void;

  constructor(private readonly o: PgStoreOptions) {
    const s = new MessageChannel();
    const a = new MessageChannel();
    this.sync = s.port1;
    this.async = a.port1;
    this.worker = new Worker(workerFile(), {
      workerData: { options: o, sync: s.port2, async: a.port2, flag: this.flag.buffer },
      transferList: [s.port2, a.port2],
    });
    // The worker must not keep a finished CLI alive; a pending asynchronous call does (its port is ref'd meanwhile).
    this.worker.unref();
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`the PostgreSQL store worker exited (${code})`)));
    this.async.on('message', (m: Reply) => {
      if (m.lost !== undefined) {
        this.onLost?.(m.lost, m.role ?? 'writer');
        return;
      }
      if (m.wake !== undefined) {
        this.onWake?.(m.wake ?? undefined);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.async.unref();
      if (m.ok) p.resolve(m.value);
      else p.reject(this.error(m.error!));
    });
    // After the listener (which refs the port): only a pending asynchronous call keeps the process alive.
    this.async.unref();
  }

  private fail(e: Error): void {
    this.dead ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Blocks until the worker answers (bounded: a database that hangs past its timeouts is an error, not a hang). */
  call<T>(op: string, ...args: unknown[]): T {
    if (this.dead) throw this.error({ name: 'Error', message: this.dead.message });
    const id = this.next++;
    this.sync.postMessage({ id, op, args });
    const deadline = performance.now() + this.o.connectTimeoutMs + this.o.statementTimeoutMs + 5_000;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) {
        // The request may still complete later: this store is done for (no late write may race a later one).
        const e = new OperationFailed(
          'state/database',
          `the state database at ${dbAddress(this.o.url)} did not answer`,
          { expected: 'a reachable PostgreSQL (RINGLOCK_DATABASE_URL)' },
        );
        this.fail(e);
        void this.worker.terminate();
        throw e;
      }
      let got = receiveMessageOnPort(this.sync);
      if (!got) {
        // Nothing there: wait for the worker's signal (reset first, then look again, so no reply is slept through and
        // a stale reply's signal does not make this loop spin).
        Atomics.store(this.flag, 0, 0);
        got = receiveMessageOnPort(this.sync);
        if (!got) {
          Atomics.wait(this.flag, 0, 0, Math.min(left, 1_000));
          continue;
        }
      }
      const m = got.message as Reply;
      if (m.id !== id) continue;
      if (m.ok) return m.value as T;
      throw this.error(m.error!);
    }
  }

  callAsync<T>(op: string, ...args: unknown[]): Promise<T> {
    if (this.dead) return Promise.reject(this.error({ name: 'Error', message: this.dead.message }));
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.async.ref();
      this.async.postMessage({ id, op, args });
    });
  }

  async close(): Promise<void> {
    if (!this.dead) await this.callAsync('close').catch(() => undefined);
    await this.worker.terminate();
  }

  /** A worker's error as ringlock's: the code the CLI maps to an exit code, the URL never with its password. */
  private error(e: WireError): RinglockError {
    const where = dbAddress(this.o.url);
    const msg = e.message.replaceAll(this.o.url, redactUrl(this.o.url));
    if (e.name === 'LeaseLost') return new OperationFailed('state/lease-lost', msg);
    if (e.name === 'LeaseHeld')
      return new InputError('target/locked', msg, { expected: 'wait for it to finish, or run again later' });
    if (e.name === 'NewerSchemaError') return new InputError('state/schema-newer', msg);
    if (e.pgCode === '42501')
      return new OperationFailed('state/permission', `the state database refused: ${msg}`, {
        expected: `the grants in the README ("State on PostgreSQL") for the role of RINGLOCK_DATABASE_URL`,
      });
    if (e.pgCode || /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|terminat|timeout|Connection/i.test(msg))
      return new OperationFailed('state/database', `the state database at ${where}: ${msg}`, {
        expected:
          'a reachable PostgreSQL (RINGLOCK_DATABASE_URL); the next run picks up where this one stopped',
      });
    return new OperationFailed('state/database', `the state database at ${where}: ${msg}`);
  }
}
