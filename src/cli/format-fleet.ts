// `ringlock status` for a terminal: the rings, the modules × rings matrix (version and marks per cell), the cells'
// details (since, actor, lock commit, why), and a module's timeline across rings.
import type { Timeline } from '../state/postgres/fleet-timeline.js';
import { type FleetView, needsAttention, type ViewCell } from './fleet-view.js';
import { type Io, paint, table } from './output.js';

/** A git commit as people quote it (12 hex digits); anything else as written. */
export function shortCommit(c: string | null | undefined): string {
  if (!c) return '-';
  return /^[0-9a-f]{40,64}$/.test(c) ? c.slice(0, 12) : c;
}

/** An ISO time in minutes, UTC: `2026-11-02 14:05Z`. */
export function shortTime(t: string | null | undefined): string {
  if (!t) return '-';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(t);
  return m ? `${m[1]} ${m[2]}Z` : t;
}

/** The marks of a cell, as words: what is not plainly "active as the lock pins it". */
export function marks(c: ViewCell): string[] {
  const out: string[] = [];
  if (c.status !== null && c.status !== 'active') out.push(c.status);
  if (c.inFlight) out.push(`in flight${c.inFlight.to ? ` → ${c.inFlight.to}` : ''}`);
  if (c.blocked) out.push(`blocked${c.blocked.version ? ` ${c.blocked.version}` : ''}`);
  for (const q of c.quarantined) out.push(`quarantined ${q.version}`);
  const p = c.pending;
  if (p)
    out.push(
      p.kind === 'change'
        ? `pending → ${p.version}`
        : p.kind === 'install'
          ? `pending ${p.version} (not deployed)`
          : p.kind === 'content'
            ? 'pending (content differs)'
            : p.kind === 'not-in-lock'
              ? 'not in lock'
              : `pending ${p.kind}`,
    );
  return out;
}

function cellText(io: Io, c: ViewCell | undefined): string {
  if (!c) return '-';
  const m = marks(c);
  const version = c.version ?? '-';
  if (m.length === 0) return version;
  const bad = c.status === 'failed' || c.status === 'rolled_back' || c.blocked || c.quarantined.length > 0;
  return `${version} ${paint(io, bad ? 'red' : 'yellow', `[${m.join(', ')}]`)}`;
}

/** Why a cell is as it is, in one line. */
function note(c: ViewCell): string {
  const out: string[] = [];
  if (c.blocked) out.push(`blocked: ${c.blocked.reason}`);
  for (const q of c.quarantined) out.push(`quarantined ${q.version}: ${q.reason}`);
  if (c.lastError) out.push(`error: ${c.lastError}`);
  if (c.pending?.kind === 'change') out.push(`the lock pins ${c.pending.version}`);
  if (c.pending?.kind === 'install') out.push(`the lock pins ${c.pending.version}, not deployed`);
  if (c.last?.reason) out.push(`reason: ${c.last.reason}`);
  return out.join('; ');
}

/** `module`: the one module asked for (--module), to say so when nothing has it. */
export function formatFleet(io: Io, view: FleetView, full: boolean, module?: string): string {
  let s = '';
  if (view.rings.length === 0) return 'no rings in the store yet\n';
  const deployed = new Map<string, number>();
  for (const c of view.cells) if (c.version !== null) deployed.set(c.ring, (deployed.get(c.ring) ?? 0) + 1);
  const ringRows = view.rings.map((r) => {
    const count = deployed.get(r.ring) ?? 0;
    const notes: string[] = [];
    if (r.suspension)
      notes.push(
        paint(
          io,
          'yellow',
          `suspended by ${r.suspension.by}${r.suspension.reason ? `: ${r.suspension.reason}` : ''}`,
        ),
      );
    if (r.inConfig === false) notes.push('not in ringlock.yaml');
    if (r.lockFile && !r.lockFile.exists) notes.push(`no lock file (${r.lockFile.path})`);
    return [
      r.ring,
      shortCommit(r.lockCommit),
      String(count),
      r.lease?.holder ?? '-',
      shortTime(r.updatedAt),
      notes.join('; '),
    ];
  });
  s += table(['RING', 'LOCK COMMIT', 'MODULES', 'WRITER', 'UPDATED', 'NOTE'], ringRows, io);
  if (view.cells.length === 0)
    return module === undefined
      ? `${s}\nno modules deployed\n`
      : `${s}\nno module ${module} in the store${view.comparedWithLocks ? " or the rings' locks" : ''}\n`;
  // The cells come sorted by module, then in the rings' order: one row per run of a module.
  const col = new Map(view.rings.map((r, i) => [r.ring, i + 1]));
  const rows: string[][] = [];
  let row: string[] = [];
  for (const c of view.cells) {
    if (row[0] !== c.module) {
      row = [c.module, ...view.rings.map(() => '-')];
      rows.push(row);
    }
    row[col.get(c.ring)!] = cellText(io, c);
  }
  s += `\n${table(['MODULE', ...view.rings.map((r) => r.ring.toUpperCase())], rows, io)}`;
  const detail = full ? view.cells : view.cells.filter(needsAttention);
  if (detail.length > 0) {
    s += `\n${paint(io, 'bold', full ? 'Cells' : 'Needs attention')}\n`;
    s += table(
      ['MODULE', 'RING', 'VERSION', 'STATUS', 'SINCE', 'ACTOR', 'COMMIT', 'NOTE'],
      detail.map((c) => [
        c.module,
        c.ring,
        c.version ?? '-',
        c.status ?? (c.version === null ? 'not deployed' : '-'),
        shortTime(c.since),
        c.last?.actor ?? '-',
        shortCommit(c.last?.lockCommit),
        note(c),
      ]),
      io,
    );
  }
  if (!full) s += '\n(since, actor and lock commit of every cell: --module M, --ring R or --json)\n';
  return s;
}

export function formatTimeline(io: Io, t: Timeline): string {
  if (t.records.length === 0) return `no operations on ${t.module} recorded\n`;
  const outcome = (o: string) =>
    paint(io, o === 'succeeded' || o === 'recovered' ? 'green' : o === 'failed' ? 'red' : 'yellow', o);
  let s = table(
    ['FINISHED', 'RING', 'OP', 'FROM → TO', 'OUTCOME', 'ACTOR', 'COMMIT', 'REASON'],
    t.records.map((h) => [
      shortTime(h.finishedAt),
      h.ring,
      h.op,
      `${h.from ?? '-'} → ${h.to ?? '-'}`,
      outcome(h.outcome),
      h.actor,
      shortCommit(h.lockCommit),
      h.reason ?? (h.error ? `error: ${h.error}` : ''),
    ]),
    io,
  );
  if (t.nextBefore !== null)
    s += `(${t.total} records in all; older: --before ${t.nextBefore}, or a larger --limit)\n`;
  return s;
}
