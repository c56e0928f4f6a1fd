// The fleet view's history reads: one module's timeline across rings (or in one), newest first, a page at a time.
// Read-only, like fleet.ts; the page is one backward scan of history (module, seq) or (ring, module, seq).
import { InputError } from '../../errors.js';
import type { FleetLastOp } from './fleet.js';
import { iso, type Queryable, readOnly } from './fleet.js';
import { quoteIdent } from './migrations.js';

/** One history record in a module's timeline: its sequence number (the page cursor) and the record as written. */
export interface TimelineRecord extends FleetLastOp {
  seq: number;
  ring: string;
  error: string | null;
  startedAt: string;
}

export interface Timeline {
  module: string;
  /** Records of the module (in the rings asked for) in all. */
  total: number;
  /** Newest first. */
  records: TimelineRecord[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: number | null;
}

export interface TimelineQuery {
  module: string;
  ring?: string;
  limit: number;
  /** Only records older than this sequence number (the previous page's nextBefore). */
  before?: number;
}

/**
 * The history query of `status --history`: one page of a module's records, newest first. Served by the indexes
 * history (module, seq) and, with a ring, history (ring, module, seq): a backward index scan that stops at `limit`.
 */
export function timelineSql(schema: string, q: Omit<TimelineQuery, 'module' | 'limit'>): string {
  const s = quoteIdent(schema);
  const conds = ['module = $1'];
  if (q.ring !== undefined) conds.push('ring = $3');
  if (q.before !== undefined) conds.push(`seq < $${q.ring !== undefined ? 4 : 3}`);
  return `SELECT seq, ring, op, from_version, to_version, outcome, actor, lock_commit, reason, error,
                 ${iso('started_at')} AS started_at, ${iso('finished_at')} AS finished_at
            FROM ${s}.history WHERE ${conds.join(' AND ')} ORDER BY seq DESC LIMIT $2`;
}

/** timelineSql's parameters, in its order. */
export function timelineParams(q: TimelineQuery): unknown[] {
  return [
    q.module,
    q.limit,
    ...(q.ring !== undefined ? [q.ring] : []),
    ...(q.before !== undefined ? [q.before] : []),
  ];
}

/** One module's timeline across rings (or in one), a page at a time. */
export async function readTimeline(db: Queryable, schema: string, q: TimelineQuery): Promise<Timeline> {
  if (!Number.isInteger(q.limit) || q.limit < 1)
    throw new InputError('cli/limit', `limit ${q.limit}: not a positive integer`);
  const s = quoteIdent(schema);
  return readOnly(db, async () => {
    const page = await db.query<{
      seq: string;
      ring: string;
      op: string;
      from_version: string | null;
      to_version: string | null;
      outcome: string;
      actor: string;
      lock_commit: string | null;
      reason: string | null;
      error: string | null;
      started_at: string;
      finished_at: string;
    }>(timelineSql(schema, q), timelineParams(q));
    const count = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${s}.history WHERE module = $1${q.ring !== undefined ? ' AND ring = $2' : ''}`,
      q.ring !== undefined ? [q.module, q.ring] : [q.module],
    );
    const records = page.rows.map((h) => ({
      seq: Number(h.seq),
      ring: h.ring,
      op: h.op,
      from: h.from_version,
      to: h.to_version,
      outcome: h.outcome,
      actor: h.actor,
      lockCommit: h.lock_commit,
      reason: h.reason,
      error: h.error,
      startedAt: h.started_at,
      finishedAt: h.finished_at,
    }));
    const last = records.at(-1);
    let nextBefore: number | null = null;
    if (last && records.length === q.limit) {
      const more = await db.query(
        `SELECT 1 FROM ${s}.history WHERE module = $1 AND seq < $2${q.ring !== undefined ? ' AND ring = $3' : ''} LIMIT 1`,
        q.ring !== undefined ? [q.module, last.seq, q.ring] : [q.module, last.seq],
      );
      if (more.rows.length > 0) nextBefore = last.seq;
    }
    return { module: q.module, total: Number(count.rows[0]?.n ?? 0), records, nextBefore };
  });
}
