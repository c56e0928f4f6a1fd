// What the PostgreSQL store does, asynchronously, on the worker thread that owns the connections (bridge.ts calls it
// from the main thread). One ring's deployed state, journal, quarantine, suspension and append-only history; every
// state-writing transaction is fenced by the writer's lease token and announces itself on the change feed.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type {
  DeployedModule,
  DeployedState,
  HistoryRecord,
  JournalEntry,
  LeaseInfo,
  QuarantineEntry,
  Suspension,
} from '../types.js';
import { LeaseKeeper } from './lease.js';
import { applyMigrations, NewerSchemaError, schemaVersion } from './migrate.js';
import { changeChannel, quoteIdent, SCHEMA_VERSION } from './migrations.js';
import type { PgStoreOptions } from './options.js';
import {
  fromRows,
  HISTORY_COLUMNS,
  historyValues,
  type Known,
  type Lit,
  loadKnown,
  type RingRow,
  stateStatements,
} from './rows.js';

/** What one transaction writes: any of the state, history records and the journal (null clears it). */
export interface PgBatch {
  state?: DeployedState;
  records?: HistoryRecord[];
  journal?: JournalEntry | null;
  /** False: the journal's intent may be lost on a crash of the database (synchronous_commit off for this one). */
  durable?: boolean;
}

/** The fence's exception text (raised by the DO block when the writer's lease is not current). */
const FENCED = 'ringlock: the writer lease is not current';
/** Its SQLSTATE (class RL: ringlock's own). */
const FENCED_CODE = 'RL001';

/** Values as SQL literals, escaped by the driver (strings), checked (numbers), or NULL. */
function literal(c: pg.PoolClient): Lit {
  return (v) => {
    if (v === null || v === undefined) return 'NULL';
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new Error(`not a whole number: ${v}`);
      return String(v);
    }
    return c.escapeLiteral(v);
  };
}

/** A write refused because the lease (token) is not the writer's any more. */
export class LeaseLost extends Error {
  readonly code = 'state/lease-lost';
}

export class PgState {
  readonly pool: pg.Pool;
  private readonly s: string;
  private readonly channel: string;
  readonly lease: LeaseKeeper;
  /** Which of the ring's daemons leads (follows git and applies); the others wait as standbys. */
  readonly leadership: LeaseKeeper;
  /** The state as last read or written by this writer, by module (JSON), to write only what changed. */
  private known?: Known;

  constructor(readonly o: PgStoreOptions) {
    this.pool = new pg.Pool({
      connectionString: o.url,
      max: o.poolMax,
      connectionTimeoutMillis: o.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: o.applicationName,
      statement_timeout: o.statementTimeoutMs,
    });
    // An idle client's error (the server restarted): the pool drops it; the next query reconnects.
    this.pool.on('error', () => undefined);
    this.s = quoteIdent(o.schema);
    this.channel = changeChannel(o.schema);
    this.lease = new LeaseKeeper(o, this.channel);
    this.leadership = new LeaseKeeper(o, this.channel, 'leader');
  }

  /** Forgets what this writer last stored: another writer may have changed the ring since (a new lease). */
  forget(): void {
    this.known = undefined;
  }

  async init(): Promise<void> {
    const c = await this.pool.connect();
    try {
      if (this.o.migrate) await applyMigrations(c, this.o.schema);
      else {
        const v = await schemaVersion(c, this.o.schema);
        if (v > SCHEMA_VERSION) throw new NewerSchemaError(this.o.schema, v);
        if (v < SCHEMA_VERSION)
          throw new Error(
            `schema "${this.o.schema}" is at version ${v}, this ringlock needs ${SCHEMA_VERSION} (RINGLOCK_STATE_MIGRATE=false): an owner runs ringlock state schema --apply`,
          );
      }
    } finally {
      c.release();
    }
  }

  async close(): Promise<void> {
    await this.lease.close();
    await this.leadership.close();
    await this.pool.end().catch(() => undefined);
  }

  async read(): Promise<DeployedState> {
    const r = await this.pool.query<{
      ring: RingRow | null;
      modules: Record<string, DeployedModule>;
      q: unknown[];
    }>(
      `SELECT (SELECT row_to_json(r) FROM ${this.s}.rings r WHERE ring = $1) AS ring,
              (SELECT coalesce(json_object_agg(module, entry ORDER BY module), '{}') FROM ${this.s}.deployed_modules WHERE ring = $1) AS modules,
              (SELECT coalesce(json_agg(entry ORDER BY position), '[]') FROM ${this.s}.quarantine WHERE ring = $1) AS q`,
      [this.o.ring],
    );
    const row = r.rows[0]!;
    return fromRows(row.ring, row.modules, row.q as QuarantineEntry[]);
  }

