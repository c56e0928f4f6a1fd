// `apply-pg` bench: ringlock apply of N modules onto a fresh target with the file store and with the PostgreSQL store
// (a server of the bench's own, durable defaults: fsync and synchronous_commit on), interleaved, medians, the ratio
// PG/file (goal <= 1.1x). Then one profiled PostgreSQL apply: transactions, statements (sent one batch per transaction) and WAL flushes
// per module, and the server's own time in those statements.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ensureApplyRepo, trash } from './apply.mjs';
import { BIN, fmt, median, mustPass, printTable, timed } from './lib.mjs';
import { hasPostgres, startPostgres } from './pg.mjs';

export { hasPostgres };

async function query(url, text) {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

/** Server-wide counters: transactions committed and WAL flushes (PostgreSQL 14+; pg_stat_io from 18). */
async function counters(url) {
  // The CLI's connections have just closed: give their backends a moment to flush their statistics.
  await new Promise((r) => setTimeout(r, 700));
  const [db] = await query(
    url,
    "SELECT xact_commit::bigint AS commits FROM pg_stat_database WHERE datname = 'postgres'",
  );
  let syncs = null;
  try {
    const [w] = await query(url, 'SELECT wal_sync::bigint AS syncs FROM pg_stat_wal');
    syncs = Number(w.syncs);
  } catch {
    // PostgreSQL 18 moved it (pg_stat_io); the column is then left out.
  }
  return { commits: Number(db.commits), syncs };
}

const TICK_MS = 10; // USER_HZ 100: /proc's CPU times are in ticks of 10 ms

/** utime, stime, cutime, cstime of /proc/<pid>/stat in ms (the fields after the command's closing parenthesis). */
function procCpu(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      self: (Number(f[11]) + Number(f[12])) * TICK_MS,
      children: (Number(f[13]) + Number(f[14])) * TICK_MS,
      ppid: Number(f[1]),
    };
  } catch {
    return undefined;
  }
}

/** CPU ms of this process's finished children (a spawnSync'd CLI and its own children, once reaped). */
const childrenCpu = () => procCpu(process.pid).children;

/** CPU ms of the whole server: the postmaster, its live processes, and the backends it has reaped. */
function serverCpu(postmaster) {
  const top = procCpu(postmaster);
  let ms = top ? top.self + top.children : 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const p = procCpu(Number(d));
    if (p && p.ppid === postmaster) ms += p.self;
  }
  return ms;
}

/** The median time of one `SELECT 1` over an open connection: what each statement costs before the server works. */
async function roundTrip(url) {
  const c = new pg.Client(url);
  await c.connect();
  try {
    const ms = [];
    for (let i = 0; i < 500; i++) {
      const t0 = performance.now();
      await c.query('SELECT 1');
      ms.push(performance.now() - t0);
    }
    return median(ms);
  } finally {
    await c.end();
  }
}

function apply(repo, target, env) {
  return timed(
    process.execPath,
    [BIN, 'apply', '--ring', 'canary', '--yes', '--skip-hooks', '--target', target, '--cwd', repo.repo],
    repo.dir,
    env,
  );
}

