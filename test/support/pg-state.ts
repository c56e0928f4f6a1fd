// The PostgreSQL store as the tests read it: a ring's state and history through the real store, the lease and token
// columns with plain SQL, and "the target is consistent" (fixtures-platform.ts expectConsistent) for a target whose
// state lives in the database.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { quoteIdent } from '../../src/state/postgres/migrations.js';
import { pgOptionsFromEnv } from '../../src/state/postgres/options.js';
import { PostgresStateStore } from '../../src/state/postgres/store.js';
import type { DeployedState, HistoryRecord, JournalEntry } from '../../src/state/types.js';
import { type Platform, RING, runCli, show } from '../fixtures-platform.js';

export interface PgRing {
  url: string;
  schema: string;
  /** The environment that puts a daemon or the CLI on this ring's store. */
  env: Record<string, string>;
}

export function pgRing(url: string, schema: string, extra: Record<string, string> = {}): PgRing {
  return {
    url,
    schema,
    env: {
      RINGLOCK_STATE_TYPE: 'postgres',
      RINGLOCK_DATABASE_URL: url,
      RINGLOCK_STATE_SCHEMA: schema,
      ...extra,
    },
  };
}

/** State, history and journal of the ring, read through the store (a reader: it never takes the lease). */
export async function readRing(
  r: PgRing,
): Promise<{ state: DeployedState; history: HistoryRecord[]; journal?: JournalEntry }> {
  const store = new PostgresStateStore(pgOptionsFromEnv(r.env, RING));
  try {
    return { state: store.read(), history: store.history(), journal: store.readJournal() };
  } finally {
    await store.close();
  }
}

export async function sql<T extends pg.QueryResultRow>(
  r: PgRing,
  text: (schema: string) => string,
): Promise<T[]> {
  const c = new pg.Client({ connectionString: r.url });
  await c.connect();
  try {
    return (await c.query<T>(text(quoteIdent(r.schema)))).rows;
  } finally {
    await c.end();
  }
}

/** The lease row and the tokens the state rows were written with. */
export async function tokens(
  r: PgRing,
): Promise<{ lease: number; holder: string | null; ring: number | null; modules: number[] }> {
  // The writer lease's token fences every state write; the leader lease names who leads (its holder).
  const [lease] = await sql<{ token: string }>(
    r,
    (s) => `SELECT token FROM ${s}.leases WHERE ring = '${RING}'`,
  );
  const [leader] = await sql<{ holder: string | null }>(
    r,
    (s) => `SELECT holder FROM ${s}.leases WHERE ring = 'leader/${RING}'`,
  );
  const [ring] = await sql<{ token: string | null }>(
    r,
    (s) => `SELECT token FROM ${s}.rings WHERE ring = '${RING}'`,
  );
  const mods = await sql<{ token: string }>(
    r,
    (s) => `SELECT token FROM ${s}.deployed_modules WHERE ring = '${RING}'`,
  );
  return {
    lease: Number(lease?.token ?? 0),
    holder: leader?.holder ?? null,
    ring: ring?.token == null ? null : Number(ring.token),
    modules: mods.map((m) => Number(m.token)),
  };
}

/** The operations that switch a module to `to` (a recovery that completed a switch counts as that switch). */
const APPLY_OPS: ReadonlySet<string> = new Set(['install', 'upgrade', 'reinstall', 'recover']);

/**
 * Every link points at a complete store dir whose content hash is the recorded one; nothing in the target or its
 * .ringlock that the state does not account for; no journal left; history ids unique; each (module, version) applied
 * once; every module's active version has its one succeeded record.
 */
export async function expectConsistentPg(p: Platform, r: PgRing): Promise<DeployedState> {
  const { state, history, journal } = await readRing(r);
  expect(journal, 'no operation left in flight').toBeUndefined();
  const modules = Object.values(state.modules);
  for (const m of modules) {
    expect(p.link(m.name), `${m.name}: link`).toBe(m.active.storeDir);
    expect(existsSync(join(p.target, m.active.storeDir, 'module.json')), `${m.name}: complete`).toBe(true);
  }
  const stray = readdirSync(p.target).filter((n) => n !== '.ringlock' && !Object.hasOwn(state.modules, n));
  expect(stray, 'entries in the target the state does not record').toEqual([]);
  const dir = p.stateDir();
  // active.json: what is published for the platform (src/publish/file.ts), on any store.
  const known = ['store', 'cache', 'active.json'];
  const leftovers = existsSync(dir) ? readdirSync(dir).filter((n) => !known.includes(n)) : [];
  expect(leftovers, 'leftovers in .ringlock (staging, trash, file journal, lock, temp files)').toEqual([]);
  const ids = history.map((h) => h.id);
  expect(new Set(ids).size, 'history ids are unique').toBe(ids.length);
  const applied = new Map<string, number>();
  for (const h of history)
    if (h.outcome === 'succeeded' && h.to !== undefined && APPLY_OPS.has(h.op)) {
      const k = `${h.module}@${h.to}`;
      applied.set(k, (applied.get(k) ?? 0) + 1);
    }
  expect(
    [...applied].filter(([, n]) => n > 1),
    `no module is applied twice\n${JSON.stringify(history, null, 1)}`,
  ).toEqual([]);
  for (const m of modules)
    expect(applied.get(`${m.name}@${m.active.version}`), `${m.name}@${m.active.version}: one record`).toBe(1);
  for (const m of modules) {
    const h = await runCli(['hash', join(p.target, m.active.storeDir), '--json'], { cwd: p.target });
    expect(h.code, show(h)).toBe(0);
    expect((JSON.parse(h.stdout) as { sha256: string }).sha256, `${m.name}: content hash`).toBe(
      m.active.sha256,
    );
  }
  return state;
}
