// `daemon` bench: the real `ringlock daemon` (native and isomorphic git drivers) watching a 1,000-module ring whose repo
// is served by `git http-backend` on 127.0.0.1, applying it onto its own target from a file registry. Measures commit →
// applied via webhook and via polling, the CPU of a tick with nothing to do, git fetch per driver and idle RSS, each
// beside a baseline from the same run. Every wait is bounded; the daemons also stop by themselves (--run-for).
import { spawn, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { trash } from './apply.mjs';
import { BIN, fmt, median, mustPass, printTable, timed, WORK, xorshift } from './lib.mjs';

const GEN_VERSION = 1; // bump when the generated repo changes: it is regenerated
const MODULES = 1000;
/** Modules pre-published at 1.1.0 too: each timed push upgrades the next one (publishing stays out of the timing). */
const UPGRADES = 150;
const RING = 'canary';
const DRIVERS = ['native', 'isomorphic'];
const POLL_SCHEDULE = '*/2 * * * * *';
const POLL_INTERVAL_MS = 2000;
const NEVER = '0 0 1 1 *'; // yearly: only webhooks and /reconcile trigger runs
const MB = 1024 * 1024;

const CONFIG = `apiVersion: ringlock/v1
platform:
  version: 2.0.0
modules:
  dir: modules
registry:
  type: file
  path: ../registry
rings:
  - name: canary
    tracksSource: true
`;

// ---------- processes: every child is tracked and killed at the end, whatever happens ----------

const live = new Set();
function track(child) {
  live.add(child);
  child.on('close', () => live.delete(child));
  return child;
}
function killAll() {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.on('exit', killAll);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Environment for git: nothing inherited from GIT_*, no user or system config, fixed identities. */
const GIT_ENV = (() => {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    LC_ALL: 'C',
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'bench@example.test',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'bench@example.test',
  };
})();

/** Runs a command without blocking the event loop (the git server lives in it); resolves with { ms, status, output }. */
function run(cmd, args, { cwd, env = GIT_ENV, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = track(spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let output = '';
    const add = (b) => {
      output = (output + b.toString('utf8')).slice(-16_384);
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => add(String(e)));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - t0, status: status ?? signal, output });
    });
  });
}

async function git(cwd, ...args) {
  const r = await run('git', args, { cwd });
  if (r.status !== 0)
    throw new Error(`git ${args.join(' ')} (in ${cwd}) exited with ${r.status}:\n${r.output}`);
  return r.output.trim();
}