  /**
   * One transaction in one round trip: the lease check (a DO block that raises when the writer's token is not the
   * lease's, locking the lease row until commit), the state rows that changed, the history records, the journal and
   * the change feed's NOTIFY, sent as one batch of statements with the values as escaped literals.
   */
  async commit(b: PgBatch, writer: { holder: string; token: number } | undefined): Promise<void> {
    if (!writer)
      throw new LeaseLost(`ring "${this.o.ring}": state is written only by the holder of the writer lease`);
    const c = await this.pool.connect();
    try {
      const lit = literal(c);
      const { token } = writer;
      const ring = lit(this.o.ring);
      const known = b.state ? (this.known ?? (await loadKnown(c, this.s, this.o.ring))) : undefined;
      const tag = `$rl${randomBytes(6).toString('hex')}$`;
      const stmts = ['BEGIN'];
      if (b.durable === false) stmts.push('SET LOCAL synchronous_commit = off');
      stmts.push(
        `DO ${tag} BEGIN PERFORM 1 FROM ${this.s}.leases WHERE ring = ${ring} AND token = ${lit(token)} AND holder = ${lit(writer.holder)} AND expires_at > now() FOR UPDATE; IF NOT FOUND THEN RAISE EXCEPTION '${FENCED}' USING ERRCODE = '${FENCED_CODE}'; END IF; END ${tag}`,
      );
      const changed: string[] = [];
      let after: Known | undefined;
      if (b.state && known) {
        const w = stateStatements(lit, this.s, this.o.ring, known, b.state, token);
        stmts.push(...w.stmts);
        changed.push(...w.changed);
        after = w.known;
      }
      if (b.records && b.records.length > 0)
        stmts.push(
          `INSERT INTO ${this.s}.history (${HISTORY_COLUMNS}) VALUES ${b.records
            .map((r) => `(${historyValues(r, this.o.ring, token).map(lit).join(',')})`)
            .join(',')} ON CONFLICT (id) DO NOTHING`,
        );
      if (b.journal === null) stmts.push(`DELETE FROM ${this.s}.journal WHERE ring = ${ring}`);
      else if (b.journal) {
        const j = b.journal;
        stmts.push(
          `INSERT INTO ${this.s}.journal (ring, id, phase, module, entry, token, written_at)
           VALUES (${[this.o.ring, j.id, j.phase, j.module, JSON.stringify(j), token].map(lit).join(',')}, now())
           ON CONFLICT (ring) DO UPDATE SET id = EXCLUDED.id, phase = EXCLUDED.phase, module = EXCLUDED.module,
             entry = EXCLUDED.entry, token = EXCLUDED.token, written_at = now()`,
        );
      }
      const last = b.records?.at(-1);
      const kind = last ? 'history' : b.state ? 'state' : 'journal';
      const payload = this.payload({
        kind,
        token,
        modules: changed,
        ...(last
          ? { record: { id: last.id, module: last.module, op: last.op, to: last.to, outcome: last.outcome } }
          : {}),
        ...(b.journal ? { journal: { phase: b.journal.phase, module: b.journal.module } } : {}),
      });
      stmts.push(`SELECT pg_notify(${lit(this.channel)}, ${lit(payload)})`, 'COMMIT');
      try {
        await c.query(stmts.join(';\n'));
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        if ((e as { code?: string }).code === FENCED_CODE) await this.refuse(c, writer);
        throw e;
      }
      if (after) this.known = after;
    } catch (e) {
      this.known = undefined;
      throw e;
    } finally {
      c.release();
    }
  }

  /** The fence refused this writer: says why (taken over, or expired), marks the lease lost, and throws. */
  private async refuse(c: pg.PoolClient, writer: { holder: string; token: number }): Promise<never> {
    const r = await c.query<{ token: string; holder: string | null; live: boolean }>(
      `SELECT token, holder, expires_at > now() AS live FROM ${this.s}.leases WHERE ring = $1`,
      [this.o.ring],
    );
    const row = r.rows[0];
    const mine = row && Number(row.token) === writer.token && row.holder === writer.holder;
    const why = mine
      ? 'its lease expired (the process was paused or cut off past the TTL)'
      : `it lost its lease to ${row?.holder ?? 'nobody'} (token ${row?.token ?? '-'})`;
    this.lease.markLost(`ring "${this.o.ring}": ${why}`);
    throw new LeaseLost(
      `ring "${this.o.ring}": this writer (${writer.holder}, token ${writer.token}) may not write: ${why}; its write was refused`,
    );
  }

