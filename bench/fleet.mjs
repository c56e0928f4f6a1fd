// `fleet` bench: the fleet view over a shared PostgreSQL store. Starts its own server (test/support/postgres.ts, bundled
// with esbuild; durable: fsync on), seeds 10 rings × 1,000 modules and 100,000 history records with generate_series,
// then times `ringlock status` as a whole process (outside a workspace, and inside one comparing 10 locks of 1,000
// modules) beside `node -e 0`, under this Node and Node 24, and in-process the history query `status --history` runs (one module over 100,000
// records) beside a `SELECT 1` round trip, with its plan.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, fmt, importTs, median, mustPass, printTable, ROOT, timed } from './lib.mjs';

const RINGS = 10;
const MODULES = 1000;
const HISTORY = 100_000;
const SCHEMA = 'ringlock';
const require = createRequire(join(ROOT, 'package.json'));

/** The server starter of the tests and the fleet reads of src/, bundled (pg stays external) and imported. */
export function loadSupport() {
  return importTs('fleet', [
    "export { startPostgres } from './test/support/postgres.ts';",
    "export { MIGRATIONS, quoteIdent } from './src/state/postgres/migrations.ts';",
    "export { readTimeline, timelineParams, timelineSql } from './src/state/postgres/fleet-timeline.ts';",
  ]);
}

const ring = (r) => `'ring-' || lpad((${r})::text, 2, '0')`;
const mod = (m) => `'mod-' || lpad((${m})::text, 4, '0')`;

/** Rows in the shapes the PostgreSQL store writes (deployed_modules.entry: DeployedModule; history.record: HistoryRecord). */
export function seedSql(s) {
  return `
INSERT INTO ${s}.rings (ring, lock_commit, token)
  SELECT ${ring('r')}, md5('commit' || r) || substr(md5('c' || r), 1, 8), 1 FROM generate_series(1, ${RINGS}) r;
INSERT INTO ${s}.leases (ring, token, holder, holder_pid, acquired_at, renewed_at, expires_at)
  SELECT ${ring('r')}, 1, 'ringlock-' || r || '-0', 1000 + r, now(), now(), now() + interval '15 seconds'
    FROM generate_series(1, ${RINGS}) r;
INSERT INTO ${s}.deployed_modules (ring, module, version, content_hash, status, origin, path, since, entry, token)
  SELECT ring, module, v, h, st, 'lock', NULL, since,
         jsonb_build_object('name', module, 'status', st, 'origin', 'lock',
           'since', to_char(since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'active', jsonb_build_object('version', v, 'sha256', h, 'storeDir', '.ringlock/store/' || module || '/' || v),
           'previous', jsonb_build_object('version', pv, 'sha256', h, 'storeDir', '.ringlock/store/' || module || '/' || pv))
           || CASE WHEN st = 'failed' THEN jsonb_build_object('lastError', 'health check: 503', 'failedVersion', v)
                   ELSE '{}'::jsonb END,
         1
    FROM (SELECT ${ring('r')} AS ring, ${mod('m')} AS module,
                 '1.' || (m % 20) || '.' || r AS v, '1.' || (m % 20) || '.' || (r - 1) AS pv,
                 'sha256:' || encode(sha256(convert_to(m || '.' || r, 'UTF8')), 'hex') AS h,
                 CASE WHEN m % 97 = 0 THEN 'failed' ELSE 'active' END AS st,
                 now() - make_interval(mins => m * r) AS since
            FROM generate_series(1, ${RINGS}) r, generate_series(1, ${MODULES}) m) x;
INSERT INTO ${s}.quarantine (ring, position, module, version, reason, at, entry)
  SELECT ${ring('r')}, m, ${mod('m')}, '1.' || (m % 20) || '.' || r, 'health check failed: 503', now(),
         jsonb_build_object('module', ${mod('m')}, 'version', '1.' || (m % 20) || '.' || r,
           'reason', 'health check failed: 503', 'at', now())
    FROM generate_series(1, ${RINGS}) r, generate_series(1, ${MODULES}) m WHERE m % 97 = 0;
INSERT INTO ${s}.history (id, ring, module, op, from_version, to_version, content_hash, actor, lock_commit, reason,
                          outcome, started_at, finished_at, token, record)
  SELECT id, ring, module, 'upgrade', fv, tv, h, actor, lc, reason, 'succeeded', t, t, 1,
         jsonb_build_object('id', id, 'ring', ring, 'module', module, 'op', 'upgrade', 'from', fv, 'to', tv,
           'sha256', h, 'actor', actor, 'lockCommit', lc, 'reason', reason, 'outcome', 'succeeded',
           'startedAt', to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'finishedAt', to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
    FROM (SELECT 'h-' || i AS id, ${ring(`i / ${MODULES} % ${RINGS} + 1`)} AS ring, ${mod(`i % ${MODULES} + 1`)} AS module,
                 '1.' || (i / ${MODULES * RINGS}) || '.0' AS fv, '1.' || (i / ${MODULES * RINGS} + 1) || '.0' AS tv,
                 'sha256:' || md5(i::text) || md5((i + 1)::text) AS h, 'daemon:ring-' || (i / ${MODULES} % ${RINGS} + 1) AS actor,
                 md5('commit' || i) || substr(md5('x' || i), 1, 8) AS lc, 'promote batch ' || (i / ${MODULES}) AS reason,
                 timestamptz '2026-01-01' + make_interval(mins => i) AS t
            FROM generate_series(0, ${HISTORY - 1}) i ORDER BY i) x;
ANALYZE;`;
}

