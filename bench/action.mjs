// `action` bench: the GitHub Action's cold start. The runner runs `node dist/action/index.js` (action.yml: node24)
// from a checkout of the action holding no node_modules, with INPUT_* and GITHUB_* variables and an event file; here
// on the example platform's one-module pull request, exactly so, beside `node -e 0` on the same Node and
// `ringlock check` (the installed CLI doing the same check). Each runtime it can get: this machine's Node and Node 24
// (scripts/node-runtime.sh fetches it from the npm registry; skipped with a note when it cannot).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleRepo } from './check.mjs';
import { BIN, fmt, median, mustPass, printTable, ROOT, timed, WORK } from './lib.mjs';

const BUNDLE = join(ROOT, 'dist/action');

/** What the runner downloads for `uses: owner/ringlock@v1`: action.yml, package.json and the bundle (dist/action/). */
function actionCheckout() {
  const dir = join(WORK, 'action-checkout');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'dist'), { recursive: true });
  for (const f of ['action.yml', 'package.json']) cpSync(join(ROOT, f), join(dir, f));
  cpSync(BUNDLE, join(dir, 'dist/action'), { recursive: true });
  return dir;
}

function git(dir, args) {
  const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The job's environment on a pull_request event: the workspace at the PR's merge commit. */
function actionEnv(repo) {
  const base = git(repo, ['rev-parse', 'main']);
  const head = git(repo, ['rev-parse', 'pr']);
  git(repo, ['checkout', '-q', '--detach', 'main']);
  git(repo, [
    '-c',
    'user.name=b',
    '-c',
    'user.email=b@example.com',
    'merge',
    '-q',
    '--no-ff',
    '-m',
    'merge',
    head,
  ]);
  const merge = git(repo, ['rev-parse', 'HEAD']);
  const event = join(WORK, 'action-event.json');
  writeFileSync(
    event,
    JSON.stringify({
      action: 'synchronize',
      number: 7,
      pull_request: {
        number: 7,
        base: { ref: 'main', sha: base },
        head: { ref: 'pr', sha: head },
        labels: [],
      },
    }),
  );
  return {
    NO_COLOR: '1',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: event,
    GITHUB_SHA: merge,
    GITHUB_STEP_SUMMARY: join(WORK, 'action-summary.md'),
    GITHUB_WORKSPACE: repo,
    GITHUB_REPOSITORY: 'acme/platform',
    INPUT_COMMAND: 'check',
    INPUT_ARGS: '',
    INPUT_COMMENT: 'false',
    'INPUT_WORKING-DIRECTORY': '.',
    INPUT_TOKEN: '',
  };
}

function node24() {
  const r = spawnSync('bash', [join(ROOT, 'scripts/node-runtime.sh'), '24'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function benchAction(opts = {}) {
  const runs = opts.runs ?? (opts.quick ? 5 : 21);
  const repo = exampleRepo();
  const env = actionEnv(repo);
  const action = actionCheckout();
  const entry = join(action, 'dist/action/index.js');
  const runtimes = [{ name: `Node ${process.versions.node}`, bin: process.execPath }];
  const n24 = process.versions.node.startsWith('24.') ? undefined : node24();
  if (n24)
    runtimes.push({
      name: `Node ${spawnSync(n24, ['-p', 'process.versions.node']).stdout.toString().trim()}`,
      bin: n24,
    });
  else if (!process.versions.node.startsWith('24.'))
    console.log('note: Node 24 could not be fetched; only this Node');
  const out = {};
  for (const rt of runtimes) {
    const methods = [
      {
        key: 'action',
        name: 'Action bundle (check, one-module PR)',
        run: () => timed(rt.bin, [entry], repo, env),
      },
      {
        key: 'cli',
        name: 'ringlock check (CLI, same PR)',
        run: () => timed(rt.bin, [BIN, 'check', '--base', 'main', '--head', 'pr'], repo, { NO_COLOR: '1' }),
      },
      { key: 'node', name: 'node -e 0', run: () => timed(rt.bin, ['-e', '0'], repo) },
    ];
    // Every timed run of the Action must give the CLI's verdict (the example's PR fails one rule on purpose: exit 1)
    // and write its job summary: a run that failed to start would be fast and wrong.
    const verdict = methods[1].run();
    if (verdict.status !== 0 && verdict.status !== 1) mustPass('ringlock check', verdict);
    const action = methods[0].run;
    methods[0].run = () => {
      rmSync(env.GITHUB_STEP_SUMMARY, { force: true });
      const r = action();
      const summary = existsSync(env.GITHUB_STEP_SUMMARY)
        ? readFileSync(env.GITHUB_STEP_SUMMARY, 'utf8')
        : '';
      if (r.status !== verdict.status || !summary.includes('ringlock'))
        mustPass(`the Action (exit ${r.status}, the CLI's ${verdict.status}; summary ${summary.length} B)`, {
          ...r,
          status: r.status || 9,
        });
      return r;
    };
    for (const m of methods) m.run(); // warm-up (file cache), untimed
    const times = Object.fromEntries(methods.map((m) => [m.key, []]));
    for (let i = 0; i < runs; i++) for (const m of methods) times[m.key].push(m.run().ms);
    const ms = Object.fromEntries(methods.map((m) => [m.key, median(times[m.key])]));
    console.log(`\n## action: cold start under ${rt.name}, median of ${runs} interleaved runs`);
    printTable(
      ['command', 'median ms', 'vs node -e 0'],
      methods.map((m) => [m.name, fmt(ms[m.key], 1), fmt(ms[m.key] / ms.node, 2)]),
    );
    const pass = ms.action <= 1000;
    console.log(
      `goal: the Action starts and checks in <= 1000 ms (no npm ci): ${fmt(ms.action, 1)} ms ${pass ? 'PASS' : 'MISS'}`,
    );
    out[rt.name] = { runs, ms, ratio: ms.action / ms.node, goal: { maxMs: 1000, pass } };
  }
  return out;
}
