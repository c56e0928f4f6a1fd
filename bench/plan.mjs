// `plan` bench: the pure plan() in-process over a 1,000-module lock (bundled from src/plan/plan.ts with esbuild), a
// one-module upgrade in a 1,000- and a 10-module ring, and the `ringlock plan` process on an applied target.
import { createHash } from 'node:crypto';
import { BIN, fmt, importTs, median, mustPass, printTable, timed } from './lib.mjs';

/** src/plan/plan.ts, bundled and imported. */
async function loadPlan() {
  return (await importTs('plan', ["export { plan } from './src/plan/plan.ts';"])).plan;
}

const h = (s) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const sri = (s) => `sha512-${createHash('sha512').update(s).digest('base64')}`;

/**
 * A ring of n modules, all deployed at the locked version: module i depends on up to 3 earlier ones (caret ranges),
 * a few prereleases, and a quarantine entry for every 97th module (an older version), as a long-lived target has.
 */
export function ring(n) {
  const modules = {};
  const deployed = {};
  const names = Array.from({ length: n }, (_, i) => `mod-${String(i).padStart(4, '0')}`);
  names.forEach((name, i) => {
    const version = i % 50 === 7 ? `1.${i % 13}.0-rc.${i % 5}` : `${1 + (i % 4)}.${i % 17}.${i % 9}`;
    const dependencies = {};
    for (const k of [1, 7, 31]) {
      if (i - k < 0 || (i + k) % 3 === 0) continue;
      const d = names[i - k];
      dependencies[d] = `^${modules[d].version.split('.')[0]}.0.0`;
    }
    const e = {
      version,
      sha256: h(`${name}@${version}`),
      integrity: sri(`${name}@${version}`),
      artifact: `${name}/${version}/${name}-${version}.tgz`,
      compatibility: { platform: '>=1.9.0 <3.0.0' },
      dependencies,
      file_count: 50,
      size_bytes: 1_000_000,
    };
    modules[name] = e;
    deployed[name] = {
      name,
      active: {
        version,
        sha256: e.sha256,
        integrity: e.integrity,
        storeDir: `.ringlock/store/${name}/${version}-${e.sha256.slice(7, 15)}`,
        compatibility: e.compatibility,
        dependencies,
      },
      status: 'active',
      since: '2025-01-01T00:00:00.000Z',
      origin: 'lock',
    };
  });
  const quarantine = names
    .filter((_, i) => i % 97 === 0)
    .map((m) => ({
      module: m,
      version: '0.0.1',
      integrity: sri(`${m}@0.0.1`),
      reason: 'health check failed',
      at: '2025-01-01T00:00:00.000Z',
    }));
  return {
    lock: { lockfileVersion: 1, ring: 'bench', platform: '2.0.0', modules },
    deployed: { stateVersion: 1, ring: 'bench', modules: deployed, quarantine },
  };
}

/** The same ring with its last module (a leaf) at a new patch version; the lock object rebuilt by spreading. */
function oneUpgrade(r) {
  const name = Object.keys(r.lock.modules).at(-1);
  const e = r.lock.modules[name];
  const [M, m] = e.version.split('-')[0].split('.');
  const version = `${M}.${m}.99`;
  const changed = { ...e, version, sha256: h(`${name}@${version}`), integrity: sri(`${name}@${version}`) };
  return { ...r, lock: { ...r.lock, modules: { ...r.lock.modules, [name]: changed } } };
}

/** The same ring, the lock rebuilt the same way as oneUpgrade's but unchanged: the baseline for the upgrade's cost. */
function sameShape(r) {
  return { ...r, lock: { ...r.lock, modules: { ...r.lock.modules } } };
}

/** "999 noop, 1 upgrade" */
function kinds(p) {
  const n = {};
  for (const a of p.actions) n[a.kind] = (n[a.kind] ?? 0) + 1;
  return Object.entries(n)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
}

