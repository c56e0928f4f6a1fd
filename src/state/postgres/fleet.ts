// The fleet view's reads of the shared store: every ring's deployed modules with their marks (status, blocked,
// quarantined, in flight) and the latest history record of each, and one module's timeline across rings. Read-only
// (SELECT on the schema is all it needs) and asynchronous: `ringlock status` uses `pg` directly, not the store's
// worker. Each read runs in one REPEATABLE READ READ ONLY transaction, so a snapshot is consistent across tables.
import type pg from 'pg';
import type { ModuleStatus } from '../types.js';
import { quoteIdent } from './migrations.js';

/** What the reads need of a connection (a pg.Client or a pg.Pool). */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/** The last operation recorded on a (ring, module). */
export interface FleetLastOp {
  op: string;
  from: string | null;
  to: string | null;
  outcome: string;
  actor: string;
  lockCommit: string | null;
  reason: string | null;
  finishedAt: string;
}

/** One ring × module cell, as the store has it. `version` and `status` are null when nothing is deployed there. */
export interface FleetCell {
  ring: string;
  module: string;
  version: string | null;
  contentHash: string | null;
  status: ModuleStatus | null;
  origin: 'lock' | 'imperative' | null;
  path: string | null;
  since: string | null;
  previous: string | null;
  lastError: string | null;
  failedVersion: string | null;
  /** The last plan could not bring the version the lock asks for. */
  blocked: { version: string | null; reason: string; since: string } | null;
  /** Versions quarantined here (failed their health check), oldest first. */
  quarantined: { version: string; reason: string; at: string }[];
  /** An operation in flight (or cut short, until the ring's next run recovers it). */
  inFlight: { phase: string; to: string | null } | null;
  last: FleetLastOp | null;
}

/** A cell with nothing known yet: a module the ring does not run (the lock may still pin it). */
export function blankCell(ring: string, module: string): FleetCell {
  return {
    ring,
    module,
    version: null,
    contentHash: null,
    status: null,
    origin: null,
    path: null,
    since: null,
    previous: null,
    lastError: null,
    failedVersion: null,
    blocked: null,
    quarantined: [],
    inFlight: null,
    last: null,
  };
}

export interface FleetRing {
  ring: string;
  lockCommit: string | null;
  suspension: { reason?: string; by: string; at: string } | null;
  updatedAt: string | null;
  /** The writer lease: who holds it, until when (a holder past expiresAt is replaced by the next contender). */
  lease: { holder: string | null; token: number; expiresAt: string | null } | null;
}

export interface FleetSnapshot {
  /** Every ring the store knows (a row in rings, leases or deployed_modules), sorted by name. */
  rings: FleetRing[];
  /** Sorted by module, then ring. */
  cells: FleetCell[];
}

export interface FleetFilter {
  ring?: string;
  module?: string;
}

/** The tables the fleet view reads; a schema without them was never migrated. */
export const FLEET_TABLES = [
  'rings',
  'leases',
  'deployed_modules',
  'quarantine',
  'journal',
  'history',
] as const;

/** A timestamptz as the file store writes times: ISO 8601 in UTC with milliseconds. */
export const iso = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The tables of FLEET_TABLES missing from `schema` (pg_catalog is readable by every role). */
export async function missingTables(db: Queryable, schema: string): Promise<string[]> {
  const r = await db.query<{ relname: string }>(
    `SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[])`,
    [schema, [...FLEET_TABLES]],
  );
  const found = new Set(r.rows.map((x) => x.relname));
  return FLEET_TABLES.filter((t) => !found.has(t));
}

/** `fn` in one REPEATABLE READ READ ONLY transaction (a consistent snapshot; no privilege beyond SELECT needed). */
export async function readOnly<T>(db: Queryable, fn: () => Promise<T>): Promise<T> {
  await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const out = await fn();
    await db.query('COMMIT');
    return out;
  } catch (e) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

function where(
  filter: FleetFilter,
  ringCol: string,
  moduleCol: string | undefined,
  params: unknown[],
): string {
  const conds: string[] = [];
  if (filter.ring !== undefined) {
    params.push(filter.ring);
    conds.push(`${ringCol} = $${params.length}`);
  }
  if (filter.module !== undefined && moduleCol !== undefined) {
    params.push(filter.module);
    conds.push(`${moduleCol} = $${params.length}`);
  }
  return conds.length > 0 ? `WHERE ${conds.join(' AND ')}` : '';
}

export interface FleetReadOptions {
  /**
   * The cells whose latest history record to read (default: all). Reading it is one index probe per cell, the most
   * of a big fleet's read: a caller that shows it for some cells only says which.
   */
  lastOpsFor?: (cells: FleetCell[]) => FleetCell[];
}

