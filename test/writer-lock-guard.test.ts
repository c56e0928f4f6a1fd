// A takeover guard (`lock.takeover.*`) left behind by a contender that crashed in the middle of taking over a stale
// writer lock never makes the next writer wait forever: its pid may belong to a live process by now (pid reuse) or it
// may have been written on another host sharing the volume. An old guard is broken; a fresh one times out like a lock.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../src/state/file-store.js';
import { acquireWriterLock } from '../src/state/writer-lock.js';
import { processAlive } from './fixtures-platform.js';
import { testdir } from './helpers.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** A process that is alive for the whole test: the pid a crashed contender's guard names once it was reused. */
function livePid(): number {
  const c = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(c);
  expect(c.pid).toBeGreaterThan(0);
  return c.pid!;
}

/** A state dir whose lock was left by a dead process, and the guard a contender left while taking it over. */
function strandedTakeover(guardHolder: { pid: number; host: string }, guardAgeMs: number) {
  const dir = testdir();
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  expect(processAlive(dead)).toBe(false);
  const lock = join(dir, 'lock');
  writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), since: 'x', command: 'ringlock apply' }));
  // The guard is named after the stale lock's identity (device, inode and text), as a contender names it.
  const fd = openSync(lock, 'r');
  const st = fstatSync(fd);
  const raw = readFileSync(fd, 'utf8');
  closeSync(fd);
  const id = createHash('sha256').update(`${st.dev}:${st.ino}:${raw}`).digest('hex').slice(0, 16);
  const guard = join(dir, `lock.takeover.${id}`);
  writeFileSync(
    guard,
    JSON.stringify({ ...guardHolder, since: 'x', command: 'ringlock daemon --ring edge' }),
  );
  const then = (Date.now() - guardAgeMs) / 1000;
  utimesSync(guard, then, then);
  return { dir };
}

/** What acquisition came to, or "still waiting" once well past its timeout (a hang fails here, not the runner). */
async function outcome(
  dir: string,
  timeoutMs: number,
): Promise<{ got: boolean; code?: string; message?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('still waiting for the writer lock')), timeoutMs + 10_000);
  });
  try {
    const lock = await Promise.race([acquireWriterLock(dir, 'ringlock apply', timeoutMs), hang]);
    lock.release();
    return { got: true };
  } catch (e) {
    const err = e as { code?: string; message: string; exitCode?: number };
    if (err.code === undefined) throw e;
    return { got: false, code: err.code, message: err.message };
  } finally {
    clearTimeout(timer);
  }
}

describe('a takeover guard a crashed contender left', () => {
  it.each([
    ['a live pid on this host', () => ({ pid: livePid(), host: hostname() })],
    ['another host', () => ({ pid: 4242, host: 'elsewhere.example' })],
  ])('old, held by %s: it is broken and the lock is taken over', async (_, holder) => {
    const { dir } = strandedTakeover(holder(), 60_000);
    expect(await outcome(dir, 1000)).toEqual({ got: true });
    // Released, and neither the stale lock nor the guard is left.
    expect(readdirSync(dir).filter((n) => n.startsWith('lock'))).toEqual([]);
  });

  it.each([
    ['a live pid on this host', () => ({ pid: livePid(), host: hostname() })],
    ['another host', () => ({ pid: 4242, host: 'elsewhere.example' })],
  ])(
    'fresh, held by %s: the wait ends at the timeout with exit 2 naming who holds what',
    async (_, holder) => {
      const h = holder();
      const { dir } = strandedTakeover(h, 0);
      const r = await outcome(dir, 300);
      expect(r.got).toBe(false);
      expect(r.code).toBe('target/locked');
      expect(r.message).toContain('"ringlock apply"');
      expect(r.message).toContain(`"ringlock daemon --ring edge" (pid ${h.pid} on ${h.host}`);
    },
  );

  it('an old guard is swept with the temp files; a fresh one is left to its contender', () => {
    const dir = testdir();
    const old = join(dir, 'lock.takeover.0123456789abcdef');
    const fresh = join(dir, 'lock.takeover.fedcba9876543210');
    for (const g of [old, fresh])
      writeFileSync(g, JSON.stringify({ pid: 1, host: 'elsewhere', since: 'x', command: 'c' }));
    const then = (Date.now() - 60_000) / 1000;
    utimesSync(old, then, then);
    new FileStateStore(dir).removeStaleTemps();
    expect(readdirSync(dir)).toEqual(['lock.takeover.fedcba9876543210']);
  });
});
