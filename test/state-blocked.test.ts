// Blocked modules in the state: one `module.blocked` per (module, reason). The same reason on the next pass is not
// announced again and keeps its `since`; a new reason is; a module unblocked loses its record, and blocked again is
// announced again. Without an announcer (`ringlock apply`) blocks are recorded and left unannounced.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { recordBlocked } from '../src/state/blocked.js';
import { FileStateStore } from '../src/state/file-store.js';
import { pgOptionsFromEnv } from '../src/state/postgres/options.js';
import { PostgresStateStore } from '../src/state/postgres/store.js';
import type { StateStore } from '../src/state/types.js';
import { STORES, type StoreKind } from './fixtures-platform.js';
import { uniqueSchema } from './support/postgres.js';

type Ctx = { onTestFinished(fn: () => void | Promise<void>): void };

/** A store of `kind` this test writes as the writer (the PostgreSQL store writes only under the ring's lease). */
async function store(t: Ctx, kind: StoreKind): Promise<StateStore> {
  if (kind === 'file') {
    const dir = mkdtempSync(join(tmpdir(), 'rl-blocked-'));
    t.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    return new FileStateStore(dir);
  }
  const s = new PostgresStateStore(
    pgOptionsFromEnv(
      { RINGLOCK_DATABASE_URL: inject('pgUrl'), RINGLOCK_STATE_SCHEMA: uniqueSchema() },
      'canary',
    ),
  );
  const lease = await s.acquireWriter('test', 5_000);
  t.onTestFinished(async () => {
    lease.release();
    await s.close();
  });
  return s;
}

const missing = {
  module: 'reports',
  to: '1.0.0',
  reason: 'blocked: reports needs base ^2 → the ring has base 1.0.0',
};

describe.each(STORES)('blocked modules in the state (%s store)', (kind) => {
  it('are announced once per (module, reason), again after a new reason or an unblock', async (t) => {
    const s = await store(t, kind);
    const first = recordBlocked(s, [missing], true);
    expect(first).toMatchObject([{ module: 'reports', version: '1.0.0', reason: missing.reason }]);
    const since = s.read().blocked!.reports!.since;

    expect(recordBlocked(s, [missing], true)).toEqual([]);
    expect(s.read().blocked!.reports).toMatchObject({ since, announced: missing.reason });

    const other = { ...missing, reason: 'blocked: reports needs base ^2 → the ring has base 1.1.0' };
    expect(recordBlocked(s, [other], true).map((b) => b.reason)).toEqual([other.reason]);

    expect(recordBlocked(s, [], true)).toEqual([]);
    expect(s.read().blocked).toBeUndefined();
    expect(recordBlocked(s, [other], true)).toHaveLength(1);
  });

  it('are recorded without being announced when nobody announces them, and announced later by the daemon', async (t) => {
    const s = await store(t, kind);
    expect(recordBlocked(s, [{ ...missing, chain: ['a', 'b'], code: 'unmanaged-path' }], false)).toEqual([]);
    expect(s.read().blocked!.reports).toMatchObject({ chain: ['a', 'b'], code: 'unmanaged-path' });
    expect(s.read().blocked!.reports!.announced).toBeUndefined();
    expect(recordBlocked(s, [{ ...missing, chain: ['a', 'b'], code: 'unmanaged-path' }], true)).toHaveLength(
      1,
    );
    // The store keeps the rest of the state as it was.
    expect(s.read()).toMatchObject({ stateVersion: 1, modules: {}, quarantine: [] });
  });
});
