// The PostgreSQL state store against a real server: what the file store keeps, kept in tables other tools read; one
// writer per ring by lease with a fencing token; append-only history; forward-only migrations; the change feed.
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { applyMigrations, schemaVersion } from '../src/state/postgres/migrate.js';
import { MIGRATIONS, quoteIdent, SCHEMA_VERSION } from '../src/state/postgres/migrations.js';
import { pgOptionsFromEnv } from '../src/state/postgres/options.js';
import { PostgresStateStore } from '../src/state/postgres/store.js';
import type { DeployedModule, DeployedState, HistoryRecord } from '../src/state/types.js';
import { startPostgres, uniqueSchema } from './support/postgres.js';

const url = inject('pgUrl');
const stores: PostgresStateStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

function store(schema: string, ring = 'canary', env: Record<string, string> = {}): PostgresStateStore {
  const s = new PostgresStateStore(
    pgOptionsFromEnv(
      { RINGLOCK_DATABASE_URL: url, RINGLOCK_STATE_SCHEMA: schema, RINGLOCK_LEASE_TTL: '3s', ...env },
      ring,
    ),
  );
  stores.push(s);
  return s;
}

function mod(name: string, version: string): DeployedModule {
  return {
    name,
    active: { version, sha256: `sha256:${'a'.repeat(64)}`, storeDir: `.ringlock/store/${name}/${version}` },
    status: 'active',
    since: '2026-01-01T00:00:00.000Z',
    origin: 'lock',
  };
}

function state(...mods: DeployedModule[]): DeployedState {
  return {
    stateVersion: 1,
    ring: 'canary',
    modules: Object.fromEntries(mods.map((m) => [m.name, m])),
    quarantine: [],
  };
}

function rec(module: string, to: string, id = `${module}-${to}-${Math.random()}`): HistoryRecord {
  const at = new Date().toISOString();
  return {
    id,
    module,
    op: 'install',
    to,
    sha256: `sha256:${'b'.repeat(64)}`,
    actor: 'test',
    startedAt: at,
    finishedAt: at,
    outcome: 'succeeded',
  };
}

async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

