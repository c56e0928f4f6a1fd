// `ringlock status`'s data: the store's snapshot (state/postgres/fleet.ts) laid out as rings × modules and, inside a
// workspace, compared with each ring's lock: a lock pinning another version (or content) than the one deployed is
// pending, a module the lock pins that is not deployed is pending install. This is the shape `--json` prints.
import type { LockEntry } from '../model/types.js';
import { blankCell, type FleetCell, type FleetRing, type FleetSnapshot } from '../state/postgres/fleet.js';

/** What the lock wants that the ring does not run yet. */
export type PendingKind = 'install' | 'change' | 'content' | 'enable' | 'disable' | 'not-in-lock';

export interface ViewCell extends FleetCell {
  /** The lock's pin for this module (inside a workspace only; null when the lock does not name it or has no file). */
  lock?: { version: string; sha256: string; enabled: boolean } | null;
  /** Inside a workspace: what applying the lock would change here; null when deployed as pinned. */
  pending?: { kind: PendingKind; version: string | null } | null;
}

export interface ViewRing extends FleetRing {
  /** Listed in ringlock.yaml (inside a workspace); false for a ring only the store knows. */
  inConfig: boolean | null;
  /** The ring's lock file, relative to the workspace, and whether it exists (inside a workspace only). */
  lockFile?: { path: string; exists: boolean };
}

export interface FleetView {
  /** The columns, in ringlock.yaml's order inside a workspace (rings only the store knows after, by name), else by name. */
  rings: ViewRing[];
  /** Sorted by module, then in the rings' order. */
  cells: ViewCell[];
  /** Whether the cells were compared with the rings' locks. */
  comparedWithLocks: boolean;
}

export interface RingLockInfo {
  name: string;
  path: string;
  /** Null when the ring has no lock file yet. */
  modules: Record<string, LockEntry> | null;
}

/** What applying the lock's pin (or its absence) would change in a cell; null when it runs as pinned. */
export function pendingOf(c: FleetCell, pin: LockEntry | undefined): ViewCell['pending'] {
  if (!pin) return c.version === null ? null : { kind: 'not-in-lock', version: null };
  if (c.version === null) return { kind: 'install', version: pin.version };
  if (pin.version !== c.version) return { kind: 'change', version: pin.version };
  if (pin.sha256 !== c.contentHash) return { kind: 'content', version: pin.version };
  const enabled = pin.enabled !== false;
  if (enabled && c.status === 'disabled') return { kind: 'enable', version: pin.version };
  if (!enabled && c.status !== 'disabled') return { kind: 'disable', version: pin.version };
  return null;
}

/**
 * The view of a snapshot. `locks` (inside a workspace: every configured ring, in config order) adds the lock
 * comparison; `only` limits the rings and modules shown (the store's snapshot is already filtered the same way).
 */
export function fleetView(
  snap: FleetSnapshot,
  locks: RingLockInfo[] | undefined,
  only: { ring?: string; module?: string } = {},
): FleetView {
  const stored = new Map(snap.rings.map((r) => [r.ring, r]));
  const names = locks ? locks.map((l) => l.name) : [];
  for (const r of snap.rings) if (!names.includes(r.ring)) names.push(r.ring);
  const shown = names.filter((n) => only.ring === undefined || n === only.ring);
  const lockOf = new Map((locks ?? []).map((l) => [l.name, l]));
  const rings: ViewRing[] = shown.map((name) => {
    const l = lockOf.get(name);
    return {
      ...(stored.get(name) ?? {
        ring: name,
        lockCommit: null,
        suspension: null,
        updatedAt: null,
        lease: null,
      }),
      inConfig: locks ? l !== undefined : null,
      ...(l ? { lockFile: { path: l.path, exists: l.modules !== null } } : {}),
    };
  });
  // Cells by module, each a row of the shown rings (one pass, no comparator sort: a cold process pays per call).
  const col = new Map(shown.map((n, i) => [n, i]));
  const rows = new Map<string, (ViewCell | undefined)[]>();
  const place = (c: ViewCell, i: number) => {
    let row = rows.get(c.module);
    if (!row) {
      row = new Array<ViewCell | undefined>(shown.length);
      rows.set(c.module, row);
    }
    row[i] ??= c;
  };
  // The snapshot's cells are the view's own: annotated in place.
  for (const c of snap.cells) {
    const i = col.get(c.ring);
    if (i !== undefined) place(c, i);
  }
  if (locks)
    for (const l of locks) {
      const i = col.get(l.name);
      if (i === undefined) continue;
      for (const module of Object.keys(l.modules ?? {}))
        if ((only.module === undefined || module === only.module) && rows.get(module)?.[i] === undefined)
          place(blankCell(l.name, module), i);
    }
  const cells: ViewCell[] = [];
  for (const module of [...rows.keys()].sort()) for (const c of rows.get(module)!) if (c) cells.push(c);
  if (locks)
    for (const c of cells) {
      const l = lockOf.get(c.ring);
      // A ring only the store knows has no lock here to compare with.
      if (!l) {
        c.lock = null;
        c.pending = null;
        continue;
      }
      const pin = l.modules?.[c.module];
      c.lock = pin ? { version: pin.version, sha256: pin.sha256, enabled: pin.enabled !== false } : null;
      c.pending = l.modules === null ? null : pendingOf(c, pin);
    }
  return {
    rings,
    cells,
    comparedWithLocks: locks !== undefined,
  };
}

/** Whether the store marks a cell: not active, blocked, quarantined or in flight. */
export function marked(c: FleetCell): boolean {
  return (
    (c.status !== null && c.status !== 'active') ||
    c.blocked !== null ||
    c.quarantined.length > 0 ||
    c.inFlight !== null
  );
}

/** Whether a cell needs a look: marked by the store, or pending against the lock. */
export function needsAttention(c: ViewCell): boolean {
  return marked(c) || (c.pending !== undefined && c.pending !== null);
}

/** The cells needsAttention() will pick once compared with `locks`: those a terse view details. */
export function attentionCells(cells: FleetCell[], locks: RingLockInfo[] | undefined): FleetCell[] {
  const byRing = new Map((locks ?? []).map((l) => [l.name, l.modules]));
  return cells.filter((c) => {
    if (marked(c)) return true;
    const modules = byRing.get(c.ring);
    return modules ? pendingOf(c, modules[c.module]) !== null : false;
  });
}
