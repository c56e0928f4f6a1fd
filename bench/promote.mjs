// `ringlock promote --auto --dry-run` over a platform with 1,000 modules and 3 rings, 5 promotions due, for a lock
// history of 100 and of 2,000 commits: the wall time should follow the due promotions, not the history. Beside it,
// measured in the same run: `node -e 0` and `git log` of the lock's whole history (what a naive soak walk would at
// least cost before reading a single blob).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, fmt, median, mustPass, printTable, timed, WORK } from './lib.mjs';

const GEN = 2;
const HOUR = 3600;
const DAY = 24 * HOUR;
const CONFIG = `apiVersion: ringlock/v1
platform:
  version: 2.0.0
modules:
  dir: modules
rings:
  - name: canary
  - name: edge
    promoteFrom: canary
    minSoak: 24h
  - name: stable
    promoteFrom: edge
    minSoak: 72h
`;

const pin = (name, version) => {
  const h = createHash('sha256').update(`${name}@${version}`).digest();
  return {
    integrity: `sha512-${createHash('sha512').update(h).digest('base64')}`,
    sha256: `sha256:${h.toString('hex')}`,
    version,
  };
};

/** Lock text from per-module entry texts (kept as an array, so one bump re-joins instead of re-serialising). */
const entryText = (name, v) =>
  `    ${JSON.stringify(name)}: ${JSON.stringify(pin(name, v), null, 2).replace(/\n/g, '\n    ')}`;
const lockOf = (ring, entries) =>
  `{\n  "lockfileVersion": 1,\n  "modules": {\n${entries.join(',\n')}\n  },\n  "platform": "2.0.0",\n  "ring": "${ring}"\n}\n`;

/**
 * A bare repo whose canary lock has `commits` commits of history. Old commits bump one module of 100+ and put the one
 * before back (so none of them is due); then 5 modules were bumped 2–3 days ago (due for edge) and 10 in the last
 * 12 hours (not yet). Written with git fast-import, streamed.
 */
async function ensureRepo(modules, commits) {
  const dir = join(WORK, `promote-${modules}m-${commits}c`);
  const stamp = join(dir, '.bench-stamp');
  // The history is dated relative to "now": regenerate when it is more than 12 hours old.
  if (existsSync(stamp)) {
    const s = JSON.parse(readFileSync(stamp, 'utf8'));
    if (s.gen === GEN && Date.now() / 1000 - s.at < 12 * HOUR) return dir;
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const bare = join(dir, 'remote.git');
  spawnSync('git', ['init', '-q', '--bare', '--initial-branch=main', bare]);
  const names = Array.from({ length: modules }, (_, i) => `mod-${String(i).padStart(4, '0')}`);
  const base = names.map((n) => entryText(n, '1.0.0'));
  const canary = [...base];
  const now = Math.floor(Date.now() / 1000);
  const child = spawn('git', ['fast-import', '--quiet'], { cwd: bare, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise((resolve) => child.on('close', resolve));
  const write = (text) => (child.stdin.write(text) ? undefined : once(child.stdin, 'drain'));
  const blob = (text) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  let mark = 0;
  const commit = async (when, files, msg) => {
    mark++;
    let head = `commit refs/heads/main\nmark :${mark}\ncommitter Bench <bench@example.test> ${when} +0000\n${blob(msg)}`;
    if (mark > 1) head += `from :${mark - 1}\n`;
    await write(head);
    for (const [path, text] of files) await write(`M 100644 inline ${path}\n${blob(text)}`);
  };
  const older = commits - 15;
  await commit(
    now - (older + 100) * HOUR,
    [
      ['ringlock.yaml', CONFIG],
      ['rings/canary.lock.json', lockOf('canary', canary)],
      ['rings/edge.lock.json', lockOf('edge', base)],
      ['rings/stable.lock.json', lockOf('stable', base)],
    ],
    'initial',
  );
  let last;
  for (let i = 1; i < older; i++) {
    const k = 100 + (i % (modules - 100));
    if (last !== undefined) canary[last] = base[last];
    canary[k] = i === older - 1 ? base[k] : entryText(names[k], `1.0.${i}`);
    last = k;
    await commit(
      now - (older + 80 - i) * HOUR,
      [['rings/canary.lock.json', lockOf('canary', canary)]],
      `bump ${names[k]}`,
    );
  }
  for (let i = 0; i < 15; i++) {
    canary[i < 5 ? i : 5 + i] = entryText(names[i < 5 ? i : 5 + i], '2.0.0');
    const when = i < 5 ? now - 3 * DAY + i * HOUR : now - 12 * HOUR + (i - 5) * HOUR;
    await commit(when, [['rings/canary.lock.json', lockOf('canary', canary)]], `canary: bump ${i}`);
  }
  child.stdin.end();
  if ((await done) !== 0) throw new Error(`git fast-import: ${stderr}`);
  spawnSync('git', ['clone', '-q', bare, join(dir, 'work')]);
  writeFileSync(stamp, JSON.stringify({ gen: GEN, at: now }));
  return dir;
}

export async function benchPromote({ quick = false } = {}) {
  const modules = 1000;
  const runs = quick ? 3 : 7;
  const sizes = [100, 2000];
  const out = { modules, due: 5, runs, rows: [] };
  console.log(
    `\n## promote --auto --dry-run: ${modules} modules, 3 rings, 5 due, ${runs} runs each (median)`,
  );
  const rows = [];
  for (const commits of sizes) {
    const t0 = Date.now();
    const dir = await ensureRepo(modules, commits);
    const work = join(dir, 'work');
    const gen = Date.now() - t0;
    if (gen > 1000) console.log(`(generated the ${commits}-commit repo in ${fmt(gen / 1000, 1)} s)`);
    const env = { GITHUB_TOKEN: '', NO_COLOR: '1' };
    const first = timed(process.execPath, [BIN, 'promote', '--auto', '--dry-run', '--json'], work, env);
    mustPass('ringlock promote --auto --dry-run', first);
    const items = JSON.parse(first.output.slice(first.output.indexOf('{'))).items;
    const due = items.filter((i) => i.result?.status === 'dry-run').length;
    const promote = [];
    const log = [];
    const node = [];
    for (let i = 0; i < runs; i++) {
      promote.push(
        mustPass('promote', timed(process.execPath, [BIN, 'promote', '--auto', '--dry-run'], work, env)),
      );
      log.push(
        mustPass(
          'git log',
          timed(
            'git',
            ['log', '--first-parent', '--format=%H %ct', 'origin/main', '--', 'rings/canary.lock.json'],
            work,
          ),
        ),
      );
      node.push(mustPass('node', timed(process.execPath, ['-e', '0'], work)));
    }
    const row = { commits, due, promoteMs: median(promote), gitLogMs: median(log), nodeMs: median(node) };
    out.rows.push(row);
    rows.push([String(commits), String(due), fmt(row.promoteMs), fmt(row.nodeMs), fmt(row.gitLogMs, 1)]);
  }
  printTable(
    [
      'lock history (commits)',
      'PRs due',
      'promote --auto --dry-run ms',
      'node -e 0 ms',
      'git log of the lock ms',
    ],
    rows,
  );
  const [a, b] = out.rows;
  out.growth = b.promoteMs / a.promoteMs;
  console.log(
    `2,000 vs 100 commits of history: ${fmt(out.growth, 2)}× the wall time (goal: ~1×, it should follow the due promotions); git log alone ${fmt(b.gitLogMs / a.gitLogMs, 1)}×`,
  );
  return out;
}
