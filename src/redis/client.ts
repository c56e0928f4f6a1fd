// One Valkey/Redis connection (ioredis, loaded only when a pointer target or the Redis publisher is used), failing
// fast instead of queueing: a Redis that is down or restarting makes the call fail, so the apply fails cleanly (exit 3)
// and the next run converges, rather than a switch landing minutes later. Errors name host:port, never the password.
import { OperationFailed } from '../errors.js';
import { redact } from '../redact.js';
import {
  docText,
  type RingPointer,
  type RingRead,
  SWITCH_SCRIPT,
  type SwitchRequest,
  type SwitchResult,
} from './pointer.js';
import { redisAddress } from './url.js';

type Redis = import('ioredis').Redis;
type RedisCtor = typeof import('ioredis').Redis;
type WithSwitch = Redis & {
  ringlockSwitch(numKeys: number, ...args: string[]): Promise<[number, number]>;
};

export class RedisClient {
  private client: WithSwitch | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly url: string,
    private readonly timeoutMs = 5_000,
  ) {}

  get address(): string {
    return redisAddress(this.url);
  }

  private async conn(): Promise<WithSwitch> {
    if (this.client && this.client.status === 'ready') return this.client;
    this.client?.disconnect();
    // CommonJS inside the bundle: the class is the module's Redis export or its default, depending on the interop.
    const m = (await import('ioredis')) as unknown as {
      Redis?: RedisCtor;
      default?: { Redis?: RedisCtor } & RedisCtor;
    };
    const IORedis = (m.Redis ?? m.default?.Redis ?? m.default) as RedisCtor;
    const c = new IORedis(this.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: this.timeoutMs,
      commandTimeout: this.timeoutMs,
      retryStrategy: () => null,
      enableReadyCheck: false,
    }) as WithSwitch;
    // The reason a connect fails arrives as an event; the rejected promise only says the connection closed.
    c.on('error', (e: Error) => {
      this.lastError = e.message;
    });
    c.defineCommand('ringlockSwitch', { lua: SWITCH_SCRIPT });
    this.client = c;
    this.lastError = undefined;
    try {
      await c.connect();
    } catch (e) {
      this.client = undefined;
      c.disconnect();
      throw this.wrap(e);
    }
    return c;
  }

  private wrap(e: unknown): OperationFailed {
    let text = e instanceof Error ? e.message : String(e);
    if (/Connection is closed/.test(text) && this.lastError) text = this.lastError;
    const msg = redact(text, [this.url]);
    return new OperationFailed('redis/unavailable', `Valkey/Redis at ${this.address}: ${msg}`, {
      expected:
        "a reachable Valkey/Redis (the operator's RINGLOCK_REDIS_URL); the next run picks up where this one stopped",
    });
  }

  private async run<T>(f: (c: WithSwitch) => Promise<T>): Promise<T> {
    const c = await this.conn();
    try {
      return await f(c);
    } catch (e) {
      if (e instanceof OperationFailed) throw e;
      // The connection's state is unknown after a failed command: the next call opens a new one.
      this.client = undefined;
      c.disconnect();
      throw this.wrap(e);
    }
  }

  /** The ring's generation and document, and the raw values of `tenantKeys`. */
  read(generationKey: string, ringKey: string, tenantKeys: string[]): Promise<RingRead> {
    return this.run(async (c) => {
      const [gen, doc, ...tenants] = (await c.mget(generationKey, ringKey, ...tenantKeys)) as (
        | string
        | null
      )[];
      let parsed: RingPointer | undefined;
      try {
        parsed = doc ? (JSON.parse(doc) as RingPointer) : undefined;
      } catch {
        parsed = undefined;
      }
      return { generation: Number(gen ?? 0) || 0, doc: parsed, tenants };
    });
  }

  /** The version-checked switch (one Lua script, EVALSHA with EVAL as fallback). */
  switch(r: SwitchRequest): Promise<SwitchResult> {
    return this.run(async (c) => {
      const keys = [r.generationKey, r.ringKey, ...r.set.map((s) => s.key), ...r.del];
      const args = [
        r.mode,
        String(r.generation),
        String(r.set.length),
        docText(r.doc),
        r.lockAt === undefined ? '' : String(r.lockAt),
        r.override ? '1' : '',
        ...r.set.map((s) => s.value),
      ];
      const [ok, gen] = await c.ringlockSwitch(keys.length, ...keys, ...args);
      return { ok: ok === 1, generation: Number(gen), ...(ok === 2 ? { ahead: true } : {}) };
    });
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.quit().catch(() => c.disconnect());
  }
}
