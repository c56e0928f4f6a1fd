// Builds what a ring has active from the deployed state and the tenants map (pure), and writes it as canonical JSON
// (keys sorted, so equal snapshots are equal bytes and the read API's ETag is stable).
import { createHash } from 'node:crypto';
import type { DeployedModule, DeployedState } from '../state/types.js';
import type { ActiveModule, ActiveSnapshot } from './types.js';

export interface SnapshotInput {
  ring: string;
  /** The commit of the lock the pass applied; absent: the state's record of it, if any. */
  commit?: string;
  /** Every tenant of rings/tenants.yaml → its ring. */
  tenants: Readonly<Record<string, string>>;
  state: DeployedState;
  /** The target's entry URL of a module (pointer target); absent: modules are found at their path. */
  entryFor?: (module: string, rec: DeployedModule) => string | undefined;
  /** The snapshot published last (its generation goes on from there). */
  previous?: ActiveSnapshot;
  now: Date;
}

/**
 * The statuses whose `active` version is what the platform sees at the module's path: a failed or rolled-back upgrade
 * left the previous version linked. Disabled modules have no link; pending and installing are not there yet.
 */
const LINKED = new Set(['active', 'failed', 'rolled_back']);

export function activeModules(
  state: DeployedState,
  entryFor?: SnapshotInput['entryFor'],
): Record<string, ActiveModule> {
  const out: Record<string, ActiveModule> = {};
  for (const name of Object.keys(state.modules).sort()) {
    const rec = state.modules[name]!;
    if (!LINKED.has(rec.status)) continue;
    const entry = entryFor?.(name, rec);
    out[name] = {
      version: rec.active.version,
      sha256: rec.active.sha256,
      ...(entry !== undefined ? { entry } : { path: rec.path ?? name }),
      since: rec.since,
    };
  }
  return out;
}

/** The snapshot; its generation is the previous one's, plus one when the modules or the tenants changed. */
export function buildSnapshot(input: SnapshotInput): ActiveSnapshot {
  const tenants: Record<string, string> = {};
  for (const t of Object.keys(input.tenants).sort()) tenants[t] = input.tenants[t]!;
  const modules = activeModules(input.state, input.entryFor);
  const prev = input.previous;
  const same =
    prev !== undefined &&
    canonical(prev.modules) === canonical(modules) &&
    canonical(prev.tenants) === canonical(tenants);
  const commit = input.commit ?? input.state.lockCommit;
  return {
    apiVersion: 'ringlock/v1',
    kind: 'ActiveModules',
    ring: input.ring,
    ...(commit !== undefined ? { commit } : {}),
    tenants,
    ringTenants: Object.keys(tenants).filter((t) => tenants[t] === input.ring),
    modules,
    generation: prev === undefined ? 1 : same ? prev.generation : prev.generation + 1,
    publishedAt: input.now.toISOString(),
  };
}

/** JSON with every object's keys sorted (arrays keep their order). */
export function canonical(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v as object).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
  return out;
}

/** What a publisher needs to rewrite: everything but the time it was built. */
export function contentKey(s: ActiveSnapshot): string {
  const { publishedAt: _, ...rest } = s;
  return createHash('sha256').update(canonical(rest)).digest('hex');
}

/** Whether a parsed document has the snapshot's shape (a file read back, a key read from Redis). */
export function isSnapshot(v: unknown): v is ActiveSnapshot {
  const s = v as Partial<ActiveSnapshot> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    s.apiVersion === 'ringlock/v1' &&
    s.kind === 'ActiveModules' &&
    typeof s.ring === 'string' &&
    Number.isSafeInteger(s.generation) &&
    (s.generation ?? 0) >= 1 &&
    typeof s.modules === 'object' &&
    s.modules !== null &&
    typeof s.tenants === 'object' &&
    s.tenants !== null
  );
}
