// The operator's one-off calls on the PostgreSQL store, asynchronous and outside the worker: the schema's version
// (and applying its migrations, `ringlock state schema`), and the counts `ringlock state migrate` verifies.
import pg from 'pg';
import { InputError, OperationFailed, type RinglockError } from '../../errors.js';
import { applyMigrations, type MigrateResult, NewerSchemaError, schemaVersion } from './migrate.js';
import { MIGRATIONS, quoteIdent, SCHEMA_VERSION } from './migrations.js';
import { dbAddress, type PgStoreOptions, redactUrl } from './options.js';

export interface SchemaStatus {
  schema: string;
  /** The schema's version (0: no ringlock tables). */
  version: number;
  /** The newest version this ringlock knows. */
  latest: number;
  /** Migrations not applied yet. */
  pending: { version: number; name: string }[];
  /** With apply: what was applied now. */
  applied?: number[];
}

/** A database error as ringlock's: unreachable and refused are exit 3; the URL never with its password. */
export function dbError(e: unknown, url: string): RinglockError {
  const err = e as Error & { code?: string };
  const msg = String(err?.message ?? e).replaceAll(url, redactUrl(url));
  if (err?.code === '42501')
    return new OperationFailed('state/permission', `the state database refused: ${msg}`, {
      expected: 'a role that may create in the database (the schema owner), for migrations',
      cause: e,
    });
  return new OperationFailed('state/database', `the state database at ${dbAddress(url)}: ${msg}`, {
    expected: 'a reachable PostgreSQL (RINGLOCK_DATABASE_URL)',
    cause: e,
  });
}

async function withClient<T>(o: PgStoreOptions, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({
    connectionString: o.url,
    connectionTimeoutMillis: o.connectTimeoutMs,
    statement_timeout: o.statementTimeoutMs,
    application_name: `${o.applicationName}:admin`.slice(0, 63),
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return await fn(c);
  } catch (e) {
    if (e instanceof NewerSchemaError) throw new InputError('state/schema-newer', e.message);
    throw dbError(e, o.url);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The schema's version and what is pending; with `apply`, applies the missing migrations first (the URL's role). */
export async function schemaStatus(o: PgStoreOptions, apply: boolean): Promise<SchemaStatus> {
  return withClient(o, async (c) => {
    let applied: MigrateResult | undefined;
    if (apply) applied = await applyMigrations(c, o.schema);
    const version = await schemaVersion(c, o.schema);
    return {
      schema: o.schema,
      version,
      latest: SCHEMA_VERSION,
      pending: MIGRATIONS.filter((m) => m.version > version).map((m) => ({
        version: m.version,
        name: m.name,
      })),
      ...(applied ? { applied: applied.applied } : {}),
    };
  });
}

export interface RingCounts {
  /** History records of the ring among the given ids. */
  records: number;
  /** Of the given ids, those stored under another ring. */
  elsewhere: number;
  modules: number;
  quarantine: number;
  /** Rows of module_versions for the ring. */
  moduleVersions: number;
}

/** What the database holds for `ring` (read-only). */
export async function ringCounts(o: PgStoreOptions, ids: string[]): Promise<RingCounts> {
  const s = quoteIdent(o.schema);
  return withClient(o, async (c) => {
    const r = await c.query<Record<keyof RingCounts, string>>(
      `SELECT (SELECT count(*) FROM ${s}.history WHERE ring = $1 AND id = ANY($2)) AS records,
              (SELECT count(*) FROM ${s}.history WHERE ring <> $1 AND id = ANY($2)) AS elsewhere,
              (SELECT count(*) FROM ${s}.deployed_modules WHERE ring = $1) AS modules,
              (SELECT count(*) FROM ${s}.quarantine WHERE ring = $1) AS quarantine,
              (SELECT count(*) FROM ${s}.module_versions WHERE ring = $1) AS "moduleVersions"`,
      [o.ring, ids],
    );
    const row = r.rows[0]!;
    return {
      records: Number(row.records),
      elsewhere: Number(row.elsewhere),
      modules: Number(row.modules),
      quarantine: Number(row.quarantine),
      moduleVersions: Number(row.moduleVersions),
    };
  });
}
