// `ringlock status`: the fleet view read from a real PostgreSQL (the run's shared server, one schema per test), seeded
// with rows in the shapes the PostgreSQL store writes; the CLI runs as a child process, as an operator runs it.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { FleetCell } from '../src/state/postgres/fleet.js';
import { applyMigrations } from '../src/state/postgres/migrate.js';
import { quoteIdent } from '../src/state/postgres/migrations.js';
import { pgOptionsFromEnv } from '../src/state/postgres/options.js';
import { PostgresStateStore } from '../src/state/postgres/store.js';
import type { DeployedModule, HistoryRecord } from '../src/state/types.js';
import { cli, testdir } from './helpers.js';
import { uniqueSchema } from './support/postgres.js';

const pgUrl = inject('pgUrl');
const HASH = (c: string) => `sha256:${c.repeat(64).slice(0, 64)}`;
const COMMIT = (c: string) => c.repeat(40).slice(0, 40);

async function withDb<T>(fn: (c: pg.Client) => Promise<T>, url = pgUrl): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A new schema at this ringlock's version, as the store's first use makes it. */
async function createSchema(schema: string): Promise<void> {
  await withDb(async (c) => {
    await applyMigrations(c, schema);
  });
}

interface Deploy {
  ring: string;
  module: string;
  version: string;
  status?: DeployedModule['status'];
  since?: string;
  previous?: string;
  lastError?: string;
  hash?: string;
}

function entry(d: Deploy): DeployedModule {
  const v = (version: string) => ({
    version,
    sha256: d.hash ?? HASH(version.replaceAll('.', '')),
    storeDir: `.ringlock/store/${d.module}/${version}`,
  });
  return {
    name: d.module,
    active: v(d.version),
    ...(d.previous ? { previous: v(d.previous) } : {}),
    status: d.status ?? 'active',
    since: d.since ?? '2026-11-01T10:00:00.000Z',
    origin: 'lock',
    ...(d.lastError ? { lastError: d.lastError, failedVersion: d.version } : {}),
  };
}

let seq = 0;
function record(r: Partial<HistoryRecord> & Pick<HistoryRecord, 'ring' | 'module' | 'op'>): HistoryRecord {
  seq++;
  const at = new Date(Date.UTC(2026, 10, 1, 0, seq)).toISOString();
  return {
    id: `rec-${seq}-${Math.random().toString(36).slice(2)}`,
    actor: 'daemon:canary',
    startedAt: at,
    finishedAt: at,
    outcome: 'succeeded',
    ...r,
  };
}

async function seed(
  schema: string,
  data: {
    rings?: { ring: string; lockCommit?: string; blocked?: Record<string, unknown>; suspension?: unknown }[];
    deployed?: Deploy[];
    quarantine?: { ring: string; module: string; version: string; reason: string }[];
    history?: HistoryRecord[];
  },
): Promise<void> {
  const s = quoteIdent(schema);
  await withDb(async (c) => {
    for (const r of data.rings ?? [])
      await c.query(
        `INSERT INTO ${s}.rings (ring, lock_commit, blocked, suspension) VALUES ($1, $2, $3, $4)`,
        [
          r.ring,
          r.lockCommit ?? null,
          r.blocked ? JSON.stringify(r.blocked) : null,
          r.suspension ? JSON.stringify(r.suspension) : null,
        ],
      );
    for (const d of data.deployed ?? []) {
      const e = entry(d);
      await c.query(
        `INSERT INTO ${s}.deployed_modules (ring, module, version, content_hash, status, origin, path, since, entry, token)
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, 1)`,
        [d.ring, d.module, e.active.version, e.active.sha256, e.status, e.origin, e.since, JSON.stringify(e)],
      );
    }
    let pos = 0;
    for (const q of data.quarantine ?? [])
      await c.query(
        `INSERT INTO ${s}.quarantine (ring, position, module, version, reason, at, entry) VALUES ($1, $2, $3, $4, $5, now(), $6)`,
        [
          q.ring,
          pos++,
          q.module,
          q.version,
          q.reason,
          JSON.stringify({
            module: q.module,
            version: q.version,
            reason: q.reason,
            at: new Date().toISOString(),
          }),
        ],
      );
    for (const h of data.history ?? [])
      await c.query(
        `INSERT INTO ${s}.history (id, ring, module, op, from_version, to_version, content_hash, actor, lock_commit,
           reason, outcome, error, started_at, finished_at, token, record)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15)`,
        [
          h.id,
          h.ring,
          h.module,
          h.op,
          h.from ?? null,
          h.to ?? null,
          h.sha256 ?? null,
          h.actor,
          h.lockCommit ?? null,
          h.reason ?? null,
          h.outcome,
          h.error ?? null,
          h.startedAt,
          h.finishedAt,
          JSON.stringify(h),
        ],
      );
  });
}

