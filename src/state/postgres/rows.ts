// The deployed state as rows: one per module (only what changed is written), the quarantine, and the ring's own
// fields; and back. Used by ops.ts inside its fenced transaction.
import type pg from 'pg';
import type { DeployedModule, DeployedState, HistoryRecord, QuarantineEntry } from '../types.js';

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

/** What this ring's rows hold now (a writer's first write after taking the lease). */
export async function loadKnown(c: pg.PoolClient, s: string, ring: string): Promise<Known> {
  const r = await c.query<{ modules: Record<string, unknown> | null; q: unknown; ring: RingRow | null }>(
    `SELECT (SELECT json_object_agg(module, entry) FROM ${s}.deployed_modules WHERE ring = $1) AS modules,
            (SELECT coalesce(json_agg(entry ORDER BY position), '[]') FROM ${s}.quarantine WHERE ring = $1) AS q,
            (SELECT row_to_json(r) FROM ${s}.rings r WHERE ring = $1) AS ring`,
    [ring],
  );
  const row = r.rows[0]!;
  return {
    modules: new Map(Object.entries(row.modules ?? {}).map(([k, v]) => [k, JSON.stringify(v)])),
    quarantine: JSON.stringify(row.q ?? []),
    ring: JSON.stringify(ringPart(row.ring ? fromRows(row.ring, {}, []) : undefined)),
  };
}

/** A SQL literal: a quoted string (escaped by the driver), a whole number, or NULL. */
export type Lit = (v: string | number | null | undefined) => string;

/**
 * The statements that bring the ring's rows from `known` to `state` (only what changed), to run inside the writer's
 * fenced transaction; with the state they leave behind and the modules that changed.
 */
export function stateStatements(
  lit: Lit,
  s: string,
  ring: string,
  known: Known,
  state: DeployedState,
  token: number,
): { stmts: string[]; known: Known; changed: string[] } {
  const stmts: string[] = [];
  const changed: string[] = [];
  const next = new Map<string, string>();
  const rows: string[] = [];
  for (const [name, m] of Object.entries(state.modules)) {
    const json = JSON.stringify(m);
    next.set(name, json);
    if (known.modules.get(name) === json) continue;
    changed.push(name);
    rows.push(
      `(${[ring, name, m.active.version, m.active.sha256, m.status, m.origin, m.path, m.since, json, token].map(lit).join(',')},now())`,
    );
  }
  if (rows.length > 0)
    stmts.push(`INSERT INTO ${s}.deployed_modules (ring, module, version, content_hash, status, origin, path, since, entry, token, updated_at)
       VALUES ${rows.join(',')}
       ON CONFLICT (ring, module) DO UPDATE SET version = EXCLUDED.version, content_hash = EXCLUDED.content_hash,
         status = EXCLUDED.status, origin = EXCLUDED.origin, path = EXCLUDED.path, since = EXCLUDED.since,
         entry = EXCLUDED.entry, token = EXCLUDED.token, updated_at = now()`);
  const gone = [...known.modules.keys()].filter((n) => !next.has(n));
  if (gone.length > 0) {
    changed.push(...gone);
    stmts.push(
      `DELETE FROM ${s}.deployed_modules WHERE ring = ${lit(ring)} AND module IN (${gone.map(lit).join(',')})`,
    );
  }
  const q = JSON.stringify(state.quarantine);
  if (q !== known.quarantine) {
    stmts.push(`DELETE FROM ${s}.quarantine WHERE ring = ${lit(ring)}`);
    if (state.quarantine.length > 0)
      stmts.push(
        `INSERT INTO ${s}.quarantine (ring, position, module, version, integrity, content_hash, reason, at, entry) VALUES ${state.quarantine
          .map(
            (e, i) =>
              `(${[ring, i, e.module, e.version, e.integrity, e.sha256, e.reason, e.at, JSON.stringify(e)].map(lit).join(',')})`,
          )
          .join(',')}`,
      );
  }
  const ringJson = JSON.stringify(ringPart(state));
  if (ringJson !== known.ring || changed.length > 0 || q !== known.quarantine) {
    const rp = ringPart(state);
    const values = [
      ring,
      rp.lockCommit,
      json(rp.tenants),
      json(rp.blocked),
      json(rp.unlinked),
      json(Object.keys(rp.extra).length > 0 ? rp.extra : undefined),
      token,
    ].map(lit);
    stmts.push(`INSERT INTO ${s}.rings (ring, lock_commit, tenants, blocked, unlinked, extra, token, updated_at)
       VALUES (${values.join(',')},now())
       ON CONFLICT (ring) DO UPDATE SET lock_commit = EXCLUDED.lock_commit, tenants = EXCLUDED.tenants,
         blocked = EXCLUDED.blocked, unlinked = EXCLUDED.unlinked, extra = EXCLUDED.extra, token = EXCLUDED.token,
         updated_at = now()`);
  }
  return { stmts, known: { modules: next, quarantine: q, ring: ringJson }, changed };
}

/** The values of one history row, in the column order of HISTORY_COLUMNS. */
export function historyValues(
  r: HistoryRecord,
  ring: string,
  token: number | null,
): (string | number | null | undefined)[] {
  return [
    r.id,
    ring,
    r.module,
    r.op,
    r.from,
    r.to,
    r.sha256,
    r.integrity,
    r.actor,
    r.lockCommit,
    r.reason,
    r.outcome,
    r.error,
    r.startedAt,
    r.finishedAt,
    token,
    JSON.stringify(r),
  ];
}

export const HISTORY_COLUMNS =
  'id, ring, module, op, from_version, to_version, content_hash, integrity, actor, lock_commit, reason, outcome, error, started_at, finished_at, token, record';

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
