// The synchronous face of the Redis client for the pointer target: the DeployTarget seam is synchronous (the engine's
// journal → switch → record ordering is written around that), so a call posts its request to the worker thread
// (worker.ts) and waits on a shared flag (Atomics.wait) until it replies — the PostgreSQL store does the same.
// Bounded: a Redis that does not answer within the client's timeouts is an error, never a hang.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { OperationFailed } from '../errors.js';
import type { RingRead, SwitchRequest, SwitchResult } from './pointer.js';
import { redisAddress } from './url.js';
import type { WireError } from './worker.js';

/** The built worker: beside the CLI's chunks (dist/), or dist/ seen from the sources (tests import src/). */
function workerFile(): string {
  for (const rel of ['../redis-worker.js', './redis-worker.js', '../../dist/redis-worker.js']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new OperationFailed('redis/worker', 'the Redis worker (dist/redis-worker.js) is not built', {
    expected: 'npm run build',
  });
}

export class RedisBridge {
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private next = 1;

  constructor(
    private readonly url: string,
    private readonly timeoutMs = 5_000,
  ) {}

  private start(): MessagePort {
    if (this.port) return this.port;
    const ch = new MessageChannel();
    this.worker = new Worker(workerFile(), {
      workerData: { url: this.url, timeoutMs: this.timeoutMs, port: ch.port2, flag: this.flag.buffer },
      transferList: [ch.port2],
    });
    // The worker must not keep a finished CLI alive.
    this.worker.unref();
    ch.port1.unref();
    this.port = ch.port1;
    return ch.port1;
  }

  private call<T>(op: string, ...args: unknown[]): T {
    const port = this.start();
    const id = this.next++;
    port.postMessage({ id, op, args });
    const deadline = performance.now() + 2 * this.timeoutMs + 5_000;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) {
        void this.worker?.terminate();
        this.port = undefined;
        throw new OperationFailed(
          'redis/unavailable',
          `Valkey/Redis at ${redisAddress(this.url)} did not answer`,
          {
            expected: 'a reachable Valkey/Redis; the next run picks up where this one stopped',
          },
        );
      }
      let got = receiveMessageOnPort(port);
      if (!got) {
        Atomics.store(this.flag, 0, 0);
        got = receiveMessageOnPort(port);
        if (!got) {
          Atomics.wait(this.flag, 0, 0, Math.min(left, 1_000));
          continue;
        }
      }
      const m = got.message as { id: number; ok: boolean; value?: unknown; error?: WireError };
      if (m.id !== id) continue;
      if (m.ok) return m.value as T;
      throw new OperationFailed(
        m.error!.code,
        m.error!.message,
        m.error!.expected ? { expected: m.error!.expected } : {},
      );
    }
  }

  read(generationKey: string, ringKey: string, tenantKeys: string[]): RingRead {
    return this.call('read', generationKey, ringKey, tenantKeys);
  }

  switch(r: SwitchRequest): SwitchResult {
    return this.call('switch', r);
  }

  close(): void {
    if (!this.port) return;
    try {
      this.call('close');
    } catch {
      // closing a connection that is gone
    }
    void this.worker?.terminate();
    this.port = undefined;
  }
}