/** The rings × modules snapshot, filtered to one ring and/or one module. */
export async function readFleet(
  db: Queryable,
  schema: string,
  filter: FleetFilter = {},
  opts: FleetReadOptions = {},
): Promise<FleetSnapshot> {
  const s = quoteIdent(schema);
  return readOnly(db, async () => {
    const p1: unknown[] = [];
    const ringRows = await db.query<{
      ring: string;
      lock_commit: string | null;
      suspension: FleetRing['suspension'];
      blocked: Record<string, { version?: string; reason: string; since: string }> | null;
      updated_at: string | null;
      holder: string | null;
      token: string | null;
      expires_at: string | null;
    }>(
      `SELECT k.ring, r.lock_commit, r.suspension, r.blocked, ${iso('r.updated_at')} AS updated_at,
              coalesce(ld.holder, l.holder) AS holder, l.token,
              CASE WHEN l.expires_at = '-infinity' THEN NULL ELSE ${iso('l.expires_at')} END AS expires_at
         FROM (SELECT ring FROM ${s}.rings
               UNION SELECT ring FROM ${s}.leases WHERE ring NOT LIKE 'leader/%'
               UNION SELECT DISTINCT ring FROM ${s}.deployed_modules) k
         LEFT JOIN ${s}.rings r ON r.ring = k.ring
         LEFT JOIN ${s}.leases l ON l.ring = k.ring
         -- A ring run by daemon replicas: its leader (rows leader/<ring>, while the lease is live) is its writer.
         LEFT JOIN ${s}.leases ld ON ld.ring = 'leader/' || k.ring AND ld.holder IS NOT NULL AND ld.expires_at > now()
         ${where(filter, 'k.ring', undefined, p1)}
        ORDER BY k.ring`,
      p1,
    );
    const p2: unknown[] = [];
    const deployed = await db.query<{
      ring: string;
      module: string;
      version: string;
      content_hash: string;
      status: ModuleStatus;
      origin: 'lock' | 'imperative';
      path: string | null;
      since: string;
      previous: string | null;
      last_error: string | null;
      failed_version: string | null;
    }>(
      `SELECT ring, module, version, content_hash, status, origin, path, ${iso('since')} AS since,
              entry->'previous'->>'version' AS previous, entry->>'lastError' AS last_error,
              entry->>'failedVersion' AS failed_version
         FROM ${s}.deployed_modules ${where(filter, 'ring', 'module', p2)}`,
      p2,
    );
    const p3: unknown[] = [];
    const quarantine = await db.query<{
      ring: string;
      module: string;
      version: string;
      reason: string;
      at: string;
    }>(
      `SELECT ring, module, version, reason, ${iso('at')} AS at FROM ${s}.quarantine
        ${where(filter, 'ring', 'module', p3)} ORDER BY ring, position`,
      p3,
    );
    const p4: unknown[] = [];
    const journal = await db.query<{ ring: string; module: string; phase: string; to: string | null }>(
      `SELECT ring, module, phase, entry->'record'->>'to' AS to FROM ${s}.journal ${where(filter, 'ring', 'module', p4)}`,
      p4,
    );
    const cells = new Map<string, FleetCell>();
    const cell = (ring: string, module: string): FleetCell => {
      const key = `${module}\u0000${ring}`;
      let c = cells.get(key);
      if (!c) {
        c = blankCell(ring, module);
        cells.set(key, c);
      }
      return c;
    };
    for (const d of deployed.rows)
      Object.assign(cell(d.ring, d.module), {
        version: d.version,
        contentHash: d.content_hash,
        status: d.status,
        origin: d.origin,
        path: d.path,
        since: d.since,
        previous: d.previous,
        lastError: d.last_error,
        failedVersion: d.failed_version,
      });
    for (const r of ringRows.rows)
      for (const [module, b] of Object.entries(r.blocked ?? {}))
        if (filter.module === undefined || module === filter.module)
          cell(r.ring, module).blocked = { version: b.version ?? null, reason: b.reason, since: b.since };
    for (const q of quarantine.rows)
      cell(q.ring, q.module).quarantined.push({ version: q.version, reason: q.reason, at: q.at });
    for (const j of journal.rows) cell(j.ring, j.module).inFlight = { phase: j.phase, to: j.to };
    const all = [...cells.values()];
    await attachLastOps(db, s, opts.lastOpsFor ? opts.lastOpsFor(all) : all);
    return {
      rings: ringRows.rows.map((r) => ({
        ring: r.ring,
        lockCommit: r.lock_commit,
        suspension: r.suspension,
        updatedAt: r.updated_at,
        lease:
          r.token === null ? null : { holder: r.holder, token: Number(r.token), expiresAt: r.expires_at },
      })),
      cells: [...cells.values()].sort((a, b) =>
        a.module < b.module ? -1 : a.module > b.module ? 1 : a.ring < b.ring ? -1 : a.ring > b.ring ? 1 : 0,
      ),
    };
  });
}

/** The newest history record of each cell: one probe of history (ring, module, seq) per cell. */
async function attachLastOps(db: Queryable, s: string, cells: FleetCell[]): Promise<void> {
  if (cells.length === 0) return;
  const r = await db.query<{
    ring: string;
    module: string;
    op: string;
    from_version: string | null;
    to_version: string | null;
    outcome: string;
    actor: string;
    lock_commit: string | null;
    reason: string | null;
    finished_at: string;
  }>(
    `SELECT c.ring, c.module, h.op, h.from_version, h.to_version, h.outcome, h.actor, h.lock_commit, h.reason,
            ${iso('h.finished_at')} AS finished_at
       FROM unnest($1::text[], $2::text[]) AS c(ring, module)
       CROSS JOIN LATERAL (
         SELECT * FROM ${s}.history x WHERE x.ring = c.ring AND x.module = c.module ORDER BY x.seq DESC LIMIT 1
       ) h`,
    [cells.map((c) => c.ring), cells.map((c) => c.module)],
  );
  const byKey = new Map(cells.map((c) => [`${c.module}\u0000${c.ring}`, c]));
  for (const h of r.rows) {
    const c = byKey.get(`${h.module}\u0000${h.ring}`);
    if (c)
      c.last = {
        op: h.op,
        from: h.from_version,
        to: h.to_version,
        outcome: h.outcome,
        actor: h.actor,
        lockCommit: h.lock_commit,
        reason: h.reason,
        finishedAt: h.finished_at,
      };
  }
}