/** Bounded polling: calls `get` every `everyMs` until `ok(value)`, or throws after `timeoutMs`. */
async function until(what, get, ok, timeoutMs, everyMs = 10) {
  const end = performance.now() + timeoutMs;
  let last;
  for (;;) {
    last = await get();
    if (ok(last)) return last;
    if (performance.now() > end)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 800)}`,
      );
    await sleep(everyMs);
  }
}

// ---------- the generated platform repo: 1,000 tiny modules, published, plus 1.1.0 of the first UPGRADES ----------

const modName = (i) => `mod-${String(i).padStart(4, '0')}`;

function writeModule(repo, name, version) {
  const dir = join(repo, 'modules', name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  const manifest = { name, version, compatibility: { platform: '^2.0.0' } };
  writeFileSync(join(dir, 'module.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'src', 'index.txt'), `${name} ${version}\n`);
}

const lockFile = (repo) => join(repo, 'rings', `${RING}.lock.json`);

/** bench/.work/daemon-1000/: src/ (sources and the canary lock at 1.0.0), registry/, upgrades.json. Reused (stamp). */
function ensureDaemonRepo() {
  const params = { v: GEN_VERSION, modules: MODULES, upgrades: UPGRADES };
  const dir = join(WORK, `daemon-${MODULES}`);
  const paths = {
    dir,
    src: join(dir, 'src'),
    registry: join(dir, 'registry'),
    upgrades: join(dir, 'upgrades.json'),
  };
  const stampPath = join(dir, '.bench-stamp.json');
  mkdirSync(WORK, { recursive: true });
  if (existsSync(stampPath)) {
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
    if (JSON.stringify(stamp.params) === JSON.stringify(params)) return { ...paths, generatedMs: 0 };
  }
  trash(dir);
  const t0 = performance.now();
  mkdirSync(join(paths.src, 'modules'), { recursive: true });
  writeFileSync(join(paths.src, 'ringlock.yaml'), CONFIG);
  for (let i = 1; i <= MODULES; i++) writeModule(paths.src, modName(i), '1.0.0');
  const rl = (...args) =>
    mustPass(`ringlock ${args.join(' ')}`, timed(process.execPath, [BIN, ...args, '--cwd', paths.src]));
  rl('lock');
  rl('publish', '--ring', RING, '--all');
  const base = readFileSync(lockFile(paths.src), 'utf8');
  // Publish 1.1.0 of the first UPGRADES modules, keep their lock entries, then put sources and lock back at 1.0.0.
  const names = Array.from({ length: UPGRADES }, (_, i) => modName(i + 1));
  for (const n of names) writeModule(paths.src, n, '1.1.0');
  rl('lock');
  rl('publish', '--ring', RING, ...names);
  const up = JSON.parse(readFileSync(lockFile(paths.src), 'utf8')).modules;
  const upgrades = names.map((name) => {
    const entry = up[name];
    if (entry?.version !== '1.1.0' || !entry.integrity) throw new Error(`${name}: 1.1.0 was not published`);
    return { name, entry };
  });
  writeFileSync(paths.upgrades, `${JSON.stringify(upgrades)}\n`);
  for (const n of names) writeModule(paths.src, n, '1.0.0');
  writeFileSync(lockFile(paths.src), base);
  rl('lock', '--check');
  writeFileSync(stampPath, `${JSON.stringify({ params })}\n`);
  const generatedMs = performance.now() - t0;
  console.log(
    `generated and published ${MODULES} modules (+${UPGRADES} upgrades) in ${fmt(generatedMs / 1000, 1)} s`,
  );
  return { ...paths, generatedMs };
}

// ---------- git smart HTTP: node:http running `git http-backend` as CGI ----------

async function startGitServer(root) {
  const backend = join(await git(undefined, '--exec-path'), 'git-http-backend');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const env = {
      ...GIT_ENV,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: '127.0.0.1',
    };
    // Without CONTENT_LENGTH http-backend reads the body to EOF (a chunked request).
    if (req.headers['content-length'] !== undefined) env.CONTENT_LENGTH = req.headers['content-length'];
    if (req.headers['content-encoding'] !== undefined)
      env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
    if (typeof req.headers['git-protocol'] === 'string') env.GIT_PROTOCOL = req.headers['git-protocol'];
    const child = track(spawn(backend, [], { env, stdio: ['pipe', 'pipe', 'ignore'] }));
    child.stdin.on('error', () => {}); // the backend may exit before reading the whole body
    req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let sent = false;
    child.stdout.on('data', (chunk) => {
      if (sent) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const crlf = head.indexOf('\r\n\r\n');
      const lf = head.indexOf('\n\n');
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
      if (end < 0) return;
      let status = 200;
      const headers = {};
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      sent = true;
      res.write(head.subarray(end));
    });
    child.on('error', () => {});
    child.on('close', (code) => {
      if (!sent)
        res.writeHead(502, { 'Content-Type': 'text/plain' }).end(`git http-backend exited with ${code}\n`);
      else res.end();
    });
    res.on('close', () => {
      if (child.exitCode === null) child.kill();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // isomorphic-git's keep-alive sockets
      }),
  };
}

// ---------- the daemon as a child process ----------

const SECRETS = { webhook: randomBytes(16).toString('hex'), api: randomBytes(16).toString('hex') };

async function startDaemon(o) {
  const env = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('RINGLOCK_') && !k.startsWith('GIT_')) env[k] = v;
  Object.assign(env, {
    NO_COLOR: '1',
    RINGLOCK_WEBHOOK_SECRET: SECRETS.webhook,
    RINGLOCK_API_TOKEN: SECRETS.api,
  });
  const args = [
    BIN,
    'daemon',
    '--ring',
    RING,
    '--repo',
    o.url,
    '--git-driver',
    o.driver,
    '--target',
    o.target,
    '--registry',
    o.registry,
    '--cache-dir',
    o.cache,
    '--listen',
    '127.0.0.1:0',
    '--schedule',
    o.schedule ?? NEVER,
    '--skip-hooks',
    '--run-for',
    '20m', // a safety net: it stops by itself even if this bench is killed
  ];
  const child = track(spawn(process.execPath, args, { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let tail = '';
  let err = '';
  const keep = (b) => {
    tail = (tail + b.toString('utf8')).slice(-16_384);
  };
  child.stdout.on('data', keep);
  const exited = new Promise((r) => child.on('close', (code, signal) => r(code ?? signal)));
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`daemon did not start in 30 s:\n${err}\n${tail}`)),
      30_000,
    );
    child.stderr.on('data', (b) => {
      keep(b);
      if (err.length < 65_536) err += b.toString('utf8');
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited (${code}) before listening:\n${err}\n${tail}`));
    });
  });
  const request = async (method, path, body, headers = {}) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await fetch(`${base}${path}`, {
          method,
          body,
          headers,
          signal: AbortSignal.timeout(15_000),
        });
        return { status: r.status, text: await r.text() };
      } catch (e) {
        // A kept-alive socket the daemon closed after its 5 s keepAliveTimeout, just as it was reused: the request
        // never reached the daemon, so one retry on a fresh connection is safe.
        if (attempt > 1 || e?.cause?.code !== 'UND_ERR_SOCKET') throw e;
      }
    }
  };
  const d = {
    driver: o.driver,
    pid: child.pid,
    tail: () => tail,
    status: async () => {
      if (child.exitCode !== null) throw new Error(`daemon (${o.driver}) exited:\n${tail}`);
      return JSON.parse((await request('GET', '/status')).text);
    },
    metrics: async () => (await request('GET', '/metrics')).text,
    reconcile: async () => {
      const r = await request('POST', '/reconcile', '', { authorization: `Bearer ${SECRETS.api}` });
      if (r.status !== 202) throw new Error(`POST /reconcile: ${r.status} ${r.text}`);
    },
    webhook: async (commit) => {
      const text = JSON.stringify({
        ref: 'refs/heads/main',
        after: commit,
        // As GitHub sends it: the daemon acts only on pushes to the repository it watches.
        repository: { full_name: 'acme/platform', clone_url: o.url },
      });
      const r = await request('POST', '/hooks/github', text, {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': randomBytes(8).toString('hex'),
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRETS.webhook).update(text).digest('hex')}`,
      });
      if (r.status !== 202 || !JSON.parse(r.text).triggered)
        throw new Error(`webhook: ${r.status} ${r.text}`);
    },
    /** SIGTERM, then SIGKILL after 15 s. */
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  return d;
}

/** Finished runs so far: the sum of ringlock_reconciles_total (GET /metrics is far cheaper than /status). */
async function runsDone(d) {
  let n = 0;
  for (const m of (await d.metrics()).matchAll(/^ringlock_reconciles_total(?:\{[^}]*\})? (\S+)$/gm))
    n += Number(m[1]);
  return n;
}

/**
 * Triggers a run through POST /reconcile and waits until it finished, polling /metrics every 10 ms; then reads
 * /status once (and checks that `commit`, when given, is applied).
 */
async function tickOnce(d, commit) {
  const before = await runsDone(d);
  await d.reconcile();
  await until(
    `a finished run of the ${d.driver} daemon`,
    () => runsDone(d),
    (x) => x > before,
    60_000,
    10,
  );
  const s = await d.status();
  if (commit !== undefined && s.appliedCommit !== commit)
    throw new Error(
      `the ${d.driver} daemon ran but did not apply ${commit}: ${JSON.stringify(s.lastAttempt)}`,
    );
  return s;
}

/** Bytes and pack files under a directory. */
function diskUse(dir) {
  let bytes = 0;
  let packs = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.isFile()) {
        bytes += statSync(path).size;
        if (e.name.endsWith('.pack')) packs++;
      }
    }
  };
  walk(dir);
  return { bytes, packs };
}

// ---------- /proc ----------

function procStat(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return { self: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
}

/** VmRSS and VmHWM, and the anonymous part of the RSS (heaps, stacks: what the process itself allocated; the rest is
 * mapped files, mostly the node binary's code, shared with every other node process). */
function procMem(pid) {
  const kb = (text, k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  let anon = Number.NaN;
  try {
    anon = kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Anonymous') * 1024;
  } catch {
    // Kernels before 4.14 have no smaps_rollup.
  }
  return { rss: kb(status, 'VmRSS') * 1024, hwm: kb(status, 'VmHWM') * 1024, anon };
}

// ---------- stats and printing ----------

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const summary = (xs) => ({
  n: xs.length,
  p50: pct(xs, 50),
  p95: pct(xs, 95),
  min: Math.min(...xs),
  max: Math.max(...xs),
});
const ratio = (a, b) => (a != null && b ? fmt(a / b, 2) : '-');
const verdict = (ok) => (ok ? 'PASS' : 'MISS');

/** `name_sum` and `name_count` of a Prometheus histogram in /metrics text. */
function histogram(text, name) {
  const num = (suffix) => Number(new RegExp(`^${name}_${suffix} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { sum: num('sum'), count: num('count') };
}

// ---------- the bench ----------

/**
 * Runs the five daemon figures. opts.quick: fewer pushes, ticks and rounds (same 1,000-module ring).
 * Returns the result for BENCH_JSON.
 */
export async function benchDaemon(opts = {}) {
  const quick = Boolean(opts.quick);
  const n = {
    webhookPushes: quick ? 5 : 20,
    pollPushes: quick ? 3 : 8,
    ticks: quick ? 5 : 20,
    fetchRounds: quick ? 3 : 10,
    idleMs: 5000,
  };
  const clkTck = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
  const cpuMs = (ticks) => (ticks * 1000) / clkTck;
  console.log(
    `\n## daemon: ${MODULES}-module ring (2 files each) served by git http-backend on 127.0.0.1, both git drivers`,
  );
  const repo = ensureDaemonRepo();
  const upgrades = JSON.parse(readFileSync(repo.upgrades, 'utf8'));

  // A fresh run directory: bare remote, work clone, baseline clone, one target and clone cache per driver.
  const runDir = join(WORK, 'daemon-run');
  trash(runDir);
  const p = {
    gitRoot: join(runDir, 'git'),
    bare: join(runDir, 'git', 'platform.git'),
    work: join(runDir, 'work'),
    baseline: join(runDir, 'baseline.git'),
    target: (d) => join(runDir, `target-${d}`),
    cache: (d) => join(runDir, `cache-${d}`),
  };
  mkdirSync(p.gitRoot, { recursive: true });
  cpSync(repo.src, p.work, { recursive: true });
  const lock = JSON.parse(readFileSync(lockFile(p.work), 'utf8'));
  let nextUpgrade = 0;
  let head;

  const daemons = {};
  let server;
  const loadBefore = loadavg()[0];
  const result = { modules: MODULES, quick, counts: n, clkTck };
  // Interrupted (Ctrl-C, kill): the daemons and git processes go too ('exit' handlers do not run on a signal).
  const onSignal = (sig) => {
    killAll();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await git(undefined, 'init', '--bare', '-q', '--initial-branch=main', p.bare);
    await git(p.work, 'init', '-q', '--initial-branch=main');
    await git(p.work, 'remote', 'add', 'origin', p.bare);
    await git(p.work, 'add', '-A');
    await git(p.work, 'commit', '-q', '-m', 'initial');
    await git(p.work, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
    head = await git(p.work, 'rev-parse', 'HEAD');
    server = await startGitServer(p.gitRoot);
    const url = server.url('platform.git');
    // The baseline clone: a bare, shallow, single-branch clone fetched exactly as the native driver fetches.
    const refspec = '+refs/heads/main:refs/remotes/origin/main';
    await git(undefined, 'init', '--bare', '-q', p.baseline);
    await git(p.baseline, 'config', 'remote.origin.url', url);
    const cliFetch = async () => {
      const r = await run(
        'git',
        ['fetch', '--quiet', '--depth=1', '--no-tags', '--no-write-fetch-head', 'origin', refspec],
        {
          cwd: p.baseline,
        },
      );
      if (r.status !== 0) throw new Error(`git fetch (baseline) exited with ${r.status}:\n${r.output}`);
      return r.ms;
    };
    await cliFetch();

    /** Commits the next pre-published upgrade (module files + its lock entry) in the work clone; returns the commit. */
    const commitUpgrade = async () => {
      const u = upgrades[nextUpgrade++];
      if (!u)
        throw new Error(`out of pre-published upgrades (${UPGRADES}): raise UPGRADES in bench/daemon.mjs`);
      writeModule(p.work, u.name, '1.1.0');
      lock.modules[u.name] = u.entry;
      writeFileSync(lockFile(p.work), `${JSON.stringify(lock, null, 2)}\n`);
      await git(p.work, 'add', '-A');
      await git(p.work, 'commit', '-q', '-m', `${u.name} 1.1.0`);
      return git(p.work, 'rev-parse', 'HEAD');
    };
    /** git push to the bare remote by path; returns its wall ms. */
    const push = async () => {
      const r = await run('git', ['push', '-q', 'origin', 'HEAD:refs/heads/main'], { cwd: p.work });
      if (r.status !== 0) throw new Error(`git push exited with ${r.status}:\n${r.output}`);
      return r.ms;
    };
    const start = (driver, schedule) =>
      startDaemon({
        driver,
        schedule,
        url,
        target: p.target(driver),
        cache: p.cache(driver),
        registry: repo.registry,
        cwd: runDir,
      });

    // ----- initial apply of the whole ring, one daemon after the other, then idle RSS (figure 5) -----
    const initial = {};
    for (const driver of DRIVERS) {
      const t0 = performance.now();
      daemons[driver] = await start(driver);
      const s = await until(
        `the ${driver} daemon to apply the initial ${MODULES} modules`,
        daemons[driver].status,
        (x) => x.appliedCommit === head && x.phase === 'idle',
        300_000,
        250,
      );
      initial[driver] = {
        wallMs: performance.now() - t0,
        attemptMs: s.lastAttempt?.durationMs,
        fetchMs: s.git.lastFetchMs,
      };
      console.log(
        `${driver}: started, cloned and installed ${MODULES} modules in ${fmt(initial[driver].wallMs / 1000, 1)} s ` +
          `(first run ${fmt(s.lastAttempt?.durationMs / 1000, 1)} s, of which clone ${fmt(s.git.lastFetchMs / 1000, 2)} s)`,
      );
    }
    result.initial = initial;
    await sleep(n.idleMs);
    const rss = { afterInstall: {}, afterCommits: {}, restarted: {} };
    for (const driver of DRIVERS) rss.afterInstall[driver] = procMem(daemons[driver].pid);
    const idleNode = track(spawn(process.execPath, ['-e', 'setTimeout(()=>{},3000)'], { stdio: 'ignore' }));
    await sleep(1500);
    rss.node = procMem(idleNode.pid);
    await new Promise((r) => (idleNode.exitCode === null ? idleNode.on('close', r) : r()));
    result.rss = rss;

    // ----- figure 3: CPU of a tick with nothing to do; GET /status cost; plan and node as processes -----
    console.log('measuring ticks with nothing to do …');
    const cpu = Object.fromEntries(DRIVERS.map((d) => [d, { self: 0, children: 0, wall: 0, attempts: [] }]));
    for (const driver of DRIVERS) {
      const s = await tickOnce(daemons[driver]); // warm-up, untimed
      if (s.lastAttempt.outcome !== 'noop')
        throw new Error(`${driver}: a tick was not a noop: ${s.lastAttempt.outcome}`);
    }
    for (let i = 0; i < n.ticks; i++) {
      for (const driver of DRIVERS) {
        const d = daemons[driver];
        const a = procStat(d.pid);
        const t0 = performance.now();
        const s = await tickOnce(d);
        cpu[driver].wall += performance.now() - t0;
        const b = procStat(d.pid);
        cpu[driver].self += b.self - a.self;
        cpu[driver].children += b.children - a.children;
        cpu[driver].attempts.push(s.lastAttempt.durationMs);
        if (s.lastAttempt.outcome !== 'noop')
          throw new Error(`${driver}: a tick was not a noop: ${s.lastAttempt.outcome}`);
      }
    }
    // What one poll costs the daemon: /status (figures 1 and 2 poll it every 10 ms) and /metrics (the tick waits).
    const getCost = { status: {}, metrics: {} };
    const GETS = 20;
    for (const driver of DRIVERS) {
      const d = daemons[driver];
      for (const what of ['status', 'metrics']) {
        const a = procStat(d.pid).self;
        for (let i = 0; i < GETS; i++) await d[what]();
        getCost[what][driver] = cpuMs(procStat(d.pid).self - a) / GETS;
      }
    }
    // Whole processes, timed and charged through this process's reaped-children CPU (nothing else runs meanwhile).
    const selfChildren = () => procStat(process.pid).children;
    const procCost = async (args, cwd) => {
      const runs = [];
      for (let i = 0; i <= Math.max(3, Math.ceil(n.ticks / 2)); i++) {
        const c0 = selfChildren();
        const r = await run(process.execPath, args, { cwd, env: process.env });
        if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status}:\n${r.output}`);
        if (i > 0) runs.push({ ms: r.ms, cpu: cpuMs(selfChildren() - c0) }); // the first one warms the cache
      }
      return { ms: median(runs.map((r) => r.ms)), cpu: median(runs.map((r) => r.cpu)) };
    };
    const planArgs = (extra) => [
      BIN,
      'plan',
      '--ring',
      RING,
      ...extra,
      '--target',
      p.target('native'),
      '--registry',
      repo.registry,
      '--cwd',
      p.work,
    ];
    const base3 = {
      planNoDrift: await procCost(planArgs(['--no-drift-check']), p.work),
      plan: await procCost(planArgs([]), p.work),
      node: await procCost(['-e', '0'], p.work),
    };
    result.tick = {
      ticks: n.ticks,
      perTick: Object.fromEntries(
        DRIVERS.map((d) => [
          d,
          {
            cpuMs: cpuMs(cpu[d].self) / n.ticks,
            cpuWithGitMs: cpuMs(cpu[d].self + cpu[d].children) / n.ticks,
            wallMs: cpu[d].wall / n.ticks,
            attemptMs: median(cpu[d].attempts),
          },
        ]),
      ),
      getCpuMs: getCost,
      baselines: base3,
    };

    // ----- figure 1: commit → applied via webhook, drivers interleaved; baseline git push + git fetch -----
    console.log('measuring commit → applied via webhook …');
    const hook = Object.fromEntries(DRIVERS.map((d) => [d, { ms: [], attempt: [], fetch: [] }]));
    const roundTrip = [];
    for (let i = 0; i < n.webhookPushes; i++) {
      for (const driver of DRIVERS) {
        const d = daemons[driver];
        // The other driver's push is not applied here yet: catch up first (untimed), so each push is one change.
        if ((await d.status()).appliedCommit !== head) await tickOnce(d, head);
        const commit = await commitUpgrade();
        const pushMs = await push();
        const t0 = performance.now();
        head = commit;
        await d.webhook(commit);
        const s = await until(
          `the ${driver} daemon to apply ${commit}`,
          d.status,
          (x) => x.appliedCommit === commit,
          30_000,
          10,
        );
        hook[driver].ms.push(performance.now() - t0);
        if (s.lastAttempt?.commit === commit) hook[driver].attempt.push(s.lastAttempt.durationMs);
        if (s.git.lastFetchMs != null) hook[driver].fetch.push(s.git.lastFetchMs);
        roundTrip.push(pushMs + (await cliFetch()));
      }
    }
    result.webhook = {
      ...Object.fromEntries(
        DRIVERS.map((d) => [
          d,
          {
            ...summary(hook[d].ms),
            attemptMs: median(hook[d].attempt),
            fetchMs: median(hook[d].fetch),
            runsMs: hook[d].ms,
          },
        ]),
      ),
      pushPlusFetch: summary(roundTrip),
    };

    // ----- figure 4: one-commit fetch per driver beside the git CLI, interleaved (order rotates per round) -----
    console.log('measuring git fetch per driver …');
    const fetchMs = { native: [], isomorphic: [], cli: [] };
    const hist0 = {};
    for (const driver of DRIVERS) {
      await tickOnce(daemons[driver], head); // both at the head before the rounds
      hist0[driver] = histogram(await daemons[driver].metrics(), 'ringlock_git_fetch_duration_seconds');
    }
    const order = [...DRIVERS, 'cli'];
    for (let i = 0; i < n.fetchRounds; i++) {
      head = await commitUpgrade();
      await push();
      for (let k = 0; k < order.length; k++) {
        const who = order[(i + k) % order.length];
        if (who === 'cli') fetchMs.cli.push(await cliFetch());
        else {
          const s = await tickOnce(daemons[who], head);
          fetchMs[who].push(s.git.lastFetchMs);
        }
      }
    }
    const histMean = {};
    for (const driver of DRIVERS) {
      const h = histogram(await daemons[driver].metrics(), 'ringlock_git_fetch_duration_seconds');
      histMean[driver] = ((h.sum - hist0[driver].sum) / (h.count - hist0[driver].count)) * 1000;
    }
    const cacheDisk = Object.fromEntries(DRIVERS.map((d) => [d, diskUse(p.cache(d))]));
    result.fetch = {
      rounds: n.fetchRounds,
      runsMs: fetchMs,
      metricsMeanMs: histMean,
      cacheDisk,
      commits: nextUpgrade,
    };
    await sleep(n.idleMs);
    for (const driver of DRIVERS) rss.afterCommits[driver] = procMem(daemons[driver].pid);

    for (const driver of DRIVERS) await daemons[driver].stop();

    // ----- figure 2: commit → applied by polling (*/2 s, no webhook), one driver at a time -----
    console.log('measuring commit → applied by polling …');
    const next = xorshift(7);
    const poll = {};
    for (const driver of DRIVERS) {
      const d = await start(driver, POLL_SCHEDULE);
      daemons[driver] = d;
      await until(
        `the ${driver} daemon to be at the head`,
        d.status,
        (x) => x.appliedCommit === head,
        60_000,
        50,
      );
      poll[driver] = [];
      for (let i = 0; i < n.pollPushes; i++) {
        await sleep(next() % POLL_INTERVAL_MS); // a random phase against the schedule
        const commit = await commitUpgrade();
        await push();
        const t0 = performance.now();
        head = commit;
        await until(
          `the ${driver} daemon to poll and apply ${commit}`,
          d.status,
          (x) => x.appliedCommit === commit,
          30_000,
          10,
        );
        poll[driver].push(performance.now() - t0);
      }
      await d.stop();
    }
    result.poll = {
      intervalMs: POLL_INTERVAL_MS,
      ...Object.fromEntries(DRIVERS.map((d) => [d, summary(poll[d])])),
    };

    // ----- figure 5, last rows: both restarted on their applied targets (nothing to install), then idle -----
    for (const driver of DRIVERS) daemons[driver] = await start(driver);
    for (const driver of DRIVERS) {
      const d = daemons[driver];
      await until(
        `the restarted ${driver} daemon`,
        d.status,
        (x) => x.appliedCommit === head && x.phase === 'idle',
        120_000,
        250,
      );
    }
    await sleep(n.idleMs);
    for (const driver of DRIVERS) rss.restarted[driver] = procMem(daemons[driver].pid);
  } catch (e) {
    for (const [driver, d] of Object.entries(daemons))
      console.error(`\n--- last output of the ${driver} daemon ---\n${d.tail().slice(-4000)}`);
    throw e;
  } finally {
    await Promise.all(Object.values(daemons).map((d) => d.stop().catch(() => {})));
    killAll();
    await server?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  result.loadAverage = [loadBefore, loadavg()[0]];
  printDaemon(result);
  trash(runDir);
  return result;
}

function printDaemon(r) {
  const ms = (x) => fmt(x, 0);
  const w = r.webhook;
  const base = w.pushPlusFetch;
  console.log(
    `\nload average ${fmt(r.loadAverage[0], 1)} → ${fmt(r.loadAverage[1], 1)} on ${availableParallelism()} cores; ` +
      '/status is polled every 10 ms while waiting (each GET costs the daemon CPU: see the tick figure)',
  );

  console.log(
    `\n### 1. commit → applied, push webhook (one-module upgrade; ${w.native.n} pushes per driver, interleaved)`,
  );
  console.log(
    'from `git push` returning to /status appliedCommit = the commit; baseline: that push + a `git fetch` of it',
  );
  printTable(
    ['path', 'p50 ms', 'p95 ms', 'min ms', 'max ms', 'p50 vs baseline', 'p50 vs goal 1 s'],
    [
      ...DRIVERS.map((d) => [
        `webhook → applied (${d})`,
        ms(w[d].p50),
        ms(w[d].p95),
        ms(w[d].min),
        ms(w[d].max),
        ratio(w[d].p50, base.p50),
        ratio(w[d].p50, 1000),
      ]),
      [
        'git push + git fetch (baseline)',
        ms(base.p50),
        ms(base.p95),
        ms(base.min),
        ms(base.max),
        '1.00',
        ratio(base.p50, 1000),
      ],
    ],
  );
  for (const d of DRIVERS)
    console.log(`${d}: the run took ${ms(w[d].attemptMs)} ms (median), its git fetch ${ms(w[d].fetchMs)} ms`);
  for (const d of DRIVERS)
    console.log(`goal: p50 <= 1 s (${d}): ${ms(w[d].p50)} ms ${verdict(w[d].p50 <= 1000)}`);

  const pl = r.poll;
  console.log(
    `\n### 2. commit → applied, polling only (schedule ${POLL_SCHEDULE}; ${pl.native.n} pushes per driver)`,
  );
  console.log(
    'pushed at a random phase against the schedule: expected ≈ interval/2 + one run on average, < interval + run',
  );
  printTable(
    ['path', 'p50 ms', 'p95 ms', 'min ms', 'max ms', 'p50 vs interval', 'p95 vs interval'],
    [
      ...DRIVERS.map((d) => [
        `poll → applied (${d})`,
        ms(pl[d].p50),
        ms(pl[d].p95),
        ms(pl[d].min),
        ms(pl[d].max),
        ratio(pl[d].p50, pl.intervalMs),
        ratio(pl[d].p95, pl.intervalMs),
      ]),
      ['configured interval', ms(pl.intervalMs), ms(pl.intervalMs), '-', '-', '1.00', '1.00'],
    ],
  );

  const t = r.tick;
  const b = t.baselines;
  console.log(
    `\n### 3. a tick with nothing to do, ${r.modules} modules (${t.ticks} ticks per driver via POST /reconcile)`,
  );
  console.log(
    'daemon CPU from /proc/<pid>/stat utime+stime (clock ticks of 1/' +
      `${r.clkTck} s), run ends seen by polling /metrics every 10 ms (included); "+git" adds its reaped git children (cutime+cstime)`,
  );
  printTable(
    ['what', 'CPU ms', 'CPU+git ms', 'wall ms', 'CPU vs plan --no-drift-check'],
    [
      ...DRIVERS.map((d) => [
        `daemon tick (${d}), per tick`,
        fmt(t.perTick[d].cpuMs, 1),
        fmt(t.perTick[d].cpuWithGitMs, 1),
        `${fmt(t.perTick[d].wallMs, 0)} (run ${fmt(t.perTick[d].attemptMs, 0)})`,
        ratio(t.perTick[d].cpuWithGitMs, b.planNoDrift.cpu),
      ]),
      [
        'ringlock plan --no-drift-check (process)',
        '-',
        fmt(b.planNoDrift.cpu, 1),
        fmt(b.planNoDrift.ms, 0),
        '1.00',
      ],
      [
        'ringlock plan (process, drift check)',
        '-',
        fmt(b.plan.cpu, 1),
        fmt(b.plan.ms, 0),
        ratio(b.plan.cpu, b.planNoDrift.cpu),
      ],
      [
        'node -e 0 (process)',
        '-',
        fmt(b.node.cpu, 1),
        fmt(b.node.ms, 0),
        ratio(b.node.cpu, b.planNoDrift.cpu),
      ],
    ],
  );
  for (const what of ['status', 'metrics'])
    console.log(
      `one GET /${what} costs the daemon ` +
        DRIVERS.map((d) => `${fmt(t.getCpuMs[what][d], 1)} ms CPU (${d})`).join(', '),
    );

  const f = r.fetch;
  const cli = median(f.runsMs.cli);
  console.log(
    `\n### 4. git fetch of one new commit (${f.rounds} interleaved rounds; shallow, single branch, over http)`,
  );
  console.log(
    'daemon: status git.lastFetchMs of the run (sync: fetch + rev-parse + force check); git CLI: the same fetch as a process',
  );
  printTable(
    ['fetch', 'median ms', 'min ms', 'mean ms (metrics)', 'vs git CLI'],
    [
      ...DRIVERS.map((d) => [
        `daemon, ${d} driver`,
        fmt(median(f.runsMs[d]), 1),
        fmt(Math.min(...f.runsMs[d]), 1),
        fmt(f.metricsMeanMs[d], 1),
        ratio(median(f.runsMs[d]), cli),
      ]),
      ['git fetch (CLI, baseline)', fmt(cli, 1), fmt(Math.min(...f.runsMs.cli), 1), '-', '1.00'],
    ],
  );
  console.log(
    `clone caches after ${f.commits + 1} commits: ` +
      DRIVERS.map(
        (d) => `${d} ${fmt(f.cacheDisk[d].bytes / MB, 1)} MB in ${f.cacheDisk[d].packs} pack(s)`,
      ).join(', '),
  );

  const m = r.rss;
  console.log(
    `\n### 5. idle RSS of the daemon, ${r.modules}-module ring, each after ~5 s idle (VmRSS from /proc/<pid>/status)`,
  );
  const when = [
    ['afterInstall', `after installing all ${r.modules} modules`],
    ['afterCommits', `after ${r.fetch.commits} more commits (figures 1, 4)`],
    ['restarted', 'restarted on the applied target'],
  ];
  console.log(
    'anon: the anonymous part of VmRSS (JS heap, malloc, stacks); the rest is mapped files, mostly node itself',
  );
  printTable(
    ['process', 'VmRSS MB', 'anon MB', 'peak VmHWM MB', 'vs node', 'goal <= 80 MB'],
    [
      ...when.flatMap(([k, label]) =>
        DRIVERS.map((d) => [
          `daemon (${d}), ${label}`,
          fmt(m[k][d].rss / MB, 1),
          fmt(m[k][d].anon / MB, 1),
          fmt(m[k][d].hwm / MB, 1),
          ratio(m[k][d].rss, m.node.rss),
          verdict(m[k][d].rss <= 80 * MB),
        ]),
      ),
      [
        'node -e "setTimeout(()=>{},3000)"',
        fmt(m.node.rss / MB, 1),
        fmt(m.node.anon / MB, 1),
        fmt(m.node.hwm / MB, 1),
        '1.00',
        '',
      ],
    ],
  );
}
