// The worker thread behind the PostgreSQL store: it owns the pool and the lease connection, and answers the main
// thread's calls (bridge.ts). Synchronous calls reply on the sync port and wake the waiting main thread through the
// shared flag; asynchronous ones (the lease, closing) reply on the async port. The lease keeps being renewed here
// while the main thread waits or works.
import { isMainThread, type MessagePort, workerData } from 'node:worker_threads';
import { LeaseHeld } from './lease.js';
import { WakeListener } from './listen.js';
import { changeChannel } from './migrations.js';
import { PgState } from './ops.js';
import type { PgStoreOptions } from './options.js';

interface Data {
  options: PgStoreOptions;
  sync: MessagePort;
  async: MessagePort;
  flag: SharedArrayBuffer;
}

export interface Request {
  id: number;
  op: string;
  args: unknown[];
}

export interface WireError {
  name: string;
  code?: string;
  message: string;
  holder?: string;
  pgCode?: string;
}

// Loaded outside a worker (a check that imports every bundled file), it does nothing.
if (!isMainThread && workerData) serve(workerData as Data);

function serve(data: Data): void {
  const flag = new Int32Array(data.flag);
  const state = new PgState(data.options);
  let ready: Promise<void> | undefined;
  // The leader's ear on the change feed: wake notifications of its ring go to the main thread (bridge.ts onWake).
  const listener = new WakeListener(data.options, changeChannel(data.options.schema), (commit) =>
    data.async.postMessage({ id: -1, wake: commit ?? null }),
  );

  function wire(e: unknown): WireError {
    const err = e as Error & { code?: string };
    return {
      name: err?.constructor?.name ?? 'Error',
      message: err?.message ?? String(e),
      ...(typeof err?.code === 'string'
        ? /^[0-9A-Z]{5}$/.test(err.code)
          ? { pgCode: err.code }
          : { code: err.code }
        : {}),
      ...(e instanceof LeaseHeld ? { holder: e.holder } : {}),
    };
  }

  async function run(op: string, args: unknown[]): Promise<unknown> {
    if (op !== 'close') {
      ready ??= state.init().catch((e) => {
        ready = undefined;
        throw e;
      });
      await ready;
    }
    const w = () => {
      const h = state.lease.held ?? state.lease.formerly;
      return h ? { ...h } : undefined;
    };
    switch (op) {
      case 'init':
        return undefined;
      case 'read':
        return state.read();
      case 'commit':
        return state.commit(args[0] as Parameters<PgState['commit']>[0], w());
      case 'history':
        return state.history(args[0] as string | undefined);
      case 'readJournal':
        return state.readJournal();
      case 'suspension':
        return state.suspension();
      case 'suspend':
        return state.suspend(args[0] as Parameters<PgState['suspend']>[0]);
      case 'import':
        return state.importRecords(args[0] as Parameters<PgState['importRecords']>[0]);
      case 'wake':
        return state.wake(args[0] as string | undefined);
      case 'current':
        return state.lease.current();
      case 'leaseInfo':
        return state.leaseInfo();
      case 'listen':
        return listener.start();
      case 'acquire': {
        const held = await state.lease.acquire(args[0] as string, args[1] as number);
        state.forget();
        return held;
      }
      case 'release':
        return state.lease.release();
      case 'lead':
        return state.leadership.acquire(args[0] as string, args[1] as number);
      case 'unlead':
        return state.leadership.release();
      case 'close':
        await listener.close();
        return state.close();
      default:
        throw new Error(`unknown operation ${op}`);
    }
  }

  // Synchronous calls one after another (the main thread waits for each; a late one never overtakes the next).
  let queue: Promise<unknown> = Promise.resolve();
  data.sync.on('message', (req: Request) => {
    queue = queue
      .then(() =>
        run(req.op, req.args).then(
          (value) => reply(data.sync, { id: req.id, ok: true, value }, true),
          (e) => reply(data.sync, { id: req.id, ok: false, error: wire(e) }, true),
        ),
      )
      .catch((e) => reply(data.sync, { id: req.id, ok: false, error: wire(e) }, true));
  });
  data.async.on('message', (req: Request) => {
    run(req.op, req.args).then(
      (value) => reply(data.async, { id: req.id, ok: true, value }, false),
      (e) => reply(data.async, { id: req.id, ok: false, error: wire(e) }, false),
    );
  });
  state.lease.onLost = (reason) => data.async.postMessage({ id: -1, lost: reason, role: 'writer' });
  state.leadership.onLost = (reason) => data.async.postMessage({ id: -1, lost: reason, role: 'leader' });

  function reply(port: MessagePort, msg: unknown, wake: boolean): void {
    port.postMessage(msg);
    if (wake) {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    }
  }
}
