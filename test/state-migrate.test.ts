// `ringlock state migrate`: a real target made by `ringlock apply` on the file store, copied into a real PostgreSQL
// (its counts, module_versions, idempotence), then applied with the PostgreSQL store (all noop); the refusals change
// nothing in the database. `ringlock state schema` reads the schema's version and applies its migrations.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MIGRATIONS, quoteIdent, SCHEMA_VERSION } from '../src/state/postgres/migrations.js';
import { pgOptionsFromEnv } from '../src/state/postgres/options.js';
import { PostgresStateStore } from '../src/state/postgres/store.js';
import type { HistoryRecord } from '../src/state/types.js';
import { buildPlatform, type Platform, type Run, show, tempRoot } from './fixtures-platform.js';
import { uniqueSchema } from './support/postgres.js';

const url = inject('pgUrl');
let p: Platform;
let dispose: () => void;
let copies = 0;

beforeAll(async () => {
  const t = tempRoot('migrate');
  dispose = t.dispose;
  p = await buildPlatform(t.root, {
    orders: { version: '1.0.0' },
    billing: { version: '2.1.0' },
    reports: { version: '0.3.0', dependencies: { orders: '^1.0.0' } },
  });
  const r = await p.apply();
  if (r.code !== 0) throw new Error(show(r));
  // An upgrade too, so the history holds more than the installs.
  p.writeModule('orders', { version: '1.1.0' });
  await p.release();
  const u = await p.apply();
  if (u.code !== 0) throw new Error(show(u));
});

afterAll(() => dispose?.());

function pgEnv(schema: string, extra: Record<string, string | undefined> = {}) {
  return { RINGLOCK_DATABASE_URL: url, RINGLOCK_STATE_SCHEMA: schema, RING_NAME: undefined, ...extra };
}

function migrate(schema: string, args: string[] = [], from = `file:${p.target}`): Promise<Run> {
  return p.cli(['state', 'migrate', '--from', from, '--to', 'postgres', ...args], { env: pgEnv(schema) });
}