/** Three rings: orders everywhere (newer in canary), billing failed in canary and quarantined, search disabled on edge. */
async function threeRings(): Promise<string> {
  const schema = uniqueSchema('fleet');
  await createSchema(schema);
  await seed(schema, {
    rings: [
      { ring: 'canary', lockCommit: COMMIT('c1') },
      {
        ring: 'edge',
        lockCommit: COMMIT('e2'),
        blocked: {
          inventory: { version: '1.0.0', reason: 'needs orders ^1.5.0', since: '2026-11-02T00:00:00.000Z' },
        },
      },
      {
        ring: 'stable',
        lockCommit: COMMIT('5a'),
        suspension: { ring: 'stable', by: 'alice', at: '2026-11-03T00:00:00.000Z', reason: 'freeze' },
      },
    ],
    deployed: [
      {
        ring: 'canary',
        module: 'orders',
        version: '1.5.0',
        previous: '1.4.2',
        since: '2026-11-04T08:30:00.000Z',
      },
      {
        ring: 'canary',
        module: 'billing',
        version: '2.1.0',
        status: 'failed',
        lastError: 'health check: 503',
      },
      { ring: 'canary', module: 'search', version: '0.3.0' },
      { ring: 'edge', module: 'orders', version: '1.4.2' },
      { ring: 'edge', module: 'billing', version: '2.0.0' },
      { ring: 'edge', module: 'search', version: '0.3.0', status: 'disabled' },
      { ring: 'stable', module: 'orders', version: '1.4.2' },
      { ring: 'stable', module: 'billing', version: '2.0.0' },
    ],
    quarantine: [{ ring: 'canary', module: 'billing', version: '2.1.0', reason: 'health check failed: 503' }],
    history: [
      record({ ring: 'stable', module: 'orders', op: 'install', to: '1.4.2', actor: 'daemon:stable' }),
      record({ ring: 'edge', module: 'orders', op: 'install', to: '1.4.2', actor: 'daemon:edge' }),
      record({
        ring: 'canary',
        module: 'orders',
        op: 'upgrade',
        from: '1.4.2',
        to: '1.5.0',
        actor: 'bob',
        lockCommit: COMMIT('c1'),
        reason: 'orders: faster checkout',
      }),
      record({
        ring: 'canary',
        module: 'billing',
        op: 'upgrade',
        from: '2.0.0',
        to: '2.1.0',
        outcome: 'failed',
        error: 'health check: 503',
        actor: 'daemon:canary',
        lockCommit: COMMIT('c1'),
      }),
    ],
  });
  return schema;
}

const env = (schema: string, url = pgUrl) => ({ RINGLOCK_DATABASE_URL: url, RINGLOCK_STATE_SCHEMA: schema });

