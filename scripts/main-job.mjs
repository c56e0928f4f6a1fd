// `npm start`: ringlock's main job on the shipped example, end to end, with the built-in defaults (file registry,
// filesystem target, file state store). On a scratch copy in .ringlock/demo/ (the repository's own rings/ stay as
// committed) it checks the rings, publishes the canary ring's modules into a local file registry, makes a git
// repository of the copy with a bare "remote" beside it, and runs the canary ring's daemon against a local target.
// Then it commits a version bump of one module to the canary lock, pushes it, sends the daemon a signed push webhook,
// and shows the daemon converging (status, history). It stops the daemon (SIGTERM) and exits by itself.
import { spawn, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'ringlock.js');
const scratch = join(root, '.ringlock');
const demo = join(scratch, 'demo');
const remote = join(scratch, 'demo-remote.git');
const MODULE = 'orders';

for (const dir of [demo, remote]) {
  if (!existsSync(dir)) continue;
  const old = `${dir}.old-${process.pid}`;
  renameSync(dir, old);
  rmSync(old, { recursive: true, force: true });
}
mkdirSync(demo, { recursive: true });
for (const p of ['ringlock.yaml', 'rings', 'examples'])
  cpSync(join(root, p), join(demo, p), { recursive: true });

const results = [];
const say = (text) => process.stdout.write(text);
function ringlock(args, { quiet = false } = {}) {
  say(`\n$ ringlock ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: demo,
    stdio: quiet ? 'pipe' : 'inherit',
    encoding: 'utf8',
  });
  results.push({ shown: `ringlock ${args.join(' ')}`, code: r.status ?? 70 });
  return r;
}
function git(args, cwd = demo) {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'ringlock demo',
      GIT_AUTHOR_EMAIL: 'demo@ringlock.invalid',
      GIT_COMMITTER_NAME: 'ringlock demo',
      GIT_COMMITTER_EMAIL: 'demo@ringlock.invalid',
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

// 1. The checks a pull request would get, and the release of the canary ring's modules into the file registry.
for (const args of [
  ['ring', 'list'],
  ['lock', '--check'],
  ['compat', '--ring', 'canary'],
  ['publish', '--ring', 'canary', '--all'],
])
  ringlock(args);

// 2. The copy becomes the platform repository; the daemon watches its bare remote.
git(['init', '-q', '--initial-branch=main']);
writeFileSync(join(demo, '.gitignore'), '.ringlock/\n');
git(['add', '-A']);
git(['commit', '-q', '-m', 'acme-shop: canary ring released']);
git(['init', '-q', '--bare', '--initial-branch=main', remote], scratch);
git(['push', '-q', remote, 'main']);
const first = git(['rev-parse', 'HEAD']);

const secret = randomBytes(24).toString('hex');
say(`\n$ ringlock daemon --ring canary --repo ${remote} --listen 127.0.0.1:0 --skip-hooks\n`);
const daemon = spawn(
  process.execPath,
  [
    bin,
    'daemon',
    '--ring',
    'canary',
    '--repo',
    remote,
    '--listen',
    '127.0.0.1:0',
    '--skip-hooks',
    '--schedule',
    '*/5 * * * * *',
  ],
  {
    cwd: demo,
    env: { ...process.env, RINGLOCK_WEBHOOK_SECRET: secret, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
let logs = '';
daemon.stdout.on('data', (b) => {
  logs += b;
});
const exited = new Promise((r) => daemon.on('close', (code, signal) => r({ code, signal })));
const base = await new Promise((resolve, reject) => {
  let err = '';
  const t = setTimeout(() => reject(new Error(`the daemon did not start:\n${err}`)), 30_000);
  daemon.stderr.on('data', (b) => {
    err += b;
    const m = /listening on (http:\/\/\S+)/.exec(err);
    if (m) {
      clearTimeout(t);
      resolve(m[1]);
    }
  });
  daemon.on('close', () => reject(new Error(`the daemon exited:\n${err}`)));
});
say(`  listening on ${base}\n`);

const status = async () => (await fetch(`${base}/status`)).json();
async function until(what, ok, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const s = await status();
    if (ok(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s, null, 2)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
function show(s) {
  say(
    `  ring ${s.ring}  applied ${s.appliedCommit?.slice(0, 12)}  health ${s.health}${s.degradedReason ? ` (${s.degradedReason})` : ''}\n`,
  );
  for (const m of s.modules)
    say(
      `    ${m.name.padEnd(18)} desired ${String(m.desired ?? '-').padEnd(7)} deployed ${String(m.deployed ?? '-').padEnd(7)} ${m.state}${m.blocked ? `: ${m.state === 'blocked' ? '' : 'blocked: '}${m.blocked.replace(/^blocked: /, '')}` : ''}\n`,
    );
}

let failure;
try {
  const s1 = await until(`commit ${first.slice(0, 12)} applied`, (s) => s.appliedCommit === first);
  say(`\nThe daemon applied the first commit (${s1.lastAttempt?.durationMs} ms):\n`);
  show(s1);

  // 3. A module developer bumps orders; CI locks and publishes it; the merge lands on main.
  const manifestPath = join(demo, 'examples/platform/modules', MODULE, 'module.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const from = manifest.version;
  const [maj, min, pat] = from.split('.').map(Number);
  const to = `${maj}.${min}.${pat + 1}`;
  writeFileSync(
    manifestPath,
    readFileSync(manifestPath, 'utf8').replace(`"version": "${from}"`, `"version": "${to}"`),
  );
  const changelog = join(demo, 'examples/platform/modules', MODULE, 'CHANGELOG.md');
  writeFileSync(
    changelog,
    readFileSync(changelog, 'utf8').replace(
      /\n## \[/,
      `\n## [${to}] - 2026-12-02\n\n### Fixed\n\n- Demo bump by the ringlock main job.\n\n## [`,
    ),
  );
  ringlock(['lock']);
  ringlock(['publish', MODULE, '--ring', 'canary']);
  git(['commit', '-q', '-am', `${MODULE} ${to}`]);
  git(['push', '-q', remote, 'main']);
  const second = git(['rev-parse', 'HEAD']);
  say(
    `\n$ git push   # ${MODULE} ${from} → ${to} in rings/canary.lock.json, commit ${second.slice(0, 12)}\n`,
  );

  // 4. GitHub's push webhook, signed as GitHub signs it.
  // A push names its repository; the daemon ignores pushes for any other (a local one is matched by its path).
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    after: second,
    repository: { full_name: 'acme/shop-demo', clone_url: remote },
  });
  const t0 = Date.now();
  const hook = await fetch(`${base}/hooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': randomBytes(8).toString('hex'),
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
    body,
  });
  say(`  POST /hooks/github → ${hook.status} ${await hook.text()}`);
  const s2 = await until(`commit ${second.slice(0, 12)} applied`, (s) => s.appliedCommit === second);
  say(`\nConverged ${Date.now() - t0} ms after the webhook:\n`);
  show(s2);
  const applied = s2.modules.find((m) => m.name === MODULE);
  if (applied?.deployed !== to) throw new Error(`${MODULE} is at ${applied?.deployed}, expected ${to}`);
} catch (e) {
  failure = e;
}

daemon.kill('SIGTERM');
const end = await exited;
say(`\n  daemon stopped by SIGTERM: exit ${end.code}\n`);
results.push({ shown: 'ringlock daemon --ring canary', code: failure ? 2 : (end.code ?? 70) });

ringlock(['history', MODULE]);
ringlock(['list']);

const events = logs
  .split('\n')
  .filter(Boolean)
  .map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      return undefined;
    }
  })
  .filter((l) => l && l.level !== 'debug');
say(`\nThe daemon's log (${events.length} JSON lines; the last few):\n`);
for (const l of events.slice(-8)) say(`  ${l.time} ${l.level.padEnd(5)} ${l.msg}\n`);

say(`\nSummary (in ${demo})\n`);
for (const { shown, code } of results) {
  const meaning =
    code === 0
      ? 'ok'
      : code === 1
        ? 'found problems (see above)'
        : code === 3
          ? 'an operation failed'
          : 'error';
  say(`  ${String(code).padStart(3)}  ${shown.padEnd(56)} ${meaning}\n`);
}
say(
  '\nThe example shows one failure on purpose: in ring canary (platform 2.0.0) "reports" still needs platform ^1.8.0, so\n' +
    'compat reports it incompatible and "@acme/analytics", which needs it, blocked with the chain; the daemon leaves both\n' +
    'uninstalled and its status says so (health: degraded, 2 modules blocked). Everything else is installed under\n' +
    `${join(demo, '.ringlock/target')}.\n`,
);
if (failure) say(`\nThe main job failed: ${failure.stack ?? failure}\n`);
// Findings (exit 1) are the job's output; anything else means the job itself did not work.
process.exitCode = failure || results.some((r) => r.code >= 2) ? 2 : 0;
