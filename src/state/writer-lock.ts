// One writer per target: an exclusive lock file with the holder's pid and host; a holder that died on this host is stale
// and its lock is taken over by exactly one contender.
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { InputError, isErrnoException } from '../errors.js';
import type { WriterLease } from './types.js';

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
  command: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return isErrnoException(e) && e.code === 'EPERM';
  }
}

/** The lock file as one read: its text and what identifies this very file (inode + text); undefined when absent. */
interface Snapshot {
  raw: string;
  id: string;
  ageMs: number;
}

function snapshot(file: string): Snapshot | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if (isErrnoException(e) && e.code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const st = fstatSync(fd);
    const raw = readFileSync(fd, 'utf8');
    return { raw, id: `${st.dev}:${st.ino}:${raw}`, ageMs: Date.now() - st.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

function parseHolder(raw: string): LockHolder | undefined {
  try {
    const h = JSON.parse(raw) as LockHolder;
    return typeof h?.pid === 'number' && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A holder on this host whose process is gone left the lock behind (kill -9, power loss). An unreadable lock (not
 * written by this version) counts as stale once it is a minute old. A holder with our own pid is a process before us
 * that had that pid (in a container the daemon has the same pid on every start: 1, or 2 under the image's tini): we
 * never take the lock twice, so it is stale.
 */
function isStale(snap: Snapshot, host: string): boolean {
  const h = parseHolder(snap.raw);
  if (!h) return snap.ageMs > 60_000;
  return h.host === host && (h.pid === process.pid || !alive(h.pid));
}

/**
 * A takeover guard lives for the microseconds between its creation and the stale lock's removal. One older than this
 * was left by a contender that died in between, whatever its pid (by now maybe another, live, process) or host says.
 */
export const GUARD_STALE_MS = 5_000;

/** The guard contenders race for to remove the stale lock file `file` whose identity is in `snap`. */
function guardOf(file: string, snap: Snapshot): string {
  return `${join(dirname(file), 'lock')}.takeover.${createHash('sha256').update(snap.id).digest('hex').slice(0, 16)}`;
}

/** Creates `name` with `content` in one step (link of a written temp file: nobody reads it empty); false if it exists. */
function createWith(name: string, content: string): boolean {
  for (;;) {
    // Named like the lock's temp files, which recovery sweeps after a crash.
    const tmp = `${join(dirname(name), 'lock')}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, content, { mode: 0o644 });
    try {
      linkSync(tmp, name);
      return true;
    } catch (e) {
      if (!isErrnoException(e)) throw e;
      if (e.code === 'EEXIST') return false;
      // ENOENT: recovery swept our temp file away between write and link; try again.
      if (e.code !== 'ENOENT') throw e;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
}

/**
 * Removes `file` if it still is the stale `snap`; true when this call removed it. Contenders that judged the same file
 * stale race for one guard file named after its identity (created exclusively): only its winner re-checks and removes,
 * so a lock another contender has meanwhile taken over is never removed. A guard left by a contender that died in the
 * middle (its process gone, or older than GUARD_STALE_MS) is broken the same way, by a guard of its own, and the race
 * for this one is run again.
 */
function breakStale(file: string, snap: Snapshot, me: string, host: string, depth = 0): boolean {
  const guard = guardOf(file, snap);
  for (let attempt = 0; ; attempt++) {
    if (createWith(guard, me)) break;
    const g = snapshot(guard);
    if (attempt >= 1 || depth >= 8) return false;
    // Gone meanwhile (its holder finished): race again. Held by a live contender: let it finish.
    if (g && !(isStale(g, host) || g.ageMs > GUARD_STALE_MS)) return false;
    if (g && !breakStale(guard, g, me, host, depth + 1)) return false;
  }
  try {
    // Only a guard holder removes a file with this identity, and its owner is dead: between this check and the
    // removal nobody else can remove or replace it. The guard is still ours (nobody judged it left behind).
    if (snapshot(guard)?.raw !== me || snapshot(file)?.id !== snap.id) return false;
    rmSync(file, { force: true });
    return true;
  } finally {
    if (snapshot(guard)?.raw === me) rmSync(guard, { force: true });
  }
}

/** Exit 2 naming who holds the lock (and, when a takeover of it is under way or was left behind, who holds that). */
function lockedError(file: string, snap: Snapshot, guard?: Snapshot): InputError {
  const name = (raw: string) => {
    const h = parseHolder(raw);
    return h ? `"${h.command}" (pid ${h.pid} on ${h.host}, since ${h.since})` : 'an unreadable lock file';
  };
  const takeover = guard
    ? `, being taken over by ${name(guard.raw)} (a takeover left behind is broken once it is ${GUARD_STALE_MS / 1000} s old)`
    : '';
  return new InputError('target/locked', `the target is locked by ${name(snap.raw)}${takeover}`, {
    file,
    expected: 'one writer at a time: wait for it to finish, or raise --lock-timeout',
  });
}

/** Takes the writer lock of the state dir, waiting up to `timeoutMs`; exit 2 naming the holder when it cannot. */
export async function acquireWriterLock(
  dir: string,
  command: string,
  timeoutMs: number,
): Promise<WriterLease> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'lock');
  const deadline = Date.now() + timeoutMs;
  const host = hostname();
  const mine = JSON.stringify({
    pid: process.pid,
    host,
    since: new Date().toISOString(),
    command,
  } satisfies LockHolder);
  for (;;) {
    if (createWith(file, mine)) {
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          // Ours (same text; nobody takes over a lock of a live process): remove it.
          if (snapshot(file)?.raw === mine) rmSync(file, { force: true });
        },
      };
    }
    const snap = snapshot(file);
    if (!snap) continue;
    if (isStale(snap, host)) {
      if (breakStale(file, snap, mine, host)) continue;
      // Another contender is taking it over (or left its guard behind): the deadline holds here too.
      if (Date.now() >= deadline) throw lockedError(file, snap, snapshot(guardOf(file, snap)));
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    if (Date.now() >= deadline) throw lockedError(file, snap);
    await new Promise((r) => setTimeout(r, 100));
  }
}