function timePlan(plan, input, runs) {
  for (let i = 0; i < Math.min(30, runs); i++) plan(input); // warm the JIT
  const t = [];
  for (let i = 0; i < runs; i++) {
    const s = process.hrtime.bigint();
    plan(input);
    t.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  t.sort((a, b) => a - b);
  return { median: median(t), p95: t[Math.floor(t.length * 0.95)], runs };
}

/** In-process plan() timings; `scale` divides the run counts (quick). */
export async function benchPlanPure(scale = 1) {
  const plan = await loadPlan();
  const policy = { prune: true };
  const big = ring(1000);
  const small = ring(10);
  const s0 = process.hrtime.bigint();
  const first = plan({ ...big, policy });
  const firstMs = Number(process.hrtime.bigint() - s0) / 1e6;
  const runsBig = Math.max(20, Math.round(300 / scale));
  const runsSmall = Math.max(200, Math.round(3000 / scale));
  const cases = [
    { key: 'big', name: '1,000 modules, all deployed', input: big, runs: runsBig },
    { key: 'bigSame', name: '1,000 modules, same, lock re-spread', input: sameShape(big), runs: runsBig },
    { key: 'bigUp', name: '1,000 modules, one upgrade', input: oneUpgrade(big), runs: runsBig },
    { key: 'small', name: '10 modules, all deployed', input: sameShape(small), runs: runsSmall },
    { key: 'smallUp', name: '10 modules, one upgrade', input: oneUpgrade(small), runs: runsSmall },
  ];
  console.log(
    `\n## plan, in-process (src/plan/plan.ts bundled with esbuild; prune on, 11 quarantine entries per 1,000)`,
  );
  const res = {};
  for (const c of cases) res[c.key] = timePlan(plan, { ...c.input, policy }, c.runs);
  printTable(
    ['input', 'median ms', 'p95 ms', 'runs', 'actions'],
    cases.map((c) => [
      c.name,
      fmt(res[c.key].median, 3),
      fmt(res[c.key].p95, 3),
      String(c.runs),
      kinds(plan({ ...c.input, policy })),
    ]),
  );
  const upBig = res.bigUp.median - res.bigSame.median;
  const upSmall = res.smallUp.median - res.small.median;
  console.log(`first call (cold JIT), 1,000 modules: ${fmt(firstMs, 2)} ms → ${kinds(first)}`);
  console.log(
    `one upgrade: ${fmt(res.bigUp.median, 3)} ms in a 1,000-module ring, ${fmt(res.smallUp.median, 3)} ms in a ` +
      `10-module ring; over the unchanged ring: ${fmt(upBig, 3)} ms and ${fmt(upSmall, 3)} ms`,
  );
  const pass = res.big.median <= 20;
  console.log(
    `goal: plan over 1,000 deployed modules <= 20 ms: ${fmt(res.big.median, 3)} ms ${pass ? 'PASS' : 'MISS'}`,
  );
  return {
    ms: Object.fromEntries(Object.entries(res).map(([k, v]) => [k, v.median])),
    p95: Object.fromEntries(Object.entries(res).map(([k, v]) => [k, v.p95])),
    firstCallMs: firstMs,
    upgradeOverUnchangedMs: { ring1000: upBig, ring10: upSmall },
    goal: { maxMs: 20, pass },
  };
}

/** `ringlock plan` as a whole process on an applied target, beside node -e 0 (informational). */
export function benchPlanCli(repo, target, runs) {
  console.log(
    `\n## ringlock plan, whole process: ${repo.modules} modules deployed, ${repo.files} files; ` +
      `median of ${runs} interleaved runs (informational)`,
  );
  const plan = (...extra) => [
    BIN,
    'plan',
    '--ring',
    'canary',
    '--target',
    target,
    '--cwd',
    repo.repo,
    ...extra,
  ];
  const cmds = [
    { key: 'node', name: 'node -e 0', args: ['-e', '0'] },
    { key: 'noDrift', name: 'ringlock plan --no-drift-check', args: plan('--no-drift-check') },
    { key: 'drift', name: 'ringlock plan (re-hashes every active tree)', args: plan() },
  ];
  const run = (c) => mustPass(c.name, timed(process.execPath, c.args));
  const check = timed(process.execPath, plan('--no-drift-check', '--json'));
  mustPass('ringlock plan --json', check);
  const actions = JSON.parse(check.output).actions ?? [];
  const noop = actions.filter((a) => a.kind === 'noop').length;
  if (noop !== repo.modules) console.log(`warning: expected ${repo.modules} noop actions, got ${noop}`);
  for (const c of cmds) run(c); // warm-up, untimed
  const times = Object.fromEntries(cmds.map((c) => [c.key, []]));
  for (let i = 0; i < runs; i++) for (const c of cmds) times[c.key].push(run(c));
  const ms = Object.fromEntries(cmds.map((c) => [c.key, median(times[c.key])]));
  printTable(
    ['command', 'median ms', 'over node'],
    cmds.map((c) => [c.name, fmt(ms[c.key], 1), c.key === 'node' ? '-' : `+${fmt(ms[c.key] - ms.node, 1)}`]),
  );
  return { runs, ms, overNode: { noDrift: ms.noDrift - ms.node, drift: ms.drift - ms.node } };
}
