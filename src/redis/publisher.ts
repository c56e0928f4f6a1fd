// The Redis publisher (operator config `publish.redis: true`): what a ring has active, from the pass's ActiveSnapshot,
// written in the pointer target's key layout — the ring document and `modules:active:{tenant}` for each tenant of the
// ring — so a folder-target platform's shell can read it the same way. One script writes it all, only when the
// snapshot's generation is not below the one stored: an older snapshot never overwrites a newer one (the publish says
// `skipped`), the same generation is rewritten only when its content differs (as the ConfigMap publisher does), and
// current() reads the ring's document back so a new process goes on from the stored generation.
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

/** What current() gives back: the ActiveSnapshot's shape as far as Redis holds it (this ring's tenants only). */
export interface ReadBack extends SnapshotView {
  apiVersion: 'ringlock/v1';
  kind: 'ActiveModules';
  tenants: Record<string, string>;
  modules: Record<string, { version: string; sha256: string; path?: string; entry?: string; since: string }>;
}

export interface PublisherView {
  readonly name: string;
  publish(
    snapshot: SnapshotView,
    signal?: AbortSignal,
  ): Promise<{ skipped: true; stored: number } | undefined>;
  current(signal?: AbortSignal): Promise<ReadBack | undefined>;
  close?(): Promise<void>;
}

export class RedisPublisher implements PublisherView {
  readonly name: string;
  private readonly client: RedisClient;

  constructor(
    url: string,
    private readonly keys: KeyLayout,
    /** The ring it publishes (current() reads its document back). */
    private readonly ring?: string,
  ) {
    this.client = new RedisClient(url);
    this.name = `redis ${redisAddress(url)}`;
  }

  /** The ring's document as an ActiveSnapshot; undefined when nothing is stored (or the ring is not known). */
  async current(signal?: AbortSignal): Promise<ReadBack | undefined> {
    signal?.throwIfAborted();
    const ring = this.ring;
    if (ring === undefined) return undefined;
    const r = await this.client.read(generationKey(this.keys, ring), ringKey(this.keys, ring), []);
    if (!r.doc || r.generation < 1) return undefined;
    const modules: ReadBack['modules'] = {};
    for (const [name, m] of Object.entries(r.doc.modules ?? {}))
      modules[name] = {
        version: m.version,
        sha256: m.sha256 ?? '',
        // Written from a folder target's path (entry = dir), or a pointer module's URL.
        ...(m.entry === m.dir ? { path: m.dir } : { entry: m.entry }),
        since: r.doc.updatedAt,
      };
    const tenants = [...(r.doc.tenants ?? [])].sort();
    return {
      apiVersion: 'ringlock/v1',
      kind: 'ActiveModules',
      ring,
      tenants: Object.fromEntries(tenants.map((t) => [t, ring])),
      ringTenants: tenants,
      modules,
      generation: r.generation,
      publishedAt: r.doc.updatedAt,
    };
  }

  async publish(
    s: SnapshotView,
    signal?: AbortSignal,
  ): Promise<{ skipped: true; stored: number } | undefined> {
    signal?.throwIfAborted();
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
    signal?.throwIfAborted();
    // A newer writer got there first: not written, and said so (the caller goes on from it next time).
    if (prior.generation > s.generation) return { skipped: true, stored: prior.generation };
    // The same generation and the same content: nothing to write (no keyspace event for a watching shell).
    if (
      prior.generation === s.generation &&
      prior.doc !== undefined &&
      JSON.stringify(prior.doc.modules) === JSON.stringify(modules) &&
      JSON.stringify(prior.doc.tenants) === JSON.stringify(s.ringTenants)
    )
      return undefined;
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
    // Checked again in the script: a writer that moved on since the read above wins.
    const r = await this.client.switch({
      mode: 'atleast',
      generation: s.generation,
      generationKey: generationKey(this.keys, s.ring),
      ringKey: ringKey(this.keys, s.ring),
      doc,
      set: s.ringTenants.map((t) => ({ key: tenantKey(this.keys, t), value })),
      del: gone.map((t) => tenantKey(this.keys, t)),
    });
    return r.ok ? undefined : { skipped: true, stored: r.generation };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** The factory the runtime's publisher list calls: a publisher when the operator config says `publish.redis: true`. */
export function redisPublisherFactory(ctx: {
  operator: Pick<OperatorConfig, 'redis'> & { publish?: { redis?: boolean } };
  env: NodeJS.ProcessEnv;
  ring?: string;
}): PublisherView | undefined {
  if (ctx.operator.publish?.redis !== true) return undefined;
  return new RedisPublisher(
    redisUrlFromEnv(ctx.env, ctx.operator.redis),
    keyLayout(ctx.operator.redis),
    ctx.ring,
  );
}
