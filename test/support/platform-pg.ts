// The PostgreSQL side of the test platform (fixtures-platform.ts): each target's state in a schema of its own on the
// shared test server, migrated by the superuser, and the CLI run as a LOGIN role with exactly the runtime grants —
// INSERT but no UPDATE or DELETE on history — so a suite that passes with it proves ringlock never needs more.
import { resolve } from 'node:path';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { applyMigrations } from '../../src/state/postgres/migrate.js';
import { quoteIdent } from '../../src/state/postgres/migrations.js';
import { pgOptionsFromEnv } from '../../src/state/postgres/options.js';
import { PostgresStateStore } from '../../src/state/postgres/store.js';
import { uniqueSchema } from './postgres.js';

export type StoreKind = 'file' | 'postgres';

/** The stores every apply/rollback/quarantine/history suite runs against: `describe.each(STORES)`. */
export const STORES: readonly StoreKind[] = ['file', 'postgres'];

/** The ring every fixture platform applies (the config has two rings: the store needs to be told). */
const RING = 'canary';

/** Tables the runtime role writes (the history only appends). */
const WRITTEN = ['leases', 'rings', 'deployed_modules', 'quarantine', 'journal'];

/**
 * The read stores of this test file, most recently used last; each holds a worker thread and a connection, so only a
 * few stay open (a crash suite reads some forty targets). Closing one cannot cut a read short: reads are synchronous.
 */
const open = new Map<string, PostgresStateStore>();
const KEEP_OPEN = 6;
afterAll(async () => {
  await Promise.all([...open.values()].map((s) => s.close()));
  open.clear();
});

function readStore(adminUrl: string, schema: string): PostgresStateStore {
  let s = open.get(schema);
  if (s) open.delete(schema);
  else
    s = new PostgresStateStore(
      pgOptionsFromEnv(
        {
          RINGLOCK_DATABASE_URL: adminUrl,
          RINGLOCK_STATE_SCHEMA: schema,
          RINGLOCK_DATABASE_POOL_MAX: '1',
          RINGLOCK_STATE_MIGRATE: 'false',
        },
        RING,
      ),
    );
  open.set(schema, s);
  for (const [k, old] of open) {
    if (open.size <= KEEP_OPEN) break;
    open.delete(k);
    void old.close();
  }
  return s;
}

async function withAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** One platform's targets on PostgreSQL: target dir → schema, made on first use; one restricted role for all. */
export class PgTargets {
  private readonly schemas = new Map<string, string>();
  private readonly making = new Map<string, Promise<string>>();

  private constructor(
    readonly adminUrl: string,
    /** The restricted role's URL: what every CLI run of the platform uses. */
    readonly url: string,
    readonly role: string,
  ) {}

  /** A LOGIN role of its own (no grants yet: each schema grants it the runtime set). */
  static async create(adminUrl = inject('pgUrl')): Promise<PgTargets> {
    const role = uniqueSchema('rt');
    await withAdmin(adminUrl, (c) => c.query(`CREATE ROLE ${quoteIdent(role)} LOGIN`));
    const u = new URL(adminUrl);
    u.username = role;
    return new PgTargets(adminUrl, u.toString(), role);
  }

  /** The schema of `target` (absolute), created, migrated and granted on the first call. */
  schemaFor(target: string): Promise<string> {
    const key = resolve(target);
    const known = this.schemas.get(key);
    if (known) return Promise.resolve(known);
    let p = this.making.get(key);
    if (!p) {
      p = this.make(key);
      this.making.set(key, p);
    }
    return p;
  }

  private async make(key: string): Promise<string> {
    const schema = uniqueSchema('p');
    const s = quoteIdent(schema);
    const r = quoteIdent(this.role);
    await withAdmin(this.adminUrl, async (c) => {
      await applyMigrations(c, schema);
      await c.query(`GRANT USAGE ON SCHEMA ${s} TO ${r}`);
      await c.query(`GRANT SELECT, INSERT ON ${s}.history TO ${r}`);
      await c.query(
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ${WRITTEN.map((t) => `${s}.${t}`).join(', ')} TO ${r}`,
      );
      await c.query(`GRANT SELECT ON ${s}.schema_migrations, ${s}.module_versions TO ${r}`);
    });
    this.schemas.set(key, schema);
    return schema;
  }

  /** The schema of `target` if one was made (sync: what the CLI has not touched has no state). */
  known(target: string): string | undefined {
    return this.schemas.get(resolve(target));
  }

  /** The CLI's environment for `target`: the restricted role, the target's schema, the ring. */
  env(schema: string): Record<string, string> {
    return {
      RINGLOCK_STATE_TYPE: 'postgres',
      RINGLOCK_DATABASE_URL: this.url,
      RINGLOCK_STATE_SCHEMA: schema,
      RING_NAME: RING,
    };
  }

  /** A store reading `target`'s schema (as the superuser; synchronous like every store), or none yet. */
  store(target: string): PostgresStateStore | undefined {
    const schema = this.known(target);
    return schema ? readStore(this.adminUrl, schema) : undefined;
  }

  /** Copies `from`'s rows into a new schema for `to` (a copied target keeps its state); the lease is left free. */
  async copy(from: string, to: string): Promise<void> {
    const src = this.known(from);
    if (!src) return;
    const a = quoteIdent(src);
    const b = quoteIdent(await this.schemaFor(to));
    await withAdmin(this.adminUrl, async (c) => {
      await c.query('BEGIN');
      // The fencing token keeps counting up: the next writer's token is above every row's.
      await c.query(`INSERT INTO ${b}.leases (ring, token) SELECT ring, token FROM ${a}.leases`);
      for (const t of ['rings', 'deployed_modules', 'quarantine', 'journal'])
        await c.query(`INSERT INTO ${b}.${t} SELECT * FROM ${a}.${t}`);
      await c.query(`INSERT INTO ${b}.history OVERRIDING SYSTEM VALUE SELECT * FROM ${a}.history`);
      // The copied rows keep their seq: the identity goes on after them.
      await c.query(
        `SELECT setval(pg_get_serial_sequence($1, 'seq'), (SELECT coalesce(max(seq), 0) + 1 FROM ${b}.history), false)`,
        [`${b}.history`],
      );
      await c.query('COMMIT');
    });
  }

  /** The ring's lease row in `target`'s schema (undefined: none yet). */
  async lease(target: string): Promise<{ holder: string | null; token: number } | undefined> {
    const schema = this.known(target);
    if (!schema) return undefined;
    return withAdmin(this.adminUrl, async (c) => {
      const r = await c.query<{ holder: string | null; token: string }>(
        `SELECT holder, token FROM ${quoteIdent(schema)}.leases WHERE ring = $1`,
        [RING],
      );
      const row = r.rows[0];
      return row ? { holder: row.holder, token: Number(row.token) } : undefined;
    });
  }

  /** Runs `sql` as the superuser with `$S` replaced by `target`'s schema (made first if need be). */
  async sql(target: string, sql: string, params: unknown[] = []): Promise<void> {
    const s = quoteIdent(await this.schemaFor(target));
    await withAdmin(this.adminUrl, (c) => c.query(sql.replaceAll('$S', s), params));
  }

  /** Rows of the ring's journal in `target`'s schema (0 when it has none). */
  async journalRows(target: string): Promise<number> {
    const schema = this.known(target);
    if (!schema) return 0;
    return withAdmin(this.adminUrl, async (c) => {
      const r = await c.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${quoteIdent(schema)}.journal WHERE ring = $1`,
        [RING],
      );
      return Number(r.rows[0]?.n ?? 0);
    });
  }
}