/** A workspace whose 10 rings' locks pin every module (one in 50 at another version: pending). */
export function workspace(dir) {
  const rings = Array.from({ length: RINGS }, (_, i) => `ring-${String(i + 1).padStart(2, '0')}`);
  writeFileSync(
    join(dir, 'ringlock.yaml'),
    `apiVersion: ringlock/v1\nplatform:\n  version: 2.0.0\nmodules:\n  dir: modules\nrings:\n${rings
      .map((r, i) => `  - name: ${r}${i > 0 ? `\n    promoteFrom: ${rings[i - 1]}` : ''}`)
      .join('\n')}\n`,
  );
  mkdirSync(join(dir, 'modules'));
  mkdirSync(join(dir, 'rings'));
  rings.forEach((r, ri) => {
    const modules = {};
    for (let m = 1; m <= MODULES; m++) {
      const v = `1.${m % 20}.${ri + 1 + (m % 50 === 0 ? 1 : 0)}`;
      // The content hash the seed gives the deployed version (sha256 of "m.r"): only the 1 in 50 differ.
      const sha256 = `sha256:${createHash('sha256')
        .update(`${m}.${ri + 1}`)
        .digest('hex')}`;
      modules[`mod-${String(m).padStart(4, '0')}`] = { version: v, sha256 };
    }
    writeFileSync(
      join(dir, 'rings', `${r}.lock.json`),
      `${JSON.stringify({ lockfileVersion: 1, ring: r, platform: '2.0.0', modules }, null, 2)}\n`,
    );
  });
}

