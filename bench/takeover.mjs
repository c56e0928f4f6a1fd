// `takeover` bench: two `ringlock daemon` replicas on one ring with the PostgreSQL store (a server of its own, from
// bench/pg.mjs: fsync on), sharing one target. The leader is killed (kill -9), and the time until the
// standby's /status says `role: leader` is taken, with default settings (lease TTL 15 s, a standby looks every 1 s);
// then the same after a SIGTERM (the leader hands its lease back). Goal: ≤ 5 s; baseline: the standby's poll interval.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, fmt, median, printTable } from './lib.mjs';
import { hasPostgres, startPostgres } from './pg.mjs';

const RING = 'canary';
const POLL_MS = 1000; // the standby's look at the lease with the default TTL (min(1 s, TTL / 3))
const GOAL_MS = 5000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const live = new Set();
function track(child) {
  live.add(child);
  child.on('close', () => live.delete(child));
  return child;
}
process.on('exit', () => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

// ---------- a one-module platform in a local bare repository ----------

function git(cwd, ...args) {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Bench',
      GIT_AUTHOR_EMAIL: 'bench@example.test',
      GIT_COMMITTER_NAME: 'Bench',
      GIT_COMMITTER_EMAIL: 'bench@example.test',
    },
  }).trim();
}

function makePlatform(root) {
  const repo = join(root, 'repo');
  mkdirSync(join(repo, 'modules', 'a', 'src'), { recursive: true });
  writeFileSync(
    join(repo, 'ringlock.yaml'),
    'apiVersion: ringlock/v1\nplatform:\n  version: 2.0.0\nmodules:\n  dir: modules\nregistry:\n  type: file\n  path: ../registry\nrings:\n  - name: canary\n    tracksSource: true\n',
  );
  writeFileSync(
    join(repo, 'modules', 'a', 'module.json'),
    `${JSON.stringify({ name: 'a', version: '1.0.0', compatibility: { platform: '^2.0.0' } })}\n`,
  );
  writeFileSync(join(repo, 'modules', 'a', 'src', 'index.php'), '<?php // a\n');
  for (const args of [['lock'], ['publish', '--ring', RING, '--all']]) {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: repo, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ringlock ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  }
  git(repo, 'init', '-q', '--initial-branch=main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'initial');
  const bare = join(root, 'platform.git');
  git(root, 'clone', '-q', '--bare', repo, bare);
  return { repo, bare, registry: join(root, 'registry'), target: join(root, 'target') };
}

// ---------- the daemons ----------

async function startDaemon(p, root, dbUrl, schema) {
  const env = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('RINGLOCK_') && !k.startsWith('GIT_')) env[k] = v;
  Object.assign(env, {
    NO_COLOR: '1',
    RINGLOCK_STATE_TYPE: 'postgres',
    RINGLOCK_DATABASE_URL: dbUrl,
    RINGLOCK_STATE_SCHEMA: schema,
  });
  const args = [
    BIN,
    'daemon',
    '--ring',
    RING,
    '--repo',
    p.bare,
    '--target',
    p.target,
    '--registry',
    p.registry,
    '--cache-dir',
    join(root, `git-cache-${Math.random().toString(36).slice(2)}`),
    '--listen',
    '127.0.0.1:0',
    '--schedule',
    '0 0 1 1 *',
    '--skip-hooks',
    '--run-for',
    '10m',
  ];
  const child = track(spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] }));
  let err = '';
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start in 30 s:\n${err}`)), 30_000);
    child.stderr.on('data', (b) => {
      err += b.toString('utf8');
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('close', (code) => reject(new Error(`daemon exited (${code}):\n${err}`)));
  });
  const exited = new Promise((r) => child.on('close', () => r()));
  return { child, base, exited };
}

async function status(d) {
  try {
    return await (await fetch(`${d.base}/status`)).json();
  } catch {
    return {};
  }
}

async function until(d, what, ok, timeoutMs = 60_000, everyMs = 10) {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const s = await status(d);
    if (ok(s)) return s;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** One round: a leader that applied, a standby, then `signal` to the leader; ms until the standby leads. */
async function round(p, root, dbUrl, schema, signal) {
  const a = await startDaemon(p, root, dbUrl, schema);
  await until(a, 'the first replica to lead and apply', (s) => s.role === 'leader' && s.appliedCommit);
  const b = await startDaemon(p, root, dbUrl, schema);
  await until(b, 'the second replica to wait as standby', (s) => s.role === 'standby');
  // Steady state: the standby has looked at the lease before; the death falls anywhere in its poll interval.
  await sleep(1500 + Math.random() * POLL_MS);
  const t0 = performance.now();
  a.child.kill(signal);
  await until(b, 'the standby to take over', (s) => s.role === 'leader');
  const ms = performance.now() - t0;
  await a.exited;
  b.child.kill('SIGTERM');
  await b.exited;
  return ms;
}

export async function benchTakeover({ quick }) {
  if (!(await hasPostgres())) {
    console.log(
      'note: PostgreSQL server binaries not found (install postgresql or set RINGLOCK_PG_BIN): skipping',
    );
    return null;
  }
  const rounds = quick ? 2 : 5;
  const root = mkdtempSync(join(tmpdir(), 'rl-takeover-'));
  const pg = await startPostgres();
  try {
    const p = makePlatform(root);
    console.log(
      `\ntakeover: two replicas on one ring (PostgreSQL store, default lease settings), ${rounds} rounds each`,
    );
    const out = {};
    for (const [name, signal] of [
      ['kill -9 leader', 'SIGKILL'],
      ['SIGTERM leader', 'SIGTERM'],
    ]) {
      const ms = [];
      for (let i = 0; i < rounds; i++) {
        // Each round a ring of its own: its own schema and target.
        const ring = { ...p, target: join(root, `target-${signal}-${i}`) };
        ms.push(await round(ring, root, pg.url, `bench_${signal.toLowerCase()}_${i}`, signal));
      }
      out[name] = { median: median(ms), min: Math.min(...ms), max: Math.max(...ms) };
    }
    printTable(
      ['standby leads after', 'median ms', 'min ms', 'max ms', 'goal ms', 'baseline: standby poll ms'],
      Object.entries(out).map(([k, v]) => [
        k,
        fmt(v.median),
        fmt(v.min),
        fmt(v.max),
        fmt(GOAL_MS),
        fmt(POLL_MS),
      ]),
    );
    return { ...out, goalMs: GOAL_MS, pollMs: POLL_MS };
  } finally {
    await pg.destroy();
    rmSync(root, { recursive: true, force: true });
  }
}
