// The runtime role's grants that examples/kubernetes/README.md gives, run on a real PostgreSQL server: they suffice
// for every table the daemon writes and keep the history append-only by privilege (not only by its trigger).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyMigrations } from '../src/state/postgres/migrate.js';
import { quoteIdent } from '../src/state/postgres/migrations.js';
import { REPO_ROOT } from './helpers.js';
import { uniqueSchema } from './support/postgres.js';

const README = join(REPO_ROOT, 'examples', 'kubernetes', 'README.md');

/** The README's `GRANT …;` statements for schema `ringlock`, database `platform` and role `ringlock`, renamed. */
function readmeGrants(schema: string, database: string, role: string): string[] {
  const lines = readFileSync(README, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('GRANT '));
  expect(lines.length).toBeGreaterThan(0);
  return lines.map((l) =>
    l
      .replace(/\bDATABASE platform\b/, `DATABASE ${database}`)
      .replaceAll(/\bringlock\.(\w+)/g, `${schema}.$1`)
      .replace(/\bSCHEMA ringlock\b/, `SCHEMA ${schema}`)
      .replace(/\bTO ringlock;$/, `TO ${role};`),
  );
}

describe('examples/kubernetes/README.md: the runtime role of the PostgreSQL store', () => {
  const schema = uniqueSchema('grants');
  const owner = `${schema}_owner`;
  const role = `${schema}_rt`;
  let admin: pg.Client;
  let rt: pg.Client;
  let database = '';

  beforeAll(async () => {
    const url = new URL(inject('pgUrl'));
    admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    await admin.query(`CREATE ROLE ${owner}; CREATE ROLE ${role} LOGIN`);
    database = url.pathname.slice(1);
    await admin.query(`GRANT CREATE ON DATABASE ${database} TO ${owner}`);
    // The owner applies the migrations (as migrate.ts does) and then runs the README's grants.
    await admin.query(`SET ROLE ${owner}`);
    await applyMigrations(admin, schema);
    for (const g of readmeGrants(schema, database, role)) await admin.query(g);
    await admin.query('RESET ROLE');
    url.username = role;
    rt = new pg.Client({ connectionString: url.toString() });
    await rt.connect();
  });

  afterAll(async () => {
    await rt?.end();
    if (!admin) return;
    await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await admin.query(`DROP OWNED BY ${role}; DROP ROLE IF EXISTS ${role}`);
    await admin.query(`REVOKE ALL ON DATABASE ${database} FROM ${owner}; DROP ROLE IF EXISTS ${owner}`);
    await admin.end();
  });

  it('may write the state, the lease and the journal, append history, and read module_versions', async () => {
    const s = schema;
    await rt.query(`INSERT INTO ${s}.leases (ring, token, holder) VALUES ('stable', 1, 'pod-a')`);
    await rt.query(`UPDATE ${s}.leases SET token = 2, holder = 'pod-b' WHERE ring = 'stable'`);
    await rt.query(`INSERT INTO ${s}.rings (ring, token) VALUES ('stable', 2)`);
    await rt.query(`UPDATE ${s}.rings SET lock_commit = 'abc' WHERE ring = 'stable'`);
    await rt.query(
      `INSERT INTO ${s}.deployed_modules (ring, module, version, content_hash, status, origin, since, entry, token)
       VALUES ('stable', 'orders', '1.0.0', 'sha256:00', 'active', 'lock', now(), '{}', 2)`,
    );
    await rt.query(
      `INSERT INTO ${s}.quarantine (ring, position, module, version, reason, at, entry) VALUES ('stable', 0, 'orders', '0.9.0', 'x', now(), '{}')`,
    );
    await rt.query(`DELETE FROM ${s}.quarantine WHERE ring = 'stable'`);
    await rt.query(
      `INSERT INTO ${s}.journal (ring, id, phase, module, entry, token) VALUES ('stable', 'op1', 'switch', 'orders', '{}', 2)`,
    );
    await rt.query(`DELETE FROM ${s}.journal WHERE ring = 'stable'`);
    await rt.query(
      `INSERT INTO ${s}.history (id, ring, module, op, to_version, content_hash, actor, outcome, started_at, finished_at, record)
       VALUES ('h1', 'stable', 'orders', 'install', '1.0.0', 'sha256:00', 'ringlock', 'succeeded', now(), now(), '{}')`,
    );
    const v = await rt.query(`SELECT module, version, is_active FROM ${s}.module_versions`);
    expect(v.rows).toEqual([{ module: 'orders', version: '1.0.0', is_active: true }]);
    const m = await rt.query(`SELECT max(version) AS v FROM ${s}.schema_migrations`);
    expect(m.rows).toHaveLength(1);
    await rt.query(`DELETE FROM ${s}.deployed_modules WHERE ring = 'stable'`);
  });

  it('may not change or remove history, nor create objects in the schema', async () => {
    const s = schema;
    for (const sql of [
      `UPDATE ${s}.history SET outcome = 'failed'`,
      `DELETE FROM ${s}.history`,
      `TRUNCATE ${s}.history`,
      `CREATE TABLE ${s}.extra (x int)`,
    ]) {
      const err = await rt.query(sql).then(
        () => undefined,
        (e: unknown) => e as pg.DatabaseError,
      );
      expect(err?.code, sql).toBe('42501');
      // Refused by privilege, before the append-only trigger would have been reached.
      expect(err?.message, sql).toMatch(/permission denied/);
    }
  });
});
