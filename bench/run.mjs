// ringlock benchmarks: `verify` against sha256sum/openssl pipelines over the same files, CLI cold start, `apply`
// against the shell and npm ci over the same artifacts, and `plan` in-process and as a process.
// Usage: node bench/run.mjs [verify|startup|apply|apply-pg|plan|daemon|promote|check|action|fleet|takeover|pointer] [--rounds N] [--runs N] [--modules N] [--quick]   (see --help)
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchAction } from './action.mjs';
import { benchApply, emptyTrash, ensureAppliedTarget, ensureApplyRepo } from './apply.mjs';
import { benchApplyPg, hasPostgres } from './apply-pg.mjs';
import { benchCheck } from './check.mjs';
import { benchDaemon } from './daemon.mjs';
import { benchFleet } from './fleet.mjs';
import {
  BIN,
  fmt,
  hasTool,
  median,
  mustPass,
  pool,
  printTable,
  ROOT,
  timed,
  WORK,
  xorshift,
} from './lib.mjs';
import { benchPlanCli, benchPlanPure } from './plan.mjs';
import { benchPointer } from './pointer.mjs';
import { benchPromote } from './promote.mjs';
import { benchTakeover } from './takeover.mjs';

const GEN_VERSION = 1; // bump when the generated layout changes: trees are regenerated
const MIN_SIZE = 1024;
const MAX_SIZE = 200 * 1024;

const WHAT = [
  'all',
  'verify',
  'startup',
  'apply',
  'apply-pg',
  'plan',
  'daemon',
  'promote',
  'check',
  'action',
  'fleet',
  'takeover',
  'pointer',
];
const HELP = `Usage: node bench/run.mjs [verify|startup|apply|apply-pg|plan|daemon|promote|check|action|fleet|takeover|pointer] [options]   (npm run bench -- verify)

  verify     generate the trees, time ringlock verify against sha256sum and openssl pipelines, then startup
  startup    median cold start of ringlock --help and ring list beside node -e 0
  apply      200 modules (~1 MB compressed, 50 files each) published to a file registry, applied onto an empty
             target: ringlock apply beside sha512sum -c + tar -xzf (one at a time and xargs -P2) and npm ci
  apply-pg   the same 200 modules applied onto a fresh target with the file store and with the PostgreSQL store (a
             server of its own, fsync on), interleaved: the ratio PG/file (goal <= 1.1x), then one profiled apply
             (transactions, statements and WAL flushes per module)
  plan       plan() in-process over a 1,000-module lock (and one upgrade in 1,000 vs 10 modules), then
             ringlock plan as a whole process on the applied 200-module target
  daemon     ringlock daemon (native and isomorphic git) on a 1,000-module ring over git http-backend: commit →
             applied via webhook (beside git push + fetch) and via polling (beside the interval), CPU of an idle
             tick (beside ringlock plan and node -e 0), git fetch per driver (beside the git CLI), idle RSS
             (beside node); --quick: fewer pushes, ticks and rounds
  promote    ringlock promote --auto --dry-run on 1,000 modules x 3 rings with 5 promotions due, for 100 and 2,000
             commits of lock history (beside node -e 0 and git log of the lock)
  check      ringlock check for a one-module pull request on the example and on a 1,000-module x 3-ring repo
             (--quick: 100 modules), beside node -e 0 and git diff --name-only base head
  action     the GitHub Action's cold start: node dist/action/index.js as the runner runs it (INPUT_*, GITHUB_*, an
             event file) on the example's one-module pull request, beside node -e 0, under this Node and Node 24
  fleet      a PostgreSQL server of its own (fsync on) seeded with 10 rings x 1,000 modules and 100,000 history
             records: ringlock status as a process (outside and inside a workspace) beside node -e 0, and the
             history query of status --history in-process beside SELECT 1, with its plan
  takeover   two ringlock daemon replicas on one ring with the PostgreSQL store (a server of its own): kill -9 the
             leader, time until the standby's /status says leader (default settings; goal <= 5 s, beside the
             standby's 1 s poll), then the same after SIGTERM (the leader hands its lease back)
  pointer    the micro-frontend target on a redis-server of its own: ringlock apply of a one-module upgrade (commit →
             pointer switched) beside a bare redis-cli SET, the Lua switch alone beside SET; upload throughput of
             the dir storage beside cp -r of the same bundles
  (none)     everything

Options:
  --rounds N   interleaved timed rounds per tree (default 5; 2 with --quick); for apply and apply-pg default 3 (2 with --quick)
  --runs N     runs per command for startup and ringlock plan (default 15; 5 with --quick)
  --modules N  modules for apply and the ringlock plan target (default 200; 10 with --quick)
  --quick      small trees (5 x 40, 50 x 5; apply 10 modules) and fewer plan() runs for a fast smoke run
  -h, --help   this help

Trees are generated under bench/.work/ and reused while their parameters match. Timing goals are
informational: the exit code is 0 unless a command fails.`;

