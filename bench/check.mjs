// `check` bench: `ringlock check` as a process for a one-module pull request (a bump, a changed file, the lock
// rewritten) on the shipped example and on a generated 1,000-module × 3-ring repository, each beside baselines timed
// in the same rounds: `node -e 0` (start-up) and `git diff --name-only base head` (the least any check does); and a
// pull request that adds one 90 MB file to a module, beside `git cat-file` of that blob (reading it once).
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { BIN, fmt, median, mustPass, printTable, ROOT, timed, WORK } from './lib.mjs';

const GEN_VERSION = 1;
const OLD = `@${Math.floor(Date.now() / 1000) - 10 * 86400} +0000`;

function gitEnv(date) {
  return {
    GIT_AUTHOR_NAME: 'bench',
    GIT_AUTHOR_EMAIL: 'bench@example.com',
    GIT_COMMITTER_NAME: 'bench',
    GIT_COMMITTER_EMAIL: 'bench@example.com',
    ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}),
  };
}
const sh = (dir, args, date) => mustPass(`git ${args[0]}`, timed('git', args, dir, gitEnv(date)));
const ringlock = (dir, args) => mustPass(`ringlock ${args[0]}`, timed(process.execPath, [BIN, ...args], dir));

/** Fresh dir: a stale one is renamed aside before it goes (creating files where others were just deleted is slow). */
function fresh(dir) {
  if (existsSync(dir)) {
    const old = `${dir}.old-${process.pid}`;
    renameSync(dir, old);
    rmSync(old, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
}

/** main = the platform as committed 10 days ago; branch pr = one module bumped (patch), a file changed, lock rewritten. */
function commitBaseAndPr(dir, module, moduleDir, extra = () => {}) {
  sh(dir, ['init', '-q', '-b', 'main']);
  sh(dir, ['add', '-A']);
  sh(dir, ['commit', '-q', '-m', 'platform'], OLD);
  sh(dir, ['checkout', '-q', '-b', 'pr']);
  const mf = join(moduleDir, 'module.json');
  const m = JSON.parse(readFileSync(mf, 'utf8'));
  const [maj, min, patch] = m.version.split('.').map(Number);
  m.version = `${maj}.${min}.${patch + 1}`;
  writeFileSync(mf, `${JSON.stringify(m, null, 2)}\n`);
  writeFileSync(join(moduleDir, 'CHANGED.txt'), `changed ${module}\n`);
  extra(moduleDir);
  ringlock(dir, ['lock']);
  sh(dir, ['add', '-A']);
  sh(dir, ['commit', '-q', '-m', `${module} ${m.version}`]);
}

export function exampleRepo() {
  const dir = join(WORK, 'check-example');
  fresh(dir);
  cpSync(join(ROOT, 'ringlock.yaml'), join(dir, 'ringlock.yaml'));
  cpSync(join(ROOT, 'rings'), join(dir, 'rings'), { recursive: true });
  cpSync(join(ROOT, 'examples', 'platform'), join(dir, 'examples', 'platform'), { recursive: true });
  commitBaseAndPr(dir, 'orders', join(dir, 'examples/platform/modules/orders'));
  return dir;
}

/** The example, where the pull request also adds a `mb` MB file of random bytes to orders (a vendored asset). */
function bigBlobRepo(mb) {
  const dir = join(WORK, `check-blob-${mb}mb`);
  fresh(dir);
  cpSync(join(ROOT, 'ringlock.yaml'), join(dir, 'ringlock.yaml'));
  cpSync(join(ROOT, 'rings'), join(dir, 'rings'), { recursive: true });
  cpSync(join(ROOT, 'examples', 'platform'), join(dir, 'examples', 'platform'), { recursive: true });
  commitBaseAndPr(dir, 'orders', join(dir, 'examples/platform/modules/orders'), (moduleDir) => {
    const fd = openSync(join(moduleDir, 'asset.bin'), 'w');
    for (let i = 0; i < mb; i++) writeSync(fd, randomBytes(1024 * 1024));
    closeSync(fd);
  });
  return dir;
}

const CONFIG = `apiVersion: ringlock/v1
platform:
  version: 2.0.0
modules:
  dir: modules
rings:
  - name: canary
    allowPrerelease: true
  - name: edge
    promoteFrom: canary
    minSoak: 24h
  - name: stable
    promoteFrom: edge
    minSoak: 72h
`;

/** n modules of `files` small files each (every module depends on the one before it), every ring pinning all. */
function wideRepo(n, files) {
  const dir = join(WORK, `check-wide-${n}x${files}`);
  const stamp = join(dir, '.bench-stamp.json');
  const params = JSON.stringify({ v: GEN_VERSION, n, files });
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === params) return dir;
  fresh(dir);
  writeFileSync(join(dir, 'ringlock.yaml'), CONFIG);
  const names = Array.from({ length: n }, (_, i) => `mod-${String(i).padStart(4, '0')}`);
  names.forEach((name, i) => {
    const md = join(dir, 'modules', name);
    mkdirSync(join(md, 'src'), { recursive: true });
    const deps = i > 0 ? { [names[i - 1]]: '^1.0.0' } : {};
    const manifest = { name, version: '1.0.0', compatibility: { platform: '^2.0.0' }, dependencies: deps };
    writeFileSync(join(md, 'module.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    for (let f = 0; f < files - 1; f++)
      writeFileSync(join(md, 'src', `f${f}.php`), `<?php // ${name} ${f}\n`);
  });
  ringlock(dir, ['lock']);
  const canary = readFileSync(join(dir, 'rings/canary.lock.json'), 'utf8');
  for (const ring of ['edge', 'stable'])
    writeFileSync(
      join(dir, `rings/${ring}.lock.json`),
      canary.replace('"ring": "canary"', `"ring": "${ring}"`),
    );
  commitBaseAndPr(dir, names[Math.floor(n / 2)], join(dir, 'modules', names[Math.floor(n / 2)]));
  writeFileSync(stamp, params);
  return dir;
}

function benchOne(label, dir, runs, baselines = []) {
  const check = () =>
    timed(process.execPath, [BIN, 'check', '--base', 'main', '--head', 'pr', '--json'], dir);
  const methods = [
    { key: 'check', name: 'ringlock check (one-module PR)', run: check },
    ...baselines,
    { key: 'node', name: 'node -e 0', run: () => timed(process.execPath, ['-e', '0'], dir) },
    {
      key: 'diff',
      name: 'git diff --name-only main pr',
      run: () => timed('git', ['diff', '--name-only', 'main', 'pr'], dir),
    },
  ];
  const first = check();
  if (first.status !== 0 && first.status !== 1) mustPass('ringlock check', first);
  const report = JSON.parse(first.output.slice(0, first.output.lastIndexOf('}') + 1));
  for (const m of methods) m.run(); // warm-up, untimed
  const times = Object.fromEntries(methods.map((m) => [m.key, []]));
  for (let i = 0; i < runs; i++) for (const m of methods) times[m.key].push(m.run().ms);
  const ms = Object.fromEntries(methods.map((m) => [m.key, median(times[m.key])]));
  console.log(`\n## ${label}: median of ${runs} interleaved runs`);
  printTable(
    ['command', 'median ms', 'vs node -e 0', 'vs git diff'],
    methods.map((m) => [m.name, fmt(ms[m.key], 1), fmt(ms[m.key] / ms.node, 2), fmt(ms[m.key] / ms.diff, 2)]),
  );
  const s = report.stats;
  console.log(
    `check looked at: ${s.changedFiles} changed files, ${s.locksRead} lock reads, ${s.manifestsRead} manifests, ${s.treesHashed} trees hashed, ${s.historyWalks} history walks (verdict: ${report.ok ? 'pass' : 'fail'})`,
  );
  const pass = ms.check <= 1000;
  console.log(`goal: ringlock check <= 1000 ms: ${fmt(ms.check, 1)} ms ${pass ? 'PASS' : 'MISS'}`);
  return {
    label,
    runs,
    ms,
    ratio: { vsNode: ms.check / ms.node, vsGitDiff: ms.check / ms.diff },
    stats: s,
    goal: { maxMs: 1000, pass },
  };
}

export function benchCheck(opts = {}) {
  const runs = opts.runs ?? (opts.quick ? 5 : 15);
  const n = opts.quick ? 100 : 1000;
  const out = { example: benchOne('check: example platform (8 modules)', exampleRepo(), runs) };
  const t0 = performance.now();
  const wide = wideRepo(n, 5);
  const gen = performance.now() - t0;
  if (gen > 1000) console.log(`\n(generated the ${n}-module repository in ${fmt(gen / 1000, 1)} s)`);
  out.wide = benchOne(`check: ${n} modules x 3 rings`, wide, runs);
  const mb = opts.quick ? 30 : 90;
  const blob = bigBlobRepo(mb);
  const cat = {
    key: 'cat',
    name: `git cat-file blob (the ${mb} MB file, once)`,
    run: () =>
      timed(
        'sh',
        ['-c', 'git cat-file blob pr:examples/platform/modules/orders/asset.bin > /dev/null'],
        blob,
      ),
  };
  out.blob = benchOne(`check: a PR adding one ${mb} MB file (example platform)`, blob, Math.min(runs, 7), [
    cat,
  ]);
  return out;
}
