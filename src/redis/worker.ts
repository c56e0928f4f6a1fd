// The worker thread behind the synchronous Redis bridge (bridge.ts): it owns the connection and answers the main
// thread's calls one after another, waking the waiting main thread through the shared flag.
import { isMainThread, type MessagePort, workerData } from 'node:worker_threads';
import { RinglockError } from '../errors.js';
import { RedisClient } from './client.js';
import type { SwitchRequest } from './pointer.js';

interface Data {
  url: string;
  timeoutMs: number;
  port: MessagePort;
  flag: SharedArrayBuffer;
}

export interface WireError {
  code: string;
  message: string;
  expected?: string;
}

// Loaded outside a worker (a check that imports every bundled file), it does nothing.
if (!isMainThread && workerData) serve(workerData as Data);

function serve(data: Data): void {
  const flag = new Int32Array(data.flag);
  const client = new RedisClient(data.url, data.timeoutMs);
  const run = (op: string, args: unknown[]): Promise<unknown> => {
    switch (op) {
      case 'read':
        return client.read(args[0] as string, args[1] as string, args[2] as string[]);
      case 'switch':
        return client.switch(args[0] as SwitchRequest);
      case 'close':
        return client.close();
      default:
        return Promise.reject(new Error(`unknown operation ${op}`));
    }
  };
  const wire = (e: unknown): WireError =>
    e instanceof RinglockError
      ? { code: e.code, message: e.message, ...(e.expected ? { expected: e.expected } : {}) }
      : { code: 'redis/worker', message: e instanceof Error ? e.message : String(e) };
  let queue: Promise<unknown> = Promise.resolve();
  data.port.on('message', (req: { id: number; op: string; args: unknown[] }) => {
    queue = queue.then(() =>
      run(req.op, req.args).then(
        (value) => reply({ id: req.id, ok: true, value }),
        (e) => reply({ id: req.id, ok: false, error: wire(e) }),
      ),
    );
  });
  function reply(msg: unknown): void {
    data.port.postMessage(msg);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }
}