// ---------- tree generation: deterministic, log-uniform sizes ----------

const CONFIG = `apiVersion: ringlock/v1
platform:
  version: 2.0.0
modules:
  dir: modules
rings:
  - name: canary
  - name: edge
    promoteFrom: canary
`;

/** Returns { dir, files, bytes, generatedMs } for a tree of `modules` × `perModule` files (module.json included). */
function ensureTree(name, modules, perModule, seed) {
  const params = { v: GEN_VERSION, modules, perModule, seed, min: MIN_SIZE, max: MAX_SIZE };
  const dir = join(WORK, `${name}-${modules}x${perModule}`);
  const stampPath = join(dir, '.bench-stamp.json');
  mkdirSync(WORK, { recursive: true });
  if (existsSync(stampPath)) {
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
    if (JSON.stringify(stamp.params) === JSON.stringify(params))
      return { dir, ...stamp.totals, generatedMs: 0 };
  }
  // Rename a stale tree aside before deleting it: creating files where others were just deleted is slow.
  if (existsSync(dir)) {
    const old = `${dir}.old-${process.pid}`;
    renameSync(dir, old);
    rmSync(old, { recursive: true, force: true });
  }
  const t0 = performance.now();
  const next = xorshift(seed);
  const rand = () => next() / 4294967296;
  const data = pool(next, 16 * 1024 * 1024);
  let files = 0;
  let bytes = 0;
  const write = (path, buf) => {
    writeFileSync(path, buf);
    files++;
    bytes += buf.length;
  };
  mkdirSync(join(dir, 'modules'), { recursive: true });
  writeFileSync(join(dir, 'ringlock.yaml'), CONFIG);
  const width = Math.max(3, String(modules).length);
  for (let m = 1; m <= modules; m++) {
    const mod = `mod-${String(m).padStart(width, '0')}`;
    const mdir = join(dir, 'modules', mod);
    mkdirSync(mdir);
    const manifest = { name: mod, version: '1.0.0', compatibility: { platform: '^2.0.0' } };
    write(join(mdir, 'module.json'), Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
    for (let f = 0; f < perModule - 1; f++) {
      const sub = join(mdir, 'src', `d${String(Math.floor(f / 40)).padStart(2, '0')}`);
      if (f % 40 === 0) mkdirSync(sub, { recursive: true });
      const size = Math.round(MIN_SIZE * (MAX_SIZE / MIN_SIZE) ** rand());
      const off = Math.floor(rand() * (data.length - size));
      write(join(sub, `f${String(f).padStart(4, '0')}.bin`), data.subarray(off, off + size));
    }
  }
  const totals = { files, bytes };
  writeFileSync(stampPath, `${JSON.stringify({ params, totals })}\n`);
  return { dir, ...totals, generatedMs: performance.now() - t0 };
}

// ---------- verify and startup ----------

const ringlockVerify = (dir) =>
  mustPass('ringlock verify', timed(process.execPath, [BIN, 'verify', '--cwd', dir], dir));

function benchTree(label, tree, rounds, tools, goal) {
  const mb = tree.bytes / 1e6;
  console.log(
    `\n## ${label}: ${tree.files} files, ${fmt(mb)} MB` +
      (tree.generatedMs ? ` (generated in ${fmt(tree.generatedMs / 1000, 1)} s)` : ' (reused)'),
  );
  mustPass('ringlock lock', timed(process.execPath, [BIN, 'lock', '--cwd', tree.dir], tree.dir));
  const methods = [{ key: 'ringlock', name: 'ringlock verify', run: () => ringlockVerify(tree.dir) }];
  for (const [key, cmd] of [
    ['sha256sum', 'sha256sum'],
    ['openssl', 'openssl dgst -sha256 -r'],
  ]) {
    if (!tools[key]) continue;
    const line = `find modules -type f -print0 | sort -z | xargs -0 ${cmd} > /dev/null`;
    methods.push({
      key,
      name: `xargs ${cmd}`,
      run: () => mustPass(line, timed('bash', ['-c', line], tree.dir)),
    });
  }
  for (const m of methods) m.run(); // warm the cache, untimed
  const times = Object.fromEntries(methods.map((m) => [m.key, []]));
  for (let i = 0; i < rounds; i++) for (const m of methods) times[m.key].push(m.run());
  const ms = Object.fromEntries(methods.map((m) => [m.key, median(times[m.key])]));
  const ratio = (a, b) => (ms[a] != null && ms[b] != null ? ms[a] / ms[b] : null);
  const rows = methods.map((m) => [
    m.name,
    fmt(ms[m.key], 1),
    fmt(mb / (ms[m.key] / 1000)),
    fmt(ratio(m.key, 'openssl'), 2),
    fmt(ratio(m.key, 'sha256sum'), 2),
  ]);
  printTable(['method', 'median ms', 'MB/s', 'vs openssl', 'vs sha256sum'], rows);
  const result = {
    label,
    files: tree.files,
    bytes: tree.bytes,
    rounds,
    ms,
    mbPerSec: Object.fromEntries(methods.map((m) => [m.key, mb / (ms[m.key] / 1000)])),
    ratio: {
      ringlockVsOpenssl: ratio('ringlock', 'openssl'),
      ringlockVsSha256sum: ratio('ringlock', 'sha256sum'),
    },
  };
  if (goal) {
    const r = result.ratio.ringlockVsOpenssl;
    result.goal = { maxVsOpenssl: goal, pass: r == null ? null : r <= goal };
    const verdict = r == null ? 'SKIP (no openssl)' : r <= goal ? 'PASS' : 'MISS';
    console.log(`goal: ringlock verify <= ${goal}x the openssl pipeline: ${fmt(r, 2)}x ${verdict}`);
  }
  return result;
}

function benchStartup(runs, dir) {
  console.log(`\n## startup: median of ${runs} interleaved runs (environment as-is)`);
  const cmds = [
    { key: 'node', name: 'node -e 0', args: ['-e', '0'] },
    { key: 'help', name: 'ringlock --help', args: [BIN, '--help'], goal: 50 },
    { key: 'ringList', name: 'ringlock ring list', args: [BIN, 'ring', 'list', '--cwd', dir], goal: 100 },
  ];
  const run = (c) => mustPass(c.name, timed(process.execPath, c.args, dir));
  for (const c of cmds) run(c); // warm-up, untimed
  const times = Object.fromEntries(cmds.map((c) => [c.key, []]));
  for (let i = 0; i < runs; i++) for (const c of cmds) times[c.key].push(run(c));
  const ms = Object.fromEntries(cmds.map((c) => [c.key, median(times[c.key])]));
  const over = {};
  const goals = {};
  const rows = cmds.map((c) => {
    if (!c.goal) return [c.name, fmt(ms[c.key], 1), '-', '-', ''];
    over[c.key] = ms[c.key] - ms.node;
    goals[c.key] = { maxOverNode: c.goal, pass: over[c.key] <= c.goal };
    return [
      c.name,
      fmt(ms[c.key], 1),
      `+${fmt(over[c.key], 1)}`,
      `<= +${c.goal}`,
      goals[c.key].pass ? 'PASS' : 'MISS',
    ];
  });
  printTable(['command', 'median ms', 'over node', 'goal', ''], rows);
  return { runs, ms, overNode: over, goals, nodeExtraCaCerts: Boolean(process.env.NODE_EXTRA_CA_CERTS) };
}

// ---------- main ----------

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: 'string' },
      runs: { type: 'string' },
      modules: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const what = positionals[0] ?? 'all';
  if (values.help || !WHAT.includes(what) || positionals.length > 1) {
    console.log(HELP);
    process.exit(values.help ? 0 : 2);
  }
  const count = (v, def) => {
    const n = v === undefined ? def : Number(v);
    if (!Number.isInteger(n) || n < 1) {
      console.error(`expected a positive integer, got "${v}"`);
      process.exit(2);
    }
    return n;
  };
  const quick = values.quick;
  const rounds = count(values.rounds, quick ? 2 : 5);
  const applyRounds = count(values.rounds, quick ? 2 : 3);
  const runs = count(values.runs, quick ? 5 : 15);
  const modules = count(values.modules, quick ? 10 : 200);
  const has = (...w) => what === 'all' || w.includes(what);
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
    console.log('dist/ is missing: npm run build');
    mustPass('npm run build', timed('npm', ['run', 'build'], ROOT));
  }
  const tools = {};
  if (has('verify')) Object.assign(tools, { sha256sum: hasTool('sha256sum'), openssl: hasTool('openssl') });
  if (has('apply')) Object.assign(tools, { sha512sum: hasTool('sha512sum'), npm: hasTool('npm') });
  for (const [t, ok] of Object.entries(tools))
    if (!ok) console.log(`note: ${t} not found, skipping its column`);
  console.log(`ringlock bench: node ${process.version}, ${what}${quick ? ' (quick)' : ''}`);
  const out = { node: process.version, quick, trees: [], startup: null };
  if (has('verify')) {
    const platform = quick ? [5, 40] : [25, 400];
    const wide = quick ? [50, 5] : [1000, 20];
    const p = ensureTree('platform', ...platform, 1);
    out.trees.push(benchTree(`platform ${platform.join(' x ')}`, p, rounds, tools, 1.5));
    const w = ensureTree('wide', ...wide, 2);
    out.trees.push(benchTree(`wide ${wide.join(' x ')}`, w, rounds, tools));
  }
  if (has('apply', 'plan')) {
    const repo = ensureApplyRepo(modules);
    if (has('apply')) {
      out.apply = benchApply(`apply ${modules} modules x 50 files`, repo, applyRounds, tools);
    }
    if (has('plan')) {
      out.plan = { pure: await benchPlanPure(quick ? 10 : 1) };
      out.plan.cli = benchPlanCli(repo, ensureAppliedTarget(repo), runs);
    }
  }
  if (has('apply-pg')) {
    if (await hasPostgres()) out.applyPg = await benchApplyPg({ modules, rounds: applyRounds });
    else console.log('note: PostgreSQL server binaries not found (initdb), skipping the apply-pg bench');
  }
  if (has('daemon')) {
    if (hasTool('git')) out.daemon = await benchDaemon({ quick });
    else console.log('note: git not found, skipping the daemon bench');
  }
  if (has('promote')) {
    if (hasTool('git')) out.promote = await benchPromote({ quick });
    else console.log('note: git not found, skipping the promote bench');
  }
  if (has('check')) {
    if (hasTool('git')) out.check = benchCheck({ quick, runs: values.runs ? runs : undefined });
    else console.log('note: git not found, skipping the check bench');
  }
  if (has('action')) {
    if (hasTool('git')) out.action = benchAction({ quick, runs: values.runs ? runs : undefined });
    else console.log('note: git not found, skipping the action bench');
  }
  if (has('fleet')) out.fleet = await benchFleet({ quick, runs: values.runs ? runs : undefined });
  if (has('takeover')) {
    if (hasTool('git')) out.takeover = await benchTakeover({ quick });
    else console.log('note: git not found, skipping the takeover bench');
  }
  if (has('pointer')) out.pointer = await benchPointer({ quick });
  if (has('verify', 'startup')) {
    const small = ensureTree('startup', 5, 3, 3);
    mustPass('ringlock lock', timed(process.execPath, [BIN, 'lock', '--cwd', small.dir], small.dir));
    out.startup = benchStartup(runs, small.dir);
  }
  // Every timed command is done: now the trees renamed aside can go.
  const rmMs = emptyTrash();
  if (rmMs > 1000) console.log(`\n(deleted the trees renamed aside in ${fmt(rmMs / 1000, 1)} s)`);
  console.log(`\nBENCH_JSON ${JSON.stringify(out)}`);
}

await main();