export async function benchApplyPg({ modules, rounds }) {
  const repo = ensureApplyRepo(modules);
  console.log(
    `\n## apply-pg: ${modules} modules x 50 files (${(repo.compressed / 1e6).toFixed(0)} MB compressed), ` +
      'file store beside the PostgreSQL store',
  );
  const server = await startPostgres({
    max_connections: '50',
    shared_preload_libraries: 'pg_stat_statements',
  });
  // Off while timing; on (ALTER SYSTEM: a -c setting would win over it) for the profiled apply.
  await query(server.url, "ALTER SYSTEM SET pg_stat_statements.track = 'none'");
  await query(server.url, 'SELECT pg_reload_conf()');
  console.log(
    `PostgreSQL ${server.bin} on 127.0.0.1:${server.port}, fsync and synchronous_commit on (defaults)`,
  );
  const base = {
    RINGLOCK_STATE_TYPE: undefined,
    RINGLOCK_DATABASE_URL: undefined,
    RINGLOCK_STATE_SCHEMA: undefined,
    RING_NAME: undefined,
  };
  let n = 0;
  /** A fresh schema, migrated before the timing (`ringlock state schema --apply`): the apply times only the apply. */
  const pgEnv = () => {
    const env = {
      ...base,
      RINGLOCK_STATE_TYPE: 'postgres',
      RINGLOCK_DATABASE_URL: server.url,
      RINGLOCK_STATE_SCHEMA: `bench_${process.pid}_${n++}`,
    };
    mustPass(
      'ringlock state schema --apply',
      timed(process.execPath, [BIN, 'state', 'schema', '--apply'], repo.dir, env),
    );
    return env;
  };
  const dir = join(repo.dir, `rounds-pg-${process.pid}`);
  const methods = [
    { key: 'file', name: 'ringlock apply, file store', env: () => base },
    { key: 'pg', name: 'ringlock apply, PostgreSQL store', env: pgEnv },
  ];
  const times = { file: [], pg: [] };
  /** CPU ms of each timed apply: the CLI with its children, plus the server's (idle for the file store). */
  const cpu = { file: [], pg: [] };
  /** Of it, the server's. */
  const srvCpu = { file: [], pg: [] };
  const loadBefore = loadavg()[0];
  try {
    for (let round = 0; round <= rounds; round++) {
      // Alternate the order so a drift in the machine's load falls on both.
      const order = round % 2 === 0 ? methods : [...methods].reverse();
      for (const m of order) {
        const target = join(dir, `${m.key}-${round}`);
        const env = m.env();
        const cpu0 = childrenCpu();
        const srv0 = serverCpu(server.pid);
        const ms = mustPass(m.name, apply(repo, target, env));
        if (round > 0) {
          times[m.key].push(ms);
          const srv = serverCpu(server.pid) - srv0;
          cpu[m.key].push(childrenCpu() - cpu0 + srv);
          srvCpu[m.key].push(srv);
        }
        trash(target);
      }
    }
    // One more PostgreSQL apply, untimed, counting what it asks of the server.
    const env = pgEnv();
    await query(server.url, "ALTER SYSTEM SET pg_stat_statements.track = 'top'");
    await query(server.url, 'SELECT pg_reload_conf()');
    await query(server.url, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await query(server.url, 'SELECT pg_stat_statements_reset()');
    const before = await counters(server.url);
    const target = join(dir, 'profile');
    const ms = mustPass('profiled apply', apply(repo, target, env));
    trash(target);
    const after = await counters(server.url);
    const stmts = await query(
      server.url,
      `SELECT calls::bigint AS calls, total_exec_time AS ms, regexp_replace(query, '\\s+', ' ', 'g') AS query
         FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC`,
    );
    const rtt = await roundTrip(server.url);
    const calls = stmts.reduce((s, r) => s + Number(r.calls), 0);
    const serverMs = stmts.reduce((s, r) => s + r.ms, 0);
    const profile = {
      applyMs: ms,
      transactions: after.commits - before.commits,
      walSyncs: after.syncs == null ? null : after.syncs - before.syncs,
      statements: calls,
      serverMs,
      roundTripMs: rtt,
      top: stmts.slice(0, 8).map((r) => ({ calls: Number(r.calls), ms: r.ms, query: r.query.slice(0, 110) })),
    };
    const med = { file: median(times.file), pg: median(times.pg) };
    const ratio = med.pg / med.file;
    const cpuMed = { file: median(cpu.file), pg: median(cpu.pg) };
    const srvMed = { file: median(srvCpu.file), pg: median(srvCpu.pg) };
    console.log(
      `median of ${rounds} interleaved rounds after an untimed warm-up; load average ${fmt(loadBefore, 1)} → ` +
        `${fmt(loadavg()[0], 1)} on ${availableParallelism()} cores (other work on the machine skews it)`,
    );
    printTable(
      ['store', 'median s', 'min s', 'runs s', 'CPU s (median)', 'of it the server'],
      methods.map((m) => [
        m.name,
        fmt(med[m.key] / 1000, 2),
        fmt(Math.min(...times[m.key]) / 1000, 2),
        times[m.key].map((x) => fmt(x / 1000, 1)).join(' '),
        fmt(cpuMed[m.key] / 1000, 2),
        fmt(srvMed[m.key] / 1000, 2),
      ]),
    );
    const pass = ratio <= 1.1;
    console.log(`goal: PostgreSQL store <= 1.1x the file store: ${fmt(ratio, 2)}x ${pass ? 'PASS' : 'MISS'}`);
    console.log(
      `CPU (steadier than wall time on a busy machine): ${fmt(cpuMed.pg / cpuMed.file, 2)}x the file store's`,
    );
    const per = (x) => (x == null ? '-' : fmt(x / modules, 1));
    console.log(
      `profile (one more PostgreSQL apply, ${fmt(ms / 1000, 2)} s): per module ${per(profile.transactions)} transactions, ` +
        `${per(profile.statements)} statements (one batch per transaction), ${per(profile.walSyncs)} WAL flushes; the server's own ` +
        `time in them ${fmt(serverMs / 1000, 2)} s (${fmt((100 * serverMs) / ms, 1)}% of the apply)`,
    );
    console.log(
      `a round trip (SELECT 1, median of 500) takes ${fmt(rtt, 2)} ms now: ${profile.transactions} transactions ` +
        `(one round trip each) x that = ${fmt((profile.transactions * rtt) / 1000, 2)} s of the apply waiting on the ` +
        `network and the server's scheduling (${calls} statements in them); ` +
        `PG - file medians: ${fmt((med.pg - med.file) / 1000, 2)} s`,
    );
    printTable(
      ['statement (the most frequent)', 'calls', 'server ms'],
      profile.top.map((r) => [r.query, String(r.calls), fmt(r.ms, 0)]),
    );
    return {
      modules,
      rounds,
      ms: med,
      runsMs: times,
      cpuMs: cpuMed,
      serverCpuMs: srvMed,
      ratio,
      cpuRatio: cpuMed.pg / cpuMed.file,
      goal: { max: 1.1, pass },
      profile,
      loadAverage: [loadBefore, loadavg()[0]],
    };
  } finally {
    await server.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
