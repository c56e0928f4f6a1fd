// The Redis publisher (operator config `publish.redis: true`): what a ring has active, from the pass's ActiveSnapshot,
// written in the pointer target's key layout — the ring document and `modules:active:{tenant}` for each tenant of the
// ring — so a folder-target platform's shell can read it the same way. One script writes it all, only when the
// snapshot's generation is above the one stored: an older snapshot never overwrites a newer one.
import type { OperatorConfig } from '../model/operator-config.js';
import { RedisClient } from './client.js';
import { generationKey, type KeyLayout, keyLayout, ringKey, tenantKey } from './keys.js';
import { type PointerModule, type RingPointer, tenantValue } from './pointer.js';
import { redisAddress, redisUrlFromEnv } from './url.js';

// publish/ sits above this folder (it imports targets/, which imports redis/): the publisher fits its ActivePublisher
// and ActiveSnapshot (src/publish/types.ts) structurally; the runtime's publisher list checks that where it wires it.

/** The parts of publish/types.ts's ActiveSnapshot written here. */
export interface SnapshotView {
  ring: string;
  ringTenants: string[];
  /** Tenant → ring, every tenant of rings/tenants.yaml. */
  tenants: Record<string, string>;
  modules: Record<string, { version: string; sha256: string; path?: string; entry?: string }>;
  generation: number;
  publishedAt: string;
}

export interface PublisherView {
  readonly name: string;
  publish(snapshot: SnapshotView, signal?: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

export class RedisPublisher implements PublisherView {
  readonly name: string;
  private readonly client: RedisClient;

  constructor(
    url: string,
    private readonly keys: KeyLayout,
  ) {
    this.client = new RedisClient(url);
    this.name = `redis ${redisAddress(url)}`;
  }

  async publish(s: SnapshotView): Promise<void> {
    const modules: Record<string, PointerModule> = {};
    for (const [name, m] of Object.entries(s.modules))
      modules[name] = {
        version: m.version,
        sha256: m.sha256,
        dir: m.path ?? name,
        // A folder target's module has no URL: its path is what the platform resolves.
        entry: m.entry ?? m.path ?? name,
      };
    const prior = await this.client.read(generationKey(this.keys, s.ring), ringKey(this.keys, s.ring), []);
    // A tenant that moved to another ring keeps its key (that ring's writer owns it): only one in no ring loses it.
    const gone = (prior.doc?.tenants ?? []).filter(
      (t) => !s.ringTenants.includes(t) && !Object.hasOwn(s.tenants, t),
    );
    const doc: RingPointer = {
      ring: s.ring,
      generation: 0,
      modules,
      tenants: s.ringTenants,
      updatedAt: s.publishedAt,
    };
    const value = tenantValue(modules);
    // Not written when the stored generation is the same or newer: idempotent, and never backwards.
    await this.client.switch({
      mode: 'newer',
      generation: s.generation,
      generationKey: generationKey(this.keys, s.ring),
      ringKey: ringKey(this.keys, s.ring),
      doc,
      set: s.ringTenants.map((t) => ({ key: tenantKey(this.keys, t), value })),
      del: gone.map((t) => tenantKey(this.keys, t)),
    });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** The factory the runtime's publisher list calls: a publisher when the operator config says `publish.redis: true`. */
export function redisPublisherFactory(ctx: {
  operator: Pick<OperatorConfig, 'redis'> & { publish?: { redis?: boolean } };
  env: NodeJS.ProcessEnv;
}): PublisherView | undefined {
  if (ctx.operator.publish?.redis !== true) return undefined;
  return new RedisPublisher(redisUrlFromEnv(ctx.env, ctx.operator.redis), keyLayout(ctx.operator.redis));
}
