// The deployed state as rows: one per module (only what changed is written), the quarantine, and the ring's own
// fields; and back. Used by ops.ts inside its fenced transaction.
import type pg from 'pg';
import type { DeployedModule, DeployedState, QuarantineEntry } from '../types.js';

/** What a writer last stored, as JSON per module, to write only what changed. */
export interface Known {
  modules: Map<string, string>;
  quarantine: string;
  ring: string;
}

const RING_KEYS = new Set([
  'stateVersion',
  'modules',
  'quarantine',
  'lockCommit',
  'tenants',
  'blocked',
  'unlinked',
]);

async function loadKnown(c: pg.PoolClient, s: string, ring: string): Promise<Known> {
  const m = await c.query<{ module: string; entry: unknown }>(
    `SELECT module, entry FROM ${s}.deployed_modules WHERE ring = $1`,
    [ring],
  );
  const q = await c.query<{ q: unknown }>(
    `SELECT coalesce(json_agg(entry ORDER BY position), '[]') AS q FROM ${s}.quarantine WHERE ring = $1`,
    [ring],
  );
  const r = await c.query<{ ring: RingRow | null }>(
    `SELECT row_to_json(r) AS ring FROM ${s}.rings r WHERE ring = $1`,
    [ring],
  );
  return {
    modules: new Map(m.rows.map((x) => [x.module, JSON.stringify(x.entry)])),
    quarantine: JSON.stringify(q.rows[0]?.q ?? []),
    ring: JSON.stringify(ringPart(r.rows[0]?.ring ? fromRows(r.rows[0].ring, {}, []) : undefined)),
  };
}

/** Writes what differs from the state this writer knows (`known`; loaded when absent); returns what changed. */
export async function writeStateRows(
  c: pg.PoolClient,
  s: string,
  ring: string,
  knownBefore: Known | undefined,
  state: DeployedState,
  token: number,
): Promise<{ known: Known; changed: string[] }> {
  const known = knownBefore ?? (await loadKnown(c, s, ring));
  const changed: string[] = [];
  const next = new Map<string, string>();
  for (const [name, m] of Object.entries(state.modules)) {
    const json = JSON.stringify(m);
    next.set(name, json);
    if (known.modules.get(name) === json) continue;
    changed.push(name);
    await c.query(
      `INSERT INTO ${s}.deployed_modules (ring, module, version, content_hash, status, origin, path, since, entry, token, updated_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,now())
       ON CONFLICT (ring, module) DO UPDATE SET version = EXCLUDED.version, content_hash = EXCLUDED.content_hash,
         status = EXCLUDED.status, origin = EXCLUDED.origin, path = EXCLUDED.path, since = EXCLUDED.since,
         entry = EXCLUDED.entry, token = EXCLUDED.token, updated_at = now()`,
      [
        ring,
        name,
        m.active.version,
        m.active.sha256,
        m.status,
        m.origin,
        m.path ?? null,
        m.since,
        json,
        token,
      ],
    );
  }
  const gone = [...known.modules.keys()].filter((n) => !next.has(n));
  if (gone.length > 0) {
    changed.push(...gone);
    await c.query(`DELETE FROM ${s}.deployed_modules WHERE ring = $1 AND module = ANY($2)`, [ring, gone]);
  }
  const q = JSON.stringify(state.quarantine);
  if (q !== known.quarantine) {
    await c.query(`DELETE FROM ${s}.quarantine WHERE ring = $1`, [ring]);
    for (const [i, e] of state.quarantine.entries())
      await c.query(
        `INSERT INTO ${s}.quarantine (ring, position, module, version, integrity, content_hash, reason, at, entry)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
        [
          ring,
          i,
          e.module,
          e.version,
          e.integrity ?? null,
          e.sha256 ?? null,
          e.reason,
          e.at,
          JSON.stringify(e),
        ],
      );
  }
  const ringJson = JSON.stringify(ringPart(state));
  if (ringJson !== known.ring || changed.length > 0 || q !== known.quarantine) {
    const rp = ringPart(state);
    await c.query(
      `INSERT INTO ${s}.rings (ring, lock_commit, tenants, blocked, unlinked, extra, token, updated_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,now())
       ON CONFLICT (ring) DO UPDATE SET lock_commit = EXCLUDED.lock_commit, tenants = EXCLUDED.tenants,
         blocked = EXCLUDED.blocked, unlinked = EXCLUDED.unlinked, extra = EXCLUDED.extra, token = EXCLUDED.token,
         updated_at = now()`,
      [
        ring,
        rp.lockCommit ?? null,
        json(rp.tenants),
        json(rp.blocked),
        json(rp.unlinked),
        json(Object.keys(rp.extra).length > 0 ? rp.extra : undefined),
        token,
      ],
    );
  }
  return { known: { modules: next, quarantine: q, ring: ringJson }, changed };
}

export interface RingRow {
  ring: string;
  lock_commit: string | null;
  tenants: string[] | null;
  blocked: DeployedState['blocked'] | null;
  unlinked: DeployedState['unlinked'] | null;
  extra: Record<string, unknown> | null;
}

function json(v: unknown): string | null {
  return v === undefined ? null : JSON.stringify(v);
}

/** The top-level fields of a state besides modules and quarantine. */
function ringPart(s: DeployedState | undefined) {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s ?? {})) if (!RING_KEYS.has(k) && v !== undefined) extra[k] = v;
  return {
    lockCommit: s?.lockCommit,
    tenants: s?.tenants,
    blocked: s?.blocked,
    unlinked: s?.unlinked,
    extra,
  };
}

export function fromRows(
  ring: RingRow | null,
  modules: Record<string, DeployedModule>,
  quarantine: QuarantineEntry[],
): DeployedState {
  const s: DeployedState = { ...(ring?.extra ?? {}), stateVersion: 1, modules, quarantine };
  if (ring?.lock_commit) s.lockCommit = ring.lock_commit;
  if (ring?.tenants) s.tenants = ring.tenants;
  if (ring?.blocked) s.blocked = ring.blocked;
  if (ring?.unlinked) s.unlinked = ring.unlinked;
  return s;
}