export async function benchFleet(opts = {}) {
  const runs = opts.runs ?? (opts.quick ? 5 : 15);
  const queries = opts.quick ? 50 : 300;
  const support = await loadSupport();
  const pg = require('pg');
  console.log(
    `\n## fleet: starting PostgreSQL (durable: fsync on) and seeding ${RINGS} rings x ${MODULES} modules, ${HISTORY} history records`,
  );
  const server = await support.startPostgres({ durable: true });
  const outside = mkdtempSync(join(tmpdir(), 'rl-fleet-'));
  const inside = mkdtempSync(join(tmpdir(), 'rl-fleet-ws-'));
  const client = new pg.Client({ connectionString: server.url });
  try {
    await client.connect();
    const s = support.quoteIdent(SCHEMA);
    const t0 = performance.now();
    await client.query(`CREATE SCHEMA ${s}`);
    for (const m of support.MIGRATIONS) await client.query(m.sql(s));
    await client.query(seedSql(s));
    const counts = (
      await client.query(
        `SELECT (SELECT count(*) FROM ${s}.deployed_modules) AS deployed, (SELECT count(*) FROM ${s}.history) AS history`,
      )
    ).rows[0];
    console.log(
      `seeded in ${fmt((performance.now() - t0) / 1000, 1)} s: ${counts.deployed} deployed modules, ${counts.history} history records`,
    );
    workspace(inside);

    // (a) the CLI as a whole process.
    const env = { RINGLOCK_DATABASE_URL: server.url, RINGLOCK_STATE_SCHEMA: SCHEMA, NO_COLOR: '1' };
    const cmds = [
      { key: 'node', name: 'node -e 0', args: ['-e', '0'], cwd: outside },
      { key: 'status', name: 'ringlock status (10 x 1,000)', args: [BIN, 'status'], cwd: outside, goal: 300 },
      {
        key: 'json',
        name: 'ringlock status --json',
        args: [BIN, 'status', '--json'],
        cwd: outside,
        goal: 300,
      },
      {
        key: 'workspace',
        name: 'ringlock status (workspace: 10 locks compared)',
        args: [BIN, 'status'],
        cwd: inside,
        goal: 300,
      },
      {
        key: 'module',
        name: 'ringlock status --module mod-0500',
        args: [BIN, 'status', '--module', 'mod-0500'],
        cwd: outside,
      },
      {
        key: 'history',
        name: 'ringlock status --history mod-0500',
        args: [BIN, 'status', '--history', 'mod-0500'],
        cwd: outside,
      },
    ];
    // Under this Node and, when scripts/node-runtime.sh can get it, Node 24 (package.json's engines: ^22.12 || >=24;
    // on Node 20 pg's runtime probe also loads undici, which newer Nodes skip).
    const runtimes = [{ name: `Node ${process.versions.node}`, bin: process.execPath }];
    if (!process.versions.node.startsWith('24.')) {
      const r = spawnSync('bash', [join(ROOT, 'scripts/node-runtime.sh'), '24'], { encoding: 'utf8' });
      if (r.status === 0) runtimes.push({ name: 'Node 24', bin: r.stdout.trim() });
      else console.log('note: Node 24 could not be fetched; only this Node');
    }
    const byRuntime = {};
    for (const rt of runtimes) {
      const run = (c) => mustPass(c.name, timed(rt.bin, c.args, c.cwd, env));
      const first = timed(rt.bin, [BIN, 'status'], outside, env);
      mustPass('ringlock status', first);
      if (!first.output.includes('mod-1000'))
        mustPass('ringlock status lists mod-1000', { ...first, status: 9 });
      for (const c of cmds) run(c); // warm-up, untimed
      const times = Object.fromEntries(cmds.map((c) => [c.key, []]));
      for (let i = 0; i < runs; i++) for (const c of cmds) times[c.key].push(run(c));
      const ms = Object.fromEntries(cmds.map((c) => [c.key, median(times[c.key])]));
      console.log(
        `\n## fleet: ringlock status as a process under ${rt.name}, median of ${runs} interleaved runs`,
      );
      const goals = {};
      printTable(
        ['command', 'median ms', 'vs node -e 0', 'goal', ''],
        cmds.map((c) => {
          if (c.goal) goals[c.key] = { maxMs: c.goal, pass: ms[c.key] <= c.goal };
          return [
            c.name,
            fmt(ms[c.key], 1),
            fmt(ms[c.key] / ms.node, 2),
            c.goal ? `<= ${c.goal} ms` : '-',
            c.goal ? (goals[c.key].pass ? 'PASS' : 'MISS') : '',
          ];
        }),
      );
      byRuntime[rt.name] = {
        ms,
        ratio: Object.fromEntries(cmds.map((c) => [c.key, ms[c.key] / ms.node])),
        goals,
      };
    }

    // (b) the history query in-process: the page query alone, and readTimeline (page, count, next-page probe).
    const q = { module: 'mod-0500', limit: 50 };
    const sql = support.timelineSql(SCHEMA, q);
    const params = support.timelineParams(q);
    const plan = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
    const planText = plan.rows.map((r) => r['QUERY PLAN']);
    console.log(`\n## fleet: the history query's plan (module mod-0500, limit 50, over ${HISTORY} records)`);
    for (const l of planText) console.log(`  ${l}`);
    const methods = [
      { key: 'select1', name: 'SELECT 1 (round trip)', run: () => client.query('SELECT 1') },
      { key: 'page', name: 'history page query (50 of 100)', run: () => client.query(sql, params) },
      {
        key: 'timeline',
        name: 'readTimeline (page + count + next, in a read-only tx)',
        run: () => support.readTimeline(client, SCHEMA, q),
      },
    ];
    for (const m of methods) for (let i = 0; i < 10; i++) await m.run(); // warm-up
    const qt = Object.fromEntries(methods.map((m) => [m.key, []]));
    for (let i = 0; i < queries; i++)
      for (const m of methods) {
        const t = performance.now();
        await m.run();
        qt[m.key].push(performance.now() - t);
      }
    const qms = Object.fromEntries(methods.map((m) => [m.key, median(qt[m.key])]));
    console.log(`\n## fleet: the history query in-process, median of ${queries} interleaved runs`);
    const historyPass = qms.timeline <= 10;
    printTable(
      ['query', 'median ms', 'vs SELECT 1', 'goal', ''],
      methods.map((m) => [
        m.name,
        fmt(qms[m.key], 2),
        fmt(qms[m.key] / qms.select1, 2),
        m.key === 'timeline' ? '<= 10 ms' : '-',
        m.key === 'timeline' ? (historyPass ? 'PASS' : 'MISS') : '',
      ]),
    );
    return {
      rings: RINGS,
      modules: MODULES,
      history: HISTORY,
      runs,
      cli: byRuntime,
      historyQuery: { runs: queries, ms: qms, goal: { maxMs: 10, pass: historyPass }, plan: planText },
    };
  } finally {
    await client.end().catch(() => undefined);
    await server.destroy();
    rmSync(outside, { recursive: true, force: true });
    rmSync(inside, { recursive: true, force: true });
  }
}