/** A copy of the target (links stay relative), to break without touching the shared one. */
function copy(): string {
  const to = join(p.root, `copy-${++copies}`);
  p.copyTarget(p.target, to);
  return to;
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

/** What the database holds for ring canary in `schema` (all 0 when the schema does not exist). */
async function held(schema: string): Promise<{ history: number; modules: number; token: number }> {
  const [exists] = await sql<{ s: string | null }>('SELECT to_regnamespace($1)::text AS s', [schema]);
  if (!exists?.s) return { history: 0, modules: 0, token: 0 };
  const s = quoteIdent(schema);
  const [row] = await sql<{ history: string; modules: string; token: string | null }>(
    `SELECT (SELECT count(*) FROM ${s}.history WHERE ring = 'canary') AS history,
            (SELECT count(*) FROM ${s}.deployed_modules WHERE ring = 'canary') AS modules,
            (SELECT max(token) FROM ${s}.leases WHERE ring = 'canary') AS token`,
  );
  return { history: Number(row!.history), modules: Number(row!.modules), token: Number(row!.token ?? 0) };
}

interface MigrateJson {
  ok: boolean;
  ring: string;
  given: string;
  state: string;
  alreadyMigrated: boolean;
  records: { file: number; new: number; already: number; database: number };
  modules: { file: number; database: number };
  moduleVersions: number;
}

describe('ringlock state migrate', () => {
  it('copies state and history once, verifies the counts; apply on PostgreSQL afterwards is all noop', async () => {
    const schema = uniqueSchema('mig');
    const fileHistory = p.history();
    expect(fileHistory.length).toBe(4); // three installs, one upgrade

    const first = await migrate(schema, ['--json']);
    expect(first.code, show(first)).toBe(0);
    const j = JSON.parse(first.stdout) as MigrateJson;
    expect(j).toMatchObject({
      ok: true,
      ring: 'canary',
      given: 'target',
      state: 'written',
      alreadyMigrated: false,
      records: { file: 4, new: 4, already: 0, database: 4 },
      modules: { file: 3, database: 3 },
      moduleVersions: 4,
    });
    const mv = await sql<{ module: string; version: string; is_active: boolean; content_hash: string }>(
      `SELECT module, version, is_active, content_hash FROM ${quoteIdent(schema)}.module_versions ORDER BY id`,
    );
    const active = mv.filter((r) => r.is_active).map((r) => `${r.module}@${r.version}`);
    expect(active.sort()).toEqual(['billing@2.1.0', 'orders@1.1.0', 'reports@0.3.0']);
    expect(mv.find((r) => r.version === '1.0.0')).toMatchObject({ module: 'orders', is_active: false });
    for (const r of mv) expect(r.content_hash).toMatch(/^sha256:[0-9a-f]{64}$/);

    // Again, given the state dir itself: nothing new, nothing written (not even the lease is taken).
    const before = await held(schema);
    const again = await migrate(schema, [], `file:${p.stateDir()}`);
    expect(again.code, show(again)).toBe(0);
    expect(again.stdout).toMatch(/^already migrated: .*given as the state dir/);
    expect(again.stdout).toMatch(/4 records in the file, 4 in the database \(0 new, 4 already there\)/);
    expect(await held(schema)).toEqual(before);

    // The ring runs on PostgreSQL now: nothing to reinstall, no record added.
    const env = { ...pgEnv(schema), RINGLOCK_STATE_TYPE: 'postgres' };
    const a = await p.apply(['--json'], { env });
    expect(a.code, show(a)).toBe(0);
    const plan = JSON.parse(a.stdout) as { actions: { kind: string }[] };
    expect(plan.actions.map((x) => x.kind)).toEqual(['noop', 'noop', 'noop']);
    expect((await held(schema)).history).toBe(4);

    // history and list find the ring with --ring (the config has two rings, so the store cannot guess).
    const h = await p.cli(['history', '--ring', 'canary', '--json'], { env });
    expect(h.code, show(h)).toBe(0);
    const records = (JSON.parse(h.stdout) as { records: HistoryRecord[] }).records;
    expect(records.map((r) => r.id)).toEqual(fileHistory.map((r) => r.id));
    expect(records).toEqual(fileHistory);
    const l = await p.cli(['list', '--ring', 'canary', '--json'], { env });
    expect(l.code, show(l)).toBe(0);
    expect((JSON.parse(l.stdout) as { modules: { name: string }[] }).modules.map((m) => m.name)).toEqual([
      'billing',
      'orders',
      'reports',
    ]);
    const retry = await p.cli(['retry', 'orders', '--ring', 'canary'], { env });
    expect(retry.code, show(retry)).toBe(0);
    expect(retry.stdout).toBe('orders is not quarantined\n');
    const guess = await p.cli(['history', '--json'], { env });
    expect(guess.code, show(guess)).toBe(2);
    expect(guess.stdout).toMatch(/which ring is this/);
  });

  it('skips a torn last history line (a crash mid-append) and copies a suspension', async () => {
    const schema = uniqueSchema('mig');
    const target = copy();
    const lines = p.history().map((r) => JSON.stringify(r));
    writeFileSync(join(target, '.ringlock', 'history.jsonl'), `${lines.join('\n')}\n{"id": "torn", "mod`);
    const suspended = {
      ring: 'canary',
      reason: 'moving to PostgreSQL',
      by: 'cli:ops',
      at: new Date().toISOString(),
    };
    writeFileSync(join(target, '.ringlock', 'suspended.json'), JSON.stringify(suspended));
    const r = await migrate(schema, ['--json'], `file:${target}`);
    expect(r.code, show(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      records: { file: 4, database: 4, skippedTornLine: true },
      suspension: 'copied',
    });
    const [row] = await sql<{ suspension: unknown }>(
      `SELECT suspension FROM ${quoteIdent(schema)}.rings WHERE ring = 'canary'`,
    );
    expect(row?.suspension).toEqual(suspended);
    // The operator resumes the ring on PostgreSQL; running the migration again does not suspend it again.
    await sql(`UPDATE ${quoteIdent(schema)}.rings SET suspension = NULL WHERE ring = 'canary'`);
    const again = await migrate(schema, ['--json'], `file:${target}`);
    expect(again.code, show(again)).toBe(0);
    const [after] = await sql<{ suspension: unknown }>(
      `SELECT suspension FROM ${quoteIdent(schema)}.rings WHERE ring = 'canary'`,
    );
    expect(after?.suspension).toBeNull();
  });

  it('refuses while the file journal shows an operation in flight; the database gets nothing', async () => {
    const schema = uniqueSchema('mig');
    const target = copy();
    writeFileSync(
      join(target, '.ringlock', 'journal.json'),
      JSON.stringify({ id: 'x', phase: 'switching', module: 'orders', record: p.history()[0] }),
    );
    const r = await migrate(schema, [], `file:${target}`);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/recover first: run ringlock apply with the file store/);
    expect(await held(schema)).toEqual({ history: 0, modules: 0, token: 0 });
    // Nor does an apply on PostgreSQL over that target take it: the operation is the file store's to recover.
    const apply = await p.cli(['apply', '--ring', 'canary', '--yes', '--target', target], {
      env: { ...pgEnv(schema), RINGLOCK_STATE_TYPE: 'postgres' },
    });
    expect(apply.code, show(apply)).toBe(2);
    expect(apply.stderr).toContain(join(target, '.ringlock', 'journal.json'));
    expect(apply.stderr).toMatch(/a writer does not start on PostgreSQL before it is recovered/);
    expect(await held(schema)).toEqual({ history: 0, modules: 0, token: 0 });
  });

  it('refuses a corrupt state.json, naming it; the database gets nothing', async () => {
    const schema = uniqueSchema('mig');
    const target = copy();
    writeFileSync(join(target, '.ringlock', 'state.json'), '{"stateVersion": 1, "modules": ');
    const r = await migrate(schema, [], `file:${target}/.ringlock`);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain(join(target, '.ringlock', 'state.json'));
    expect(await held(schema)).toEqual({ history: 0, modules: 0, token: 0 });
  });

  it('refuses a history line that is not a record (not the torn last one), naming file and line', async () => {
    const schema = uniqueSchema('mig');
    const target = copy();
    const lines = p.history().map((r) => JSON.stringify(r));
    lines.splice(1, 0, '{"id": "broken"');
    writeFileSync(join(target, '.ringlock', 'history.jsonl'), `${lines.join('\n')}\n`);
    const r = await migrate(schema, [], `file:${target}`);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain(`${join(target, '.ringlock', 'history.jsonl')}:2`);
    expect(await held(schema)).toEqual({ history: 0, modules: 0, token: 0 });
  });

  it("refuses while another holder has the ring's writer lease; the database gets nothing", async () => {
    const schema = uniqueSchema('mig');
    const daemon = new PostgresStateStore(
      pgOptionsFromEnv({ RINGLOCK_DATABASE_URL: url, RINGLOCK_STATE_SCHEMA: schema }, 'canary'),
    );
    const lease = await daemon.acquireWriter('daemon pod-a', 5_000);
    try {
      const r = await migrate(schema);
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr).toMatch(/writer lease is held.*daemon pod-a.*stop the ring's daemon first/s);
      const h = await held(schema);
      expect({ history: h.history, modules: h.modules }).toEqual({ history: 0, modules: 0 });
    } finally {
      lease.release();
      await daemon.close();
    }
  });

  it("refuses without RINGLOCK_DATABASE_URL, another ring than the state's, a bad --from (exit 2), an unreachable database (exit 3)", async () => {
    const none = await p.cli(['state', 'migrate', '--from', `file:${p.target}`, '--to', 'postgres'], {
      env: { RINGLOCK_DATABASE_URL: undefined },
    });
    expect(none.code, show(none)).toBe(2);
    expect(none.stderr).toMatch(/needs RINGLOCK_DATABASE_URL/);
    const down = await p.cli(['state', 'migrate', '--from', `file:${p.target}`, '--to', 'postgres'], {
      env: { RINGLOCK_DATABASE_URL: 'postgres://postgres:s3cret@127.0.0.1:1/postgres' },
    });
    expect(down.code, show(down)).toBe(3);
    expect(down.stderr).toMatch(/127\.0\.0\.1:1/);
    expect(down.stderr).not.toContain('s3cret');
    const other = uniqueSchema('mig');
    const wrong = await migrate(other, ['--ring', 'stable']);
    expect(wrong.code, show(wrong)).toBe(2);
    expect(wrong.stderr).toMatch(/belongs to ring "canary"/);
    expect(await held(other)).toEqual({ history: 0, modules: 0, token: 0 });
    const bad = await p.cli(['state', 'migrate', '--from', p.target, '--to', 'postgres'], {
      env: pgEnv(uniqueSchema('mig')),
    });
    expect(bad.code, show(bad)).toBe(2);
    expect(bad.stderr).toMatch(/--from .*not a file state/);
  });

  it('refuses a different state the database holds unless --force; history is only added to', async () => {
    const schema = uniqueSchema('mig');
    expect((await migrate(schema)).code).toBe(0);
    const target = copy();
    const stateFile = join(target, '.ringlock', 'state.json');
    const s = p.state(target);
    delete s.modules.reports;
    writeFileSync(stateFile, JSON.stringify(s));
    const before = await held(schema);
    const r = await migrate(schema, [], `file:${target}`);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/already holds another state for ring "canary".*--force/s);
    expect(await held(schema)).toEqual(before);
    const f = await migrate(schema, ['--force', '--json'], `file:${target}`);
    expect(f.code, show(f)).toBe(0);
    expect(JSON.parse(f.stdout)).toMatchObject({
      state: 'replaced',
      modules: { file: 2, database: 2 },
      records: { new: 0, database: 4 },
    });
    expect((await held(schema)).history).toBe(4);
  });
});