describe('ringlock status (fleet view)', () => {
  it('shows what the PostgreSQL store itself wrote for two rings (no hand-made rows)', async () => {
    const schema = uniqueSchema();
    const hash = `sha256:${'c'.repeat(64)}`;
    for (const [ring, version] of [
      ['canary', '1.5.0'],
      ['stable', '1.4.2'],
    ] as const) {
      const store = new PostgresStateStore(
        pgOptionsFromEnv({ RINGLOCK_DATABASE_URL: pgUrl, RINGLOCK_STATE_SCHEMA: schema }, ring),
      );
      const w = await store.acquireWriter(`daemon:${ring}`, 5_000);
      const at = '2026-11-04T08:30:00.000Z';
      store.transaction(() => {
        store.write({
          stateVersion: 1,
          ring,
          lockCommit: `${ring[0]!.repeat(40)}`,
          modules: {
            orders: {
              name: 'orders',
              active: { version, sha256: hash, storeDir: `.ringlock/store/orders/${version}-cccccccc` },
              status: 'active',
              since: at,
              origin: 'lock',
            },
          },
          quarantine: [],
        });
        store.append({
          id: `${ring}-1`,
          ring,
          module: 'orders',
          op: 'install',
          to: version,
          sha256: hash,
          actor: `daemon:${ring}`,
          lockCommit: ring[0]!.repeat(40),
          startedAt: at,
          finishedAt: at,
          outcome: 'succeeded',
        });
      });
      w.release();
      await store.close();
    }
    const r = cli(['status', '--json'], { cwd: testdir(), env: env(schema) });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.rings.map((x: { ring: string; lockCommit: string }) => [x.ring, x.lockCommit])).toEqual([
      ['canary', 'c'.repeat(40)],
      ['stable', 's'.repeat(40)],
    ]);
    expect(
      doc.cells.map((c: FleetCell) => [c.ring, c.module, c.version, c.status, c.contentHash, c.last?.actor]),
    ).toEqual([
      ['canary', 'orders', '1.5.0', 'active', hash, 'daemon:canary'],
      ['stable', 'orders', '1.4.2', 'active', hash, 'daemon:stable'],
    ]);
  });

  it('prints rings × modules with marks, and --json with every cell', async () => {
    const schema = await threeRings();
    const out = testdir(); // no ringlock.yaml: the columns are the store's rings by name
    const r = cli(['status'], { cwd: out, env: env(schema) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/RING\s+LOCK COMMIT\s+MODULES\s+WRITER/);
    expect(r.stdout).toMatch(/stable\s+5a5a5a5a5a5a\s+2\s+-\s+\S+ \S+\s+suspended by alice: freeze/);
    expect(r.stdout).toMatch(/MODULE\s+CANARY\s+EDGE\s+STABLE/);
    expect(r.stdout).toMatch(/orders\s+1\.5\.0\s+1\.4\.2\s+1\.4\.2\n/);
    expect(r.stdout).toMatch(/billing\s+2\.1\.0 \[failed, quarantined 2\.1\.0\]\s+2\.0\.0\s+2\.0\.0\n/);
    expect(r.stdout).toMatch(/search\s+0\.3\.0\s+0\.3\.0 \[disabled\]\s+-\n/);
    expect(r.stdout).toMatch(/inventory\s+-\s+- \[blocked 1\.0\.0\]\s+-\n/);
    // The cells that need a look, with since, actor and commit.
    expect(r.stdout).toMatch(
      /billing\s+canary\s+2\.1\.0\s+failed\s+2026-11-01 10:00Z\s+daemon:canary\s+c1c1c1c1c1c1\s+quarantined 2\.1\.0: health check failed: 503; error: health check: 503/,
    );
    expect(r.stdout).toMatch(
      /inventory\s+edge\s+-\s+not deployed\s+-\s+-\s+-\s+blocked: needs orders \^1\.5\.0/,
    );

    const j = cli(['status', '--json'], { cwd: out, env: env(schema) });
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.schema).toBe(schema);
    expect(doc.comparedWithLocks).toBe(false);
    expect(doc.rings.map((x: { ring: string }) => x.ring)).toEqual(['canary', 'edge', 'stable']);
    expect(doc.rings[2].suspension).toMatchObject({ by: 'alice', reason: 'freeze' });
    expect(doc.cells).toHaveLength(9);
    const orders = doc.cells.find(
      (c: { ring: string; module: string }) => c.ring === 'canary' && c.module === 'orders',
    );
    expect(orders).toMatchObject({
      version: '1.5.0',
      status: 'active',
      previous: '1.4.2',
      since: '2026-11-04T08:30:00.000Z',
      contentHash: HASH('150'),
      last: { op: 'upgrade', actor: 'bob', lockCommit: COMMIT('c1'), reason: 'orders: faster checkout' },
    });
    const billing = doc.cells.find(
      (c: { ring: string; module: string }) => c.ring === 'canary' && c.module === 'billing',
    );
    expect(billing.quarantined).toEqual([
      { version: '2.1.0', reason: 'health check failed: 503', at: expect.stringMatching(/Z$/) },
    ]);
    expect(billing.lastError).toBe('health check: 503');
  });

  it('--ring and --module narrow the view and show every cell in detail; an unknown ring is exit 2', async () => {
    const schema = await threeRings();
    const out = testdir();
    const byModule = cli(['status', '--module', 'orders'], { cwd: out, env: env(schema) });
    expect(byModule.code).toBe(0);
    expect(byModule.stdout).toMatch(/^orders\s+1\.5\.0\s+1\.4\.2\s+1\.4\.2$/m);
    expect(byModule.stdout).not.toMatch(/billing|search/);
    expect(byModule.stdout).toMatch(/orders\s+edge\s+1\.4\.2\s+active\s+2026-11-01 10:00Z\s+daemon:edge\s+-/);
    expect(byModule.stdout).toMatch(
      /orders\s+canary\s+1\.5\.0\s+active\s+2026-11-04 08:30Z\s+bob\s+c1c1c1c1c1c1/,
    );

    const byRing = JSON.parse(
      cli(['status', '--ring', 'edge', '--json'], { cwd: out, env: env(schema) }).stdout,
    );
    expect(byRing.rings.map((x: { ring: string }) => x.ring)).toEqual(['edge']);
    expect(byRing.cells.map((c: { module: string }) => c.module)).toEqual([
      'billing',
      'inventory',
      'orders',
      'search',
    ]);

    const both = JSON.parse(
      cli(['status', '--ring', 'canary', '--module', 'billing', '--json'], { cwd: out, env: env(schema) })
        .stdout,
    );
    expect(both.cells).toHaveLength(1);
    expect(both.cells[0]).toMatchObject({ ring: 'canary', module: 'billing', status: 'failed' });

    const unknown = cli(['status', '--module', 'nothing'], { cwd: out, env: env(schema) });
    expect(unknown.code).toBe(0);
    expect(unknown.stdout).toMatch(/\nno module nothing in the store\n$/);

    const bad = cli(['status', '--ring', 'nope'], { cwd: out, env: env(schema) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--ring nope: unknown ring');
    expect(bad.stderr).toContain('one of: canary, edge, stable');
    expect(bad.stdout).toBe('');
  });

  it('--history: the module across rings, newest first, a page at a time', async () => {
    const schema = await threeRings();
    const more: HistoryRecord[] = [];
    for (let i = 0; i < 7; i++)
      more.push(
        record({
          ring: ['canary', 'edge', 'stable'][i % 3]!,
          module: 'orders',
          op: 'upgrade',
          from: `1.5.${i}`,
          to: `1.5.${i + 1}`,
          actor: `user${i}`,
          lockCommit: COMMIT(`${i}f`),
          reason: `step ${i}`,
        }),
      );
    await seed(schema, { history: more });
    const out = testdir();
    const page1 = cli(['status', '--history', 'orders', '--limit', '4'], { cwd: out, env: env(schema) });
    expect(page1.code).toBe(0);
    const lines = page1.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/FINISHED\s+RING\s+OP\s+FROM → TO\s+OUTCOME\s+ACTOR\s+COMMIT\s+REASON/);
    expect(lines[1]).toMatch(
      /canary\s+upgrade\s+1\.5\.6 → 1\.5\.7\s+succeeded\s+user6\s+6f6f6f6f6f6f\s+step 6/,
    );
    expect(lines[2]).toMatch(/stable\s+upgrade\s+1\.5\.5 → 1\.5\.6\s+succeeded\s+user5/);
    expect(lines[4]).toMatch(/canary\s+upgrade\s+1\.5\.3 → 1\.5\.4/);
    expect(lines[5]).toMatch(/^\(10 records in all; older: --before \d+, or a larger --limit\)$/);

    const j1 = JSON.parse(
      cli(['status', '--history', 'orders', '--limit', '4', '--json'], { cwd: out, env: env(schema) }).stdout,
    );
    expect(j1).toMatchObject({ ok: true, module: 'orders', total: 10, limit: 4 });
    expect(j1.records.map((x: { to: string }) => x.to)).toEqual(['1.5.7', '1.5.6', '1.5.5', '1.5.4']);
    const pages = [j1.records];
    let before = j1.nextBefore;
    while (before !== null && pages.length < 5) {
      const next = JSON.parse(
        cli(['status', '--history', 'orders', '--limit', '4', '--before', String(before), '--json'], {
          cwd: out,
          env: env(schema),
        }).stdout,
      );
      pages.push(next.records);
      before = next.nextBefore;
    }
    expect(pages.map((p) => p.length)).toEqual([4, 4, 2]);
    const all = pages.flat();
    expect(new Set(all.map((x: { seq: number }) => x.seq)).size).toBe(10);
    expect(all.at(-1)).toMatchObject({ ring: 'stable', op: 'install', to: '1.4.2', actor: 'daemon:stable' });

    const edgeOnly = JSON.parse(
      cli(['status', '--history', 'orders', '--ring', 'edge', '--json'], { cwd: out, env: env(schema) })
        .stdout,
    );
    expect(edgeOnly.total).toBe(3);
    expect(edgeOnly.records.every((x: { ring: string }) => x.ring === 'edge')).toBe(true);
    expect(edgeOnly.nextBefore).toBeNull();

    const none = cli(['status', '--history', 'nothing'], { cwd: out, env: env(schema) });
    expect(none).toMatchObject({ code: 0, stdout: 'no operations on nothing recorded\n' });
  });

  it("in a workspace: the columns follow ringlock.yaml, each ring's lock is compared (pending, not deployed)", async () => {
    const schema = uniqueSchema('fleet');
    await createSchema(schema);
    await seed(schema, {
      rings: [{ ring: 'lab' }, { ring: 'edge' }, { ring: 'old' }],
      deployed: [
        { ring: 'lab', module: 'orders', version: '1.5.0' },
        { ring: 'edge', module: 'orders', version: '1.4.2' },
        { ring: 'edge', module: 'legacy', version: '0.1.0' },
        { ring: 'old', module: 'orders', version: '1.0.0' },
      ],
    });
    const lock = (ring: string, modules: Record<string, { version: string; sha256: string }>) =>
      `${JSON.stringify({ lockfileVersion: 1, ring, platform: '2.0.0', modules }, null, 2)}\n`;
    const ws = testdir({
      'ringlock.yaml':
        'apiVersion: ringlock/v1\nplatform:\n  version: 2.0.0\nmodules:\n  dir: modules\nrings:\n' +
        '  - name: lab\n  - name: edge\n    promoteFrom: lab\n  - name: stable\n    promoteFrom: edge\n',
      'modules/.keep': '',
      'rings/lab.lock.json': lock('lab', { orders: { version: '1.5.0', sha256: HASH('150') } }),
      'rings/edge.lock.json': lock('edge', {
        orders: { version: '1.5.0', sha256: HASH('150') },
        billing: { version: '2.0.0', sha256: HASH('200') },
      }),
    });
    const r = cli(['status'], { cwd: ws, env: env(schema) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/MODULE\s+LAB\s+EDGE\s+STABLE\s+OLD\n/);
    expect(r.stdout).toMatch(/^orders\s+1\.5\.0\s+1\.4\.2 \[pending → 1\.5\.0\]\s+-\s+1\.0\.0$/m);
    expect(r.stdout).toMatch(/^billing\s+-\s+- \[pending 2\.0\.0 \(not deployed\)\]\s+-\s+-$/m);
    expect(r.stdout).toMatch(/^legacy\s+-\s+0\.1\.0 \[not in lock\]\s+-\s+-$/m);
    expect(r.stdout).toMatch(/^stable\s+-\s+0\s+-\s+-\s+no lock file \(rings\/stable\.lock\.json\)$/m);
    expect(r.stdout).toMatch(/^old\s+-\s+1\s+-\s+\S+ \S+\s+not in ringlock\.yaml$/m);

    const j = JSON.parse(cli(['status', '--json'], { cwd: ws, env: env(schema) }).stdout);
    expect(j.comparedWithLocks).toBe(true);
    expect(j.rings.map((x: { ring: string; inConfig: boolean }) => [x.ring, x.inConfig])).toEqual([
      ['lab', true],
      ['edge', true],
      ['stable', true],
      ['old', false],
    ]);
    const cell = (ring: string, module: string) =>
      j.cells.find((c: { ring: string; module: string }) => c.ring === ring && c.module === module);
    expect(cell('lab', 'orders')).toMatchObject({
      version: '1.5.0',
      pending: null,
      lock: { version: '1.5.0' },
    });
    expect(cell('edge', 'orders').pending).toEqual({ kind: 'change', version: '1.5.0' });
    expect(cell('edge', 'billing')).toMatchObject({
      version: null,
      pending: { kind: 'install', version: '2.0.0' },
    });
    expect(cell('edge', 'legacy').pending).toEqual({ kind: 'not-in-lock', version: null });
    expect(cell('old', 'orders')).toMatchObject({ lock: null, pending: null });

    // A ring only ringlock.yaml knows is a ring --ring accepts; one neither knows is not.
    expect(cli(['status', '--ring', 'stable'], { cwd: ws, env: env(schema) }).code).toBe(0);
    const bad = cli(['status', '--ring', 'prod'], { cwd: ws, env: env(schema) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('one of: lab, edge, stable, old');

    // A lock that does not parse is an input error naming the file; with --ring only that ring's lock is read.
    writeFileSync(join(ws, 'rings/stable.lock.json'), '{"lockfileVersion": 1,\n  "ring": ');
    const broken = cli(['status'], { cwd: ws, env: env(schema) });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('rings/stable.lock.json');
    expect(broken.stdout).toBe('');
    expect(cli(['status', '--ring', 'lab'], { cwd: ws, env: env(schema) }).code).toBe(0);
  });

  describe('a read-only role', () => {
    const roles: string[] = [];
    afterAll(async () => {
      await withDb(async (c) => {
        for (const r of roles) await c.query(`DROP OWNED BY ${quoteIdent(r)}; DROP ROLE ${quoteIdent(r)}`);
      });
    });

    it('runs status and --history, and can write nothing', async () => {
      const schema = await threeRings();
      const role = `ro_${schema}`.slice(0, 60);
      roles.push(role);
      const password = 'S3cret-pw-not-printed';
      await withDb(async (c) => {
        const s = quoteIdent(schema);
        await c.query(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD '${password}'`);
        await c.query(`GRANT USAGE ON SCHEMA ${s} TO ${quoteIdent(role)}`);
        await c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${quoteIdent(role)}`);
      });
      const u = new URL(pgUrl);
      u.username = role;
      u.password = password;
      const url = u.toString();
      const out = testdir();
      const r = cli(['status', '--json'], { cwd: out, env: env(schema, url) });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).cells).toHaveLength(9);
      const h = cli(['status', '--history', 'orders'], { cwd: out, env: env(schema, url) });
      expect(h.code).toBe(0);
      expect(h.stdout).toContain('faster checkout');
      for (const x of [r, h]) expect(x.stdout + x.stderr).not.toContain(password);
      // The same role cannot change the store.
      const refused = await withDb(
        (c) =>
          c.query(`INSERT INTO ${quoteIdent(schema)}.rings (ring) VALUES ('intruder')`).then(
            () => undefined,
            (e: { code?: string; message: string }) => e,
          ),
        url,
      );
      expect(refused).toMatchObject({ code: '42501', message: expect.stringContaining('permission denied') });
    });
  });

  it('refuses bad input with exit 2, an unreachable database with exit 3, and never prints the password', async () => {
    const out = testdir();
    const noUrl = cli(['status'], { cwd: out, env: { RINGLOCK_DATABASE_URL: '' } });
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('RINGLOCK_DATABASE_URL is not set');

    const notPg = cli(['status'], { cwd: out, env: { RINGLOCK_DATABASE_URL: 'mysql://u:pw1234@h/db' } });
    expect(notPg.code).toBe(2);
    expect(notPg.stderr).toContain('RINGLOCK_DATABASE_URL: not a postgres:// URL');
    expect(notPg.stderr).not.toContain('pw1234');

    const badSchema = cli(['status'], { cwd: out, env: env('Bad-Schema"; DROP') });
    expect(badSchema.code).toBe(2);
    expect(badSchema.stderr).toContain('RINGLOCK_STATE_SCHEMA "Bad-Schema"; DROP": not a schema name');

    const empty = uniqueSchema('fleet');
    const noTables = cli(['status'], { cwd: out, env: env(empty) });
    expect(noTables.code).toBe(2);
    expect(noTables.stderr).toMatch(
      new RegExp(`schema "${empty}" at 127\\.0\\.0\\.1:\\d+/postgres has no ringlock tables`),
    );
    expect(noTables.stderr).not.toMatch(/relation .* does not exist/);

    const usage = cli(['status', '--limit', '5'], { cwd: out, env: env(empty) });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('give --history <module>');

    const port = await closedPort();
    const secret = 'hunter2-very-secret';
    const down = cli(['status'], {
      cwd: out,
      env: env('ringlock', `postgres://admin:${secret}@127.0.0.1:${port}/fleet`),
    });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain(`cannot reach PostgreSQL at 127.0.0.1:${port}/fleet: connection refused`);
    expect(down.stderr.trim().split('\n')[0]).toMatch(/^error: cannot reach PostgreSQL/);
    const downJson = cli(['status', '--json'], {
      cwd: out,
      env: env('ringlock', `postgres://admin:${secret}@127.0.0.1:${port}/fleet`),
    });
    expect(downJson.code).toBe(3);
    expect(JSON.parse(downJson.stdout).error.code).toBe('state/unreachable');
    for (const x of [down, downJson, notPg]) expect(x.stdout + x.stderr).not.toContain(secret);

    const wrongPassword = new URL(pgUrl);
    wrongPassword.username = 'nobody_here';
    wrongPassword.password = secret;
    const auth = cli(['status'], { cwd: out, env: env('ringlock', wrongPassword.toString()) });
    expect(auth.code).toBe(2);
    expect(auth.stdout + auth.stderr).not.toContain(secret);
  });
});

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 1));
    });
  });
}
