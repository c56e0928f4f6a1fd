// One writer per target: an exclusive lock file with the holder's pid and host; a holder that died on this host is stale.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
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
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if (!(isErrnoException(e) && e.code === 'EEXIST')) throw e;
    }
    const holder = readHolder(file);
    // A holder on this host whose process is gone left the lock behind (kill -9, power loss): take it over.
    if (!holder || (holder.host === me.host && !alive(holder.pid))) {
      const again = readHolder(file);
      if (JSON.stringify(again) === JSON.stringify(holder)) rmSync(file, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new InputError(
        'target/locked',
        `the target is locked by "${holder.command}" (pid ${holder.pid} on ${holder.host}, since ${holder.since})`,
        { file, expected: 'one writer at a time: wait for it to finish, or raise --lock-timeout' },
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
