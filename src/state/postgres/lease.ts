// One writer per ring among replicas: a lease row with a fencing token, held through a dedicated connection.
// A contender takes the lease when it is free, expired, or its holder's connection is gone from pg_stat_activity (a
// killed process's connection closes at once, so a standby takes over within a poll; a paused or partitioned holder
// keeps its connection, and is replaced once its lease expires). Each takeover adds one to the token; every state
// write checks it (ops.ts), so a former leader's writes are refused.
import pg from 'pg';
import { quoteIdent } from './migrations.js';
import type { PgStoreOptions } from './options.js';

export interface Held {
  holder: string;
  token: number;
}

/** The lease is held by someone else and the wait ran out. */
export class LeaseHeld extends Error {
  constructor(
    message: string,
    readonly holder: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LeaseKeeper {
  held?: Held;
  /** The lease this process held until it was lost: its writes are still sent, to be refused by the fence. */
  formerly?: Held;
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  /** When the last renewal succeeded (monotonic ms): past the TTL without one, the lease counts as lost. */
  private renewedAt = 0;
  private renewing = false;
  private lastSent = 0;
  private lostReason?: string;
  onLost?: (reason: string) => void;
  private readonly s: string;

  /** The lease's row: the ring (its writer lease), or `leader/<ring>` (which of a ring's daemons leads). */
  readonly key: string;
  private readonly kind: 'lease' | 'leader';

  constructor(
    private readonly o: PgStoreOptions,
    private readonly channel: string,
    role: 'writer' | 'leader' = 'writer',
  ) {
    this.s = quoteIdent(o.schema);
    this.key = role === 'writer' ? o.ring : `leader/${o.ring}`;
    this.kind = role === 'writer' ? 'lease' : 'leader';
  }

  private async conn(): Promise<pg.Client> {
    if (this.client) return this.client;
    const c = new pg.Client({
      connectionString: this.o.url,
      connectionTimeoutMillis: this.o.connectTimeoutMs,
      application_name: `${this.o.applicationName}:lease`.slice(0, 63),
      statement_timeout: this.o.statementTimeoutMs,
      // A renewal that hangs (a half-open connection) must end before the lease does.
      query_timeout: this.renewEveryMs(),
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
    });
    const gone = () => {
      if (this.client !== c) return;
      this.client = undefined;
      // The connection is what tells a contender this holder is alive: register the new one at once.
      if (this.held) setTimeout(() => void this.renew(), 100).unref();
    };
    c.on('error', gone);
    c.on('end', gone);
    await c.connect();
    this.client = c;
    return c;
  }

  /** Takes the lease for `holder`, waiting up to `timeoutMs` (Infinity: a standby waits until it leads). */
  async acquire(holder: string, timeoutMs: number): Promise<Held> {
    if (this.held) throw new Error(`this process already holds the lease of ring "${this.o.ring}"`);
    const deadline = performance.now() + timeoutMs;
    this.lostReason = undefined;
    this.formerly = undefined;
    for (;;) {
      let current: { holder: string | null; expires: string } | undefined;
      try {
        const sent = performance.now();
        const r = await this.tryTake(holder);
        if ('token' in r) {
          this.held = { holder, token: r.token };
          this.renewedAt = sent;
          this.lastSent = sent;
          this.timer = setInterval(
            () => this.tick(),
            Math.max(100, Math.min(this.renewEveryMs(), this.marginMs() / 2)),
          );
          return this.held;
        }
        current = r;
      } catch (e) {
        // The database is unreachable or restarting: a standby keeps waiting; a bounded wait ends with the error.
        if (performance.now() + this.o.pollMs > deadline) throw e;
      }
      if (performance.now() + this.o.pollMs > deadline)
        throw new LeaseHeld(
          `ring "${this.o.ring}" is being changed by ${current?.holder ?? 'another writer'} (lease until ${current?.expires ?? '?'})`,
          current?.holder ?? 'another writer',
        );
      await sleep(this.o.pollMs);
    }
  }

  /** How often a holder renews: often enough that a contender can tell a dead holder within a few seconds. */
  private renewEveryMs(): number {
    return Math.max(200, Math.min(1_000, Math.floor(this.o.leaseTtlMs / 3)));
  }

  /** A holder whose connection is gone and that has not renewed for this long may be taken over (three renewals). */
  private goneAfterMs(): number {
    return 3 * this.renewEveryMs();
  }

  /**
   * Whether this process may still act as the holder: it holds the lease and its last successful renewal was *sent*
   * less than the TTL minus a margin ago (the database's expiry is later than that, so no contender can have taken it).
   */
  current(): boolean {
    return (
      this.held !== undefined &&
      performance.now() < this.renewedAt + Math.min(this.o.leaseTtlMs, this.goneAfterMs()) - this.marginMs()
    );
  }

  /** Ends this holder's own view of its lease this long before the earliest takeover (by expiry or a gone connection). */
  private marginMs(): number {
    return Math.floor(this.renewEveryMs() / 2);
  }

  private async tryTake(
    holder: string,
  ): Promise<{ token: number } | { holder: string | null; expires: string }> {
    const c = await this.conn();
    await c.query(`INSERT INTO ${this.s}.leases (ring) VALUES ($1) ON CONFLICT (ring) DO NOTHING`, [
      this.key,
    ]);
    await c.query('BEGIN');
    try {
      const r = await c.query<{ holder: string | null; expires: Date; takeable: boolean }>(
        `SELECT holder, expires_at AS expires,
                (holder IS NULL OR expires_at < now()
                 -- The holder's connection is gone: it died, unless the server restarted since it last renewed
                 -- (then every connection went) or it renewed too recently to have reconnected yet.
                 OR (holder_pid IS NOT NULL
                     AND renewed_at > pg_postmaster_start_time()
                     AND renewed_at < now() - $2 * interval '1 millisecond'
                     AND NOT EXISTS (
                       SELECT 1 FROM pg_stat_activity a WHERE a.pid = l.holder_pid
                          AND (a.backend_start IS NULL OR a.backend_start = l.holder_backend_start)))) AS takeable
           FROM ${this.s}.leases l WHERE ring = $1 FOR UPDATE`,
        [this.key, this.goneAfterMs()],
      );
      const row = r.rows[0]!;
      if (!row.takeable) {
        await c.query('ROLLBACK');
        return { holder: row.holder, expires: new Date(row.expires).toISOString() };
      }
      const t = await c.query<{ token: string }>(
        `UPDATE ${this.s}.leases SET token = token + 1, holder = $2, holder_pid = pg_backend_pid(),
                holder_backend_start = (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()),
                acquired_at = now(), renewed_at = now(), expires_at = now() + $3 * interval '1 millisecond'
          WHERE ring = $1 RETURNING token`,
        [this.key, holder, this.o.leaseTtlMs],
      );
      const token = Number(t.rows[0]!.token);
      await c.query('SELECT pg_notify($1, $2)', [
        this.channel,
        JSON.stringify({
          v: 1,
          ring: this.o.ring,
          kind: this.kind,
          holder,
          token,
          previous: row.holder,
          at: new Date().toISOString(),
        }),
      ]);
      await c.query('COMMIT');
      return { token };
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /** Checks the local deadline often (a hung renewal must not hide it), and renews every renewEveryMs. */
  private tick(): void {
    if (!this.held) return;
    if (!this.current() || performance.now() - this.lastSent >= this.renewEveryMs()) void this.renew();
  }

  private async renew(): Promise<void> {
    const h = this.held;
    if (!h) return;
    // Past the TTL without a renewal the lease has expired for sure: lost. Before that, a holder that cannot renew
    // only stops acting (current() is false: no switch or hook starts), and acts again once a renewal finds its token
    // unchanged — nobody took the lease meanwhile.
    if (performance.now() > this.renewedAt + this.o.leaseTtlMs) {
      this.markLost(
        `the ${this.kind === 'leader' ? 'leadership' : 'writer lease'} of ring "${this.o.ring}" could not be renewed before it expired`,
      );
      return;
    }
    if (this.renewing) return;
    this.renewing = true;
    const sent = performance.now();
    this.lastSent = sent;
    try {
      const c = await this.conn();
      const r = await c.query(
        `UPDATE ${this.s}.leases SET renewed_at = now(), expires_at = now() + $4 * interval '1 millisecond',
                holder_pid = pg_backend_pid(),
                holder_backend_start = (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid())
          WHERE ring = $1 AND token = $2 AND holder = $3 AND expires_at > now()`,
        [this.key, h.token, h.holder, this.o.leaseTtlMs],
      );
      if (this.held !== h) return;
      // Expired (this process was paused past its TTL) or taken: either way another may be leading now.
      if (r.rowCount === 0)
        this.markLost(
          `the ${this.kind === 'leader' ? 'leadership' : 'writer lease'} of ring "${this.o.ring}" expired or was taken over`,
        );
      else this.renewedAt = sent;
    } catch {
      // A renewal that failed or timed out may sit on a half-open connection: drop it, the next tick reconnects; the
      // local deadline (above) decides when it is too late.
      const c = this.client;
      this.client = undefined;
      c?.end().catch(() => undefined);
    } finally {
      this.renewing = false;
    }
  }

  /** Stops renewing and tells the holder (once). */
  markLost(reason: string): void {
    if (!this.held || this.lostReason) return;
    this.lostReason = reason;
    this.stopTimer();
    this.formerly = this.held;
    this.held = undefined;
    this.onLost?.(reason);
  }

  async release(): Promise<void> {
    const h = this.held;
    this.held = undefined;
    this.formerly = undefined;
    this.stopTimer();
    if (!h) return;
    try {
      const c = await this.conn();
      await c.query(
        `UPDATE ${this.s}.leases SET holder = NULL, holder_pid = NULL, holder_backend_start = NULL,
                expires_at = '-infinity' WHERE ring = $1 AND token = $2 AND holder = $3`,
        [this.key, h.token, h.holder],
      );
      await c.query('SELECT pg_notify($1, $2)', [
        this.channel,
        JSON.stringify({
          v: 1,
          ring: this.o.ring,
          kind: this.kind,
          holder: null,
          token: h.token,
          at: new Date(),
        }),
      ]);
    } catch {
      // Unreachable: the lease expires by itself, and the connection's end frees it for a contender at once.
    }
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    await this.release();
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}
