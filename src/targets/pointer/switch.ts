// The pointer switch of the pointer target: the ring's pointer document and every tenant key of the ring rewritten by
// one version-checked script (redis/pointer.ts). The generation this target expects is the one it last read or wrote:
// when another writer moved it on meanwhile, the switch changes nothing and the operation fails (exit 3) instead of
// moving the pointer backwards; the next run observes the new pointer and converges.
import { OperationFailed } from '../../errors.js';
import type { RedisBridge } from '../../redis/bridge.js';
import { generationKey, type KeyLayout, ringKey, tenantKey } from '../../redis/keys.js';
import { type PointerModule, type RingPointer, tenantValue } from '../../redis/pointer.js';

export interface PointerStore {
  bridge: Pick<RedisBridge, 'read' | 'switch' | 'close'>;
  keys: KeyLayout;
  readonly ring: string;
  /** The ring's tenants now (rings/tenants.yaml). */
  tenants(): string[];
  /**
   * Every tenant rings/tenants.yaml assigns to any ring: a tenant that left this ring for another keeps its key (its
   * new ring's writer owns it); only the key of a tenant in no ring is deleted.
   */
  assigned(): string[];
  /** The order of the lock this writer deploys (its git commit's time), when known; see RingPointer.lockAt. */
  lockOrder(): { at: number; commit: string } | undefined;
  /** The operator's explicit override of the lock-order check (RINGLOCK_POINTER_OVERRIDE=1). */
  override(): boolean;
  /** Every ring of ringlock.yaml: they share the bundle storage, so retention keeps what any of their pointers names. */
  rings(): string[];
}

export interface Observed {
  generation: number;
  doc: RingPointer | undefined;
  /** Tenant key → its raw value. */
  tenantValues: Map<string, string | null>;
}

/** Reads the ring's generation, pointer document and the tenant keys of `tenants`. */
export function readPointer(s: PointerStore, tenants: string[]): Observed {
  const keys = tenants.map((t) => tenantKey(s.keys, t));
  const r = s.bridge.read(generationKey(s.keys, s.ring), ringKey(s.keys, s.ring), keys);
  return {
    generation: r.generation,
    doc: r.doc,
    tenantValues: new Map(keys.map((k, i) => [k, r.tenants[i] ?? null])),
  };
}

/** The bundle dirs the pointer document of any ring in `rings` names, per module. */
export function namedByRings(s: PointerStore, rings: readonly string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const ring of new Set([s.ring, ...rings])) {
    const r = s.bridge.read(generationKey(s.keys, ring), ringKey(s.keys, ring), []);
    for (const [name, m] of Object.entries(r.doc?.modules ?? {})) {
      if (typeof m?.dir !== 'string') continue;
      const set = out.get(name) ?? new Set<string>();
      set.add(m.dir);
      out.set(name, set);
    }
  }
  return out;
}

/**
 * Sets (or, `mod` undefined, removes) one module in the ring's pointer, expecting generation `expected` and the
 * document `base` read at it. Returns the generation and document written.
 */
export function switchModule(
  s: PointerStore,
  expected: number,
  base: RingPointer | undefined,
  tenants: string[],
  module: string,
  mod: PointerModule | undefined,
  /** The other modules the pointer names (what ringlock deployed); default the document's. */
  others: Record<string, PointerModule> = { ...(base?.modules ?? {}) },
): { generation: number; doc: RingPointer } {
  const modules = { ...others };
  if (mod) modules[module] = mod;
  else delete modules[module];
  return writePointer(s, expected, base, tenants, modules);
}

/**
 * Rewrites the ring's pointer document and every tenant key for `tenants` (the keys of tenants `base` listed that are
 * now in no ring are deleted; one that moved to another ring is left to that ring's writer), expecting generation `expected`: one version-checked script.
 */
export function writePointer(
  s: PointerStore,
  expected: number,
  base: RingPointer | undefined,
  tenants: string[],
  modules: Record<string, PointerModule>,
): { generation: number; doc: RingPointer } {
  const value = tenantValue(modules);
  const elsewhere = new Set(s.assigned());
  const gone = (base?.tenants ?? []).filter((t) => !tenants.includes(t) && !elsewhere.has(t));
  const order = s.lockOrder();
  const lockAt = order?.at ?? base?.lockAt;
  const lockCommit = order?.commit ?? base?.lockCommit;
  const doc: RingPointer = {
    ring: s.ring,
    generation: 0,
    modules,
    tenants,
    updatedAt: new Date().toISOString(),
    ...(lockAt !== undefined ? { lockAt } : {}),
    ...(lockCommit !== undefined ? { lockCommit } : {}),
  };
  const r = s.bridge.switch({
    mode: 'next',
    generation: expected,
    generationKey: generationKey(s.keys, s.ring),
    ringKey: ringKey(s.keys, s.ring),
    doc,
    set: tenants.map((t) => ({ key: tenantKey(s.keys, t), value })),
    del: gone.map((t) => tenantKey(s.keys, t)),
    ...(order ? { lockAt: order.at } : {}),
    ...(s.override() ? { override: true } : {}),
  });
  if (r.ahead) throw aheadError(s.ring, base, order);
  if (!r.ok)
    throw new OperationFailed(
      'pointer/stale',
      `the pointer of ring ${s.ring} moved on meanwhile (generation ${r.generation}, this writer expected ${expected}): another writer switched it; nothing was changed`,
      { expected: 'one writer per ring; the next run reads the new pointer and converges' },
    );
  return { generation: r.generation, doc: { ...doc, generation: r.generation } };
}

/** The pointer names a newer lock than this writer's: another writer is ahead (`doc` as read, `order` this writer's). */
export function isAhead(doc: RingPointer | undefined, order: { at: number } | undefined): boolean {
  return order !== undefined && typeof doc?.lockAt === 'number' && doc.lockAt > order.at;
}

export function aheadError(
  ring: string,
  doc: RingPointer | undefined,
  order: { at: number; commit: string } | undefined,
): OperationFailed {
  const when = (at: number | undefined) => (at === undefined ? '?' : new Date(at * 1000).toISOString());
  return new OperationFailed(
    'pointer/ahead',
    `another writer is ahead: the pointer of ring ${ring} was switched from a newer lock (${doc?.lockCommit?.slice(0, 12) ?? '?'}, ${when(doc?.lockAt)}) than this writer's (${order?.commit.slice(0, 12) ?? '?'}, ${when(order?.at)}); nothing was changed`,
    {
      expected:
        'the newest lock (pull the repository), or RINGLOCK_POINTER_OVERRIDE=1 to move the pointer back on purpose',
    },
  );
}