describe('ringlock state schema', () => {
  it('reads the version without changing anything; --apply migrates; a second --apply has nothing to do', async () => {
    const schema = uniqueSchema('sch');
    const env = pgEnv(schema);
    const ro = await p.cli(['state', 'schema', '--json'], { env });
    expect(ro.code, show(ro)).toBe(0);
    expect(JSON.parse(ro.stdout)).toMatchObject({
      version: 0,
      latest: SCHEMA_VERSION,
      pending: MIGRATIONS.map((m) => ({ version: m.version })),
    });
    const [ns] = await sql<{ s: string | null }>('SELECT to_regnamespace($1)::text AS s', [schema]);
    expect(ns?.s).toBeNull();
    const ap = await p.cli(['state', 'schema', '--apply'], { env });
    expect(ap.code, show(ap)).toBe(0);
    expect(ap.stdout).toContain(`applied migrations ${MIGRATIONS.map((m) => m.version).join(', ')}\n`);
    expect(ap.stdout).toContain(`version ${SCHEMA_VERSION} (latest ${SCHEMA_VERSION}), up to date`);
    const again = await p.cli(['state', 'schema', '--apply', '--json'], { env });
    expect(JSON.parse(again.stdout)).toMatchObject({ version: SCHEMA_VERSION, applied: [], pending: [] });
    const group = await p.cli(['state'], { env });
    expect(group.code).toBe(2);
    expect(group.stderr).toMatch(/"state" needs a subcommand/);
  });
});
