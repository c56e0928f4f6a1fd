// One writer per target: an exclusive lock file with the holder's pid and host; a holder that died on this host is stale.
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InputError, isErrnoException } from '../errors.js';

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
  command: string;
}

export interface WriterLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return isErrnoException(e) && e.code === 'EPERM';
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/** Takes the writer lock of the state dir, waiting up to `timeoutMs`; exit 2 naming the holder when it cannot. */
export async function acquireWriterLock(
  dir: string,
  command: string,
  timeoutMs: number,
): Promise<WriterLock> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'lock');
  const deadline = Date.now() + timeoutMs;
  const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command };
  for (;;) {
    // The lock appears with its content in one step (link of a written temp file), so nobody ever reads it empty.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, JSON.stringify(me), { mode: 0o644 });
    let got = false;
    try {
      linkSync(tmp, file);
      got = true;
    } catch (e) {
      // ENOENT: recovery swept our temp file away between write and link; try again.
      if (!(isErrnoException(e) && (e.code === 'EEXIST' || e.code === 'ENOENT'))) throw e;
      if (e.code === 'ENOENT') continue;
    } finally {
      rmSync(tmp, { force: true });
    }
    if (got) {
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
        },
      };
    }
    const holder = readHolder(file);
    // A holder on this host whose process is gone left the lock behind (kill -9, power loss): take it over.
    // An unreadable lock (not written by this version) counts as stale once it is a minute old.
    // A holder with our own pid is a process before us that had that pid (in a container the daemon is pid 1 on every
    // start): we never take the lock twice, so it is stale too.
    if (
      (!holder && ageMs(file) > 60_000) ||
      (holder && holder.host === me.host && (holder.pid === process.pid || !alive(holder.pid)))
    ) {
      const again = readHolder(file);
      if (JSON.stringify(again) === JSON.stringify(holder)) rmSync(file, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder
        ? `"${holder.command}" (pid ${holder.pid} on ${holder.host}, since ${holder.since})`
        : 'an unreadable lock file';
      throw new InputError('target/locked', `the target is locked by ${who}`, {
        file,
        expected: 'one writer at a time: wait for it to finish, or raise --lock-timeout',
      });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