  private async insertRecord(c: pg.PoolClient, r: HistoryRecord, token: number | null): Promise<boolean> {
    const v = historyValues(r, this.o.ring, token).map((x) => x ?? null);
    const res = await c.query(
      `INSERT INTO ${this.s}.history (${HISTORY_COLUMNS})
       VALUES (${v.map((_, i) => `$${i + 1}`).join(',')}) ON CONFLICT (id) DO NOTHING`,
      v,
    );
    return (res.rowCount ?? 0) > 0;
  }

  /** History records of this ring, oldest first (one module's when given). */
  async history(module?: string): Promise<HistoryRecord[]> {
    const r = await this.pool.query<{ record: HistoryRecord }>(
      module === undefined
        ? `SELECT record FROM ${this.s}.history WHERE ring = $1 ORDER BY seq`
        : `SELECT record FROM ${this.s}.history WHERE ring = $1 AND module = $2 ORDER BY seq`,
      module === undefined ? [this.o.ring] : [this.o.ring, module],
    );
    return r.rows.map((x) => x.record);
  }

  async readJournal(): Promise<JournalEntry | undefined> {
    const r = await this.pool.query<{ entry: JournalEntry }>(
      `SELECT entry FROM ${this.s}.journal WHERE ring = $1`,
      [this.o.ring],
    );
    return r.rows[0]?.entry;
  }

  async suspension(): Promise<Suspension | undefined> {
    const r = await this.pool.query<{ suspension: Suspension | null }>(
      `SELECT suspension FROM ${this.s}.rings WHERE ring = $1`,
      [this.o.ring],
    );
    return r.rows[0]?.suspension ?? undefined;
  }

  /** An operator's decision, not the writer's: no lease needed. */
  async suspend(s: Suspension | null): Promise<boolean> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const before = await c.query<{ suspension: unknown }>(
        `SELECT suspension FROM ${this.s}.rings WHERE ring = $1 FOR UPDATE`,
        [this.o.ring],
      );
      const was = before.rows[0]?.suspension != null;
      await c.query(
        `INSERT INTO ${this.s}.rings (ring, suspension, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (ring) DO UPDATE SET suspension = EXCLUDED.suspension, updated_at = now()`,
        [this.o.ring, s === null ? null : JSON.stringify(s)],
      );
      await this.notify(c, { kind: 'suspension', suspended: s !== null });
      await c.query('COMMIT');
      return was;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  /** Records migrated from another store: each once (by id), in the given order; returns how many were new. */
  async importRecords(records: HistoryRecord[]): Promise<number> {
    const c = await this.pool.connect();
    let n = 0;
    try {
      await c.query('BEGIN');
      for (const r of records) if (await this.insertRecord(c, r, null)) n++;
      await this.notify(c, { kind: 'history', imported: n });
      await c.query('COMMIT');
      return n;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  /** Who leads the ring (read only: a standby's /status names its leader); undefined when nobody does. */
  async leaseInfo(): Promise<LeaseInfo | undefined> {
    const r = await this.pool.query<{
      holder: string | null;
      token: string;
      since: Date | null;
      live: boolean;
    }>(
      `SELECT holder, token, acquired_at AS since, expires_at >= now() AS live FROM ${this.s}.leases WHERE ring = $1`,
      [this.leadership.key],
    );
    const row = r.rows[0];
    if (!row?.holder || !row.live) return undefined;
    return {
      holder: row.holder,
      token: Number(row.token),
      ...(row.since instanceof Date ? { since: row.since.toISOString() } : {}),
    };
  }

  /** Tells the leader (whichever replica holds the lease) that a verified push arrived. */
  async wake(commit?: string): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [
      this.channel,
      JSON.stringify({
        v: 1,
        ring: this.o.ring,
        kind: 'wake',
        ...(commit ? { commit } : {}),
        at: new Date(),
      }),
    ]);
  }

  /** The change feed's payload: at most 8,000 bytes (a long module list is cut, `more` says by how many). */
  private payload(payload: Record<string, unknown>): string {
    const body: Record<string, unknown> = {
      v: 1,
      ring: this.o.ring,
      ...payload,
      at: new Date().toISOString(),
    };
    let text = JSON.stringify(body);
    if (text.length > 7900 && Array.isArray(body.modules)) {
      const all = body.modules as string[];
      let keep = all.length;
      while (keep > 0 && text.length > 7900) {
        keep = Math.floor(keep / 2);
        text = JSON.stringify({ ...body, modules: all.slice(0, keep), more: all.length - keep });
      }
    }
    return text;
  }

  private async notify(c: pg.PoolClient, payload: Record<string, unknown>): Promise<void> {
    await c.query('SELECT pg_notify($1, $2)', [this.channel, this.payload(payload)]);
  }
}