describe('PostgresStateStore', () => {
  it('keeps state, history and journal like the file store, and module_versions shows the active version', async () => {
    const schema = uniqueSchema();
    const s = store(schema);
    const w = await s.acquireWriter('test-a', 5_000);
    expect(s.read()).toEqual({ stateVersion: 1, modules: {}, quarantine: [] });
    s.transaction(() => {
      s.write(state(mod('orders', '1.0.0')));
      s.append(rec('orders', '1.0.0'));
      s.clearJournal();
    });
    s.write({
      ...state(mod('orders', '1.1.0'), mod('billing', '2.0.0')),
      lockCommit: 'abc',
      tenants: ['t1'],
    });
    s.append(rec('orders', '1.1.0'));
    w.release();
    const fresh = store(schema);
    const back = fresh.read();
    expect(back.lockCommit).toBe('abc');
    expect(back.tenants).toEqual(['t1']);
    expect(back.ring).toBe('canary');
    expect(Object.keys(back.modules).sort()).toEqual(['billing', 'orders']);
    expect(back.modules.orders?.active.version).toBe('1.1.0');
    expect(fresh.history().map((r) => r.to)).toEqual(['1.0.0', '1.1.0']);
    expect(fresh.history({ module: 'billing' })).toEqual([]);
    const mv = await sql<{ module: string; version: string; is_active: boolean; content_hash: string }>(
      `SELECT module, version, is_active, content_hash FROM ${quoteIdent(schema)}.module_versions ORDER BY id`,
    );
    expect(mv).toEqual([
      { module: 'orders', version: '1.0.0', is_active: false, content_hash: `sha256:${'b'.repeat(64)}` },
      { module: 'orders', version: '1.1.0', is_active: true, content_hash: `sha256:${'b'.repeat(64)}` },
    ]);
  });

  it('refuses a write without the lease, and a former leader’s write after a takeover (fencing token)', async () => {
    const schema = uniqueSchema();
    const a = store(schema);
    const b = store(schema);
    expect(() => a.write(state())).toThrow(/writer lease/);
    const wa = await a.acquireWriter('a', 5_000);
    const lost: string[] = [];
    wa.onLost?.((r) => lost.push(r));
    await expect(b.acquireWriter('b', 1_500)).rejects.toThrow(/being changed by a/);
    // a's lease is forced to expire (as if a was paused past its TTL): b takes over with the next token.
    await sql(`UPDATE ${quoteIdent(schema)}.leases SET expires_at = now() - interval '1 second'`);
    const wb = await b.acquireWriter('b', 5_000);
    b.write(state(mod('orders', '2.0.0')));
    expect(() => a.write(state(mod('orders', '1.0.0')))).toThrow(/lost its lease to b \(token 2\)/);
    expect(() => a.append(rec('orders', '1.0.0'))).toThrow(/lost its lease/);
    // The worker tells the holder asynchronously.
    await expect.poll(() => lost.length).toBe(1);
    // From the refused write, or from a renewal that found the lease expired first, whichever came first.
    expect(lost[0]).toMatch(/lost its lease to b|expired or was taken over/);
    expect(b.read().modules.orders?.active.version).toBe('2.0.0');
    wb.release();
  });

  it('writes what it means after another writer changed the ring between two of its leases', async () => {
    const schema = uniqueSchema();
    const a = store(schema);
    const b = store(schema);
    let w = await a.acquireWriter('a', 5_000);
    a.write(state(mod('orders', '1.0.0')));
    w.release();
    w = await b.acquireWriter('b', 5_000);
    b.write(state(mod('orders', '2.0.0')));
    w.release();
    // a writes orders 1.0.0 again: the same row it wrote before, which b has changed since.
    w = await a.acquireWriter('a', 5_000);
    a.write(state(mod('orders', '1.0.0')));
    w.release();
    expect(store(schema).read().modules.orders?.active.version).toBe('1.0.0');
  });

  it('leads a ring through a lease of its own: a standby waits, and takes over once the leader’s lease expires', async () => {
    const schema = uniqueSchema();
    const a = store(schema);
    const b = store(schema);
    const la = await a.acquireLeadership('a', 5_000);
    const lost: string[] = [];
    la.onLost?.((r) => lost.push(r));
    // Leading is not writing: a writer (a manual command) still gets the writer lease while a leads.
    const w = await b.acquireWriter('b-cli', 5_000);
    w.release();
    let led = false;
    const standby = b.acquireLeadership('b', Number.POSITIVE_INFINITY).then((l) => {
      led = true;
      return l;
    });
    // a renews every second: b keeps waiting.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(led).toBe(false);
    // As if a was paused past its TTL (its process stopped, its connection still open).
    await sql(
      `UPDATE ${quoteIdent(schema)}.leases SET expires_at = now() - interval '1 second' WHERE ring = 'leader/canary'`,
    );
    const lb = await standby;
    const rows = await sql<{ holder: string; token: string }>(
      `SELECT holder, token FROM ${quoteIdent(schema)}.leases WHERE ring = 'leader/canary'`,
    );
    expect(rows).toEqual([{ holder: 'b', token: '2' }]);
    // a learns it at its next renewal (a third of the 3 s TTL).
    await expect.poll(() => lost.length, { timeout: 5_000 }).toBe(1);
    lb.release();
  });

  it('module_versions: the live version stays active beside a failed upgrade; a recovery adds no row', async () => {
    const schema = uniqueSchema();
    const s = store(schema);
    const w = await s.acquireWriter('a', 5_000);
    s.append(rec('orders', '1.0.0', 'i1'));
    s.append({ ...rec('orders', '2.0.0', 'u1'), op: 'upgrade', from: '1.0.0', outcome: 'rolled_back' });
    s.append({ ...rec('orders', '1.0.0', 'r1'), op: 'recover', outcome: 'recovered', sha256: undefined });
    // The health check of 2.0.0 failed: 1.0.0 is linked again, the module reported rolled_back.
    s.write(
      state({
        ...mod('orders', '1.0.0'),
        status: 'rolled_back',
        lastError: 'health',
        failedVersion: '2.0.0',
      }),
    );
    w.release();
    const rows = await sql<{ version: string; is_active: boolean; op: string }>(
      `SELECT version, is_active, op FROM ${quoteIdent(schema)}.module_versions ORDER BY id`,
    );
    expect(rows).toEqual([{ version: '1.0.0', is_active: true, op: 'install' }]);
  });

  it('a holder that lost its lease (taken over) may change nothing more: assertWriter refuses', async () => {
    const schema = uniqueSchema();
    const a = store(schema);
    const w = await a.acquireWriter('a', 5_000);
    expect(() => a.assertWriter()).not.toThrow();
    await sql(
      `UPDATE ${quoteIdent(schema)}.leases SET token = token + 1, holder = 'b' WHERE ring = 'canary'`,
    );
    // a learns it at its next renewal (every second with a 3 s TTL).
    await expect
      .poll(
        () => {
          try {
            a.assertWriter();
            return 'still';
          } catch (e) {
            return (e as { code?: string }).code;
          }
        },
        { timeout: 5_000 },
      )
      .toBe('state/lease-lost');
    w.release();
  });

  it('a database restart does not hand a live holder’s lease to a contender', async () => {
    const server = await startPostgres();
    try {
      const env = {
        RINGLOCK_DATABASE_URL: server.url,
        RINGLOCK_STATE_SCHEMA: 'ringlock',
        RINGLOCK_LEASE_TTL: '3s',
      };
      const a = new PostgresStateStore(pgOptionsFromEnv(env, 'canary'));
      const b = new PostgresStateStore(pgOptionsFromEnv(env, 'canary'));
      stores.push(a, b);
      const w = await a.acquireWriter('a', 5_000);
      const contender = b.acquireWriter('b', 6_000).then(
        () => 'b took it',
        (e: Error) => e.message,
      );
      await new Promise((r) => setTimeout(r, 1_500));
      await server.stop();
      await server.start();
      // Every connection went with the restart, a's too: a reconnects and renews; b waits it out.
      expect(await contender).toMatch(/being changed by a/);
      expect(() => a.assertWriter()).not.toThrow();
      w.release();
    } finally {
      await server.destroy();
    }
  });

  it('keeps history append-only: UPDATE, DELETE and TRUNCATE are refused even for the owner', async () => {
    const schema = uniqueSchema();
    const s = store(schema);
    const w = await s.acquireWriter('a', 5_000);
    s.append(rec('orders', '1.0.0'));
    w.release();
    const q = quoteIdent(schema);
    await expect(sql(`UPDATE ${q}.history SET outcome = 'failed'`)).rejects.toThrow(/append-only: UPDATE/);
    await expect(sql(`DELETE FROM ${q}.history`)).rejects.toThrow(/append-only: DELETE/);
    await expect(sql(`TRUNCATE ${q}.history`)).rejects.toThrow(/append-only: TRUNCATE/);
  });

  it('migrates an empty database and one at the previous version, and refuses a newer schema', async () => {
    const schema = uniqueSchema();
    const c = new pg.Client(url);
    await c.connect();
    try {
      expect(await schemaVersion(c, schema)).toBe(0);
      expect((await applyMigrations(c, schema, SCHEMA_VERSION - 1)).applied).toEqual(
        MIGRATIONS.slice(0, -1).map((m) => m.version),
      );
      expect(await schemaVersion(c, schema)).toBe(SCHEMA_VERSION - 1);
      // The store brings it up to date on its first use.
      const s = store(schema);
      expect(s.read().modules).toEqual({});
      expect(await schemaVersion(c, schema)).toBe(SCHEMA_VERSION);
      await c.query(
        `INSERT INTO ${quoteIdent(schema)}.schema_migrations (version, name) VALUES ($1, 'future')`,
        [SCHEMA_VERSION + 1],
      );
      expect(() => store(schema).read()).toThrow(/newer than this ringlock knows/);
    } finally {
      await c.end();
    }
  });

  it('announces every change on the <schema>_changes channel', async () => {
    const schema = uniqueSchema();
    const s = store(schema);
    s.open();
    const c = new pg.Client(url);
    await c.connect();
    const got: Record<string, unknown>[] = [];
    c.on('notification', (n) => got.push(JSON.parse(n.payload ?? '{}')));
    await c.query(`LISTEN ${schema}_changes`);
    const w = await s.acquireWriter('a', 5_000);
    s.transaction(() => {
      s.write(state(mod('orders', '1.0.0')));
      s.append(rec('orders', '1.0.0', 'r1'));
    });
    w.release();
    await new Promise((r) => setTimeout(r, 300));
    await c.end();
    expect(got.map((g) => g.kind)).toEqual(['lease', 'history', 'lease']);
    expect(got[1]).toMatchObject({
      v: 1,
      ring: 'canary',
      modules: ['orders'],
      record: { id: 'r1', module: 'orders', op: 'install', to: '1.0.0', outcome: 'succeeded' },
    });
  });
});
