// Applies the PostgreSQL store's missing migrations, once, whoever starts first: one transaction holding a
// transaction-scoped advisory lock keyed by the schema. A schema already at this version needs no privilege beyond
// reading schema_migrations (a runtime role without CREATE starts fine once an owner has migrated).
import type pg from 'pg';
import { MIGRATIONS, type Migration, quoteIdent, SCHEMA_VERSION } from './migrations.js';

export interface MigrateResult {
  /** The version the schema was at (0: no ringlock schema). */
  from: number;
  to: number;
  applied: number[];
}

/** The schema's version from schema_migrations; 0 when it has none. */
export async function schemaVersion(c: pg.ClientBase, schema: string): Promise<number> {
  const t = await c.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [
    `${quoteIdent(schema)}.schema_migrations`,
  ]);
  if (!t.rows[0]?.t) return 0;
  const v = await c.query<{ v: number | null }>(
    `SELECT max(version) AS v FROM ${quoteIdent(schema)}.schema_migrations`,
  );
  return v.rows[0]?.v ?? 0;
}

/** Brings the schema to this ringlock's version (or to `upTo`, for tests of an upgrade from an older schema). */
export async function applyMigrations(
  c: pg.ClientBase,
  schema: string,
  upTo: number = SCHEMA_VERSION,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrateResult> {
  const s = quoteIdent(schema);
  const known = await schemaVersion(c, schema);
  if (known > SCHEMA_VERSION) throw new NewerSchemaError(schema, known);
  if (known >= upTo) return { from: known, to: known, applied: [] };
  await c.query('BEGIN');
  try {
    await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`ringlock.migrate.${schema}`]);
    // Again under the lock: another replica may have migrated while this one waited.
    const from = await schemaVersion(c, schema);
    if (from > SCHEMA_VERSION) throw new NewerSchemaError(schema, from);
    const applied: number[] = [];
    if (from === 0) {
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await c.query(
        `CREATE TABLE ${s}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
    }
    for (const m of migrations) {
      if (m.version <= from || m.version > upTo) continue;
      await c.query(m.sql(s));
      await c.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    await c.query('COMMIT');
    return { from, to: Math.max(from, ...applied), applied };
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

export class NewerSchemaError extends Error {
  constructor(
    readonly schema: string,
    readonly version: number,
  ) {
    super(
      `schema "${schema}" is at version ${version}, newer than this ringlock knows (${SCHEMA_VERSION}): upgrade ringlock (migrations are forward-only)`,
    );
  }
}
