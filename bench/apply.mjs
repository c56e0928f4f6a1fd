// `apply` bench: ringlock apply of N modules (~1 MB compressed, 50 files each) from a file registry onto an empty
// target, beside the shell limit (sha512sum -c + tar -xzf per artifact) and npm ci installing the same tarballs.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BIN, fmt, median, mustPass, pool, printTable, timed, WORK, xorshift } from './lib.mjs';

const GEN_VERSION = 2; // bump when the generated repo changes: it is regenerated
const FILES_PER_MODULE = 50; // module.json included
/** Raw bytes per module: with the content mix below, gzip -6 brings it to ~1 MB (the ratio of PERF-NOTES' set). */
const RAW_PER_MODULE = 1_900_000;
/** Content is 4 KiB chunks: this share seeded random bytes (incompressible), the rest pseudo-source text. */
const RANDOM_SHARE = 0.25;
const CHUNK = 4096;
const MIN_FILE = 1024;
const MAX_FILE = 200 * 1024;
const VERSION = '1.0.0';
const APPLY_SEED = 11;

const CONFIG = `apiVersion: ringlock/v1
platform:
  version: 2.0.0
modules:
  dir: modules
registry:
  type: file
  path: registry
rings:
  - name: canary
    tracksSource: true
`;

// ---------- trash: renamed aside now, deleted once the timing is over ----------

const TRASH = join(WORK, '.trash');
let trashed = 0;

/** Renames a tree into bench/.work/.trash (same file system: instant); `emptyTrash` deletes it later. */
export function trash(path) {
  if (!existsSync(path)) return;
  mkdirSync(TRASH, { recursive: true });
  renameSync(path, join(TRASH, `${path.split('/').pop()}-${process.pid}-${trashed++}`));
}

const LAST_DELETE = join(WORK, '.last-delete.json');

/** Deletes everything trashed (by this run or an interrupted one). Call after the last timed command. */
export function emptyTrash() {
  if (!existsSync(TRASH)) return 0;
  const t0 = performance.now();
  rmSync(TRASH, { recursive: true, force: true });
  const ms = performance.now() - t0;
  // Only a big deletion (a full apply run's trees) slows the next run down measurably.
  if (ms > 1000) writeFileSync(LAST_DELETE, `${JSON.stringify({ at: Date.now() })}\n`);
  return ms;
}

/** Seconds since a bench run last deleted its trees, when known. */
function sinceLastDelete() {
  try {
    return (Date.now() - JSON.parse(readFileSync(LAST_DELETE, 'utf8')).at) / 1000;
  } catch {
    return null;
  }
}

// ---------- the generated platform repo ----------

/** Seeded pseudo-source text: words from a small vocabulary with code-like punctuation (gzip -6 → ~0.31). */
function textPool(next, bytes) {
  const rand = () => next() / 4294967296;
  const letters = 'abcdefghijklmnopqrstuvwxyz_';
  const vocab = Array.from({ length: 512 }, () => {
    let s = '';
    for (let n = 3 + Math.floor(rand() * 8); n > 0; n--) s += letters[Math.floor(rand() * letters.length)];
    return s;
  });
  const punct = [' ', ' ', ' ', ' ', '.', '(', ') ', ', ', ' = ', ';\n', ' {\n', '}\n', '\n'];
  const parts = [];
  let len = 0;
  while (len < bytes) {
    const w = vocab[Math.floor(rand() ** 2 * vocab.length)] + punct[Math.floor(rand() * punct.length)];
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

const modName = (m, modules) => `mod-${String(m).padStart(Math.max(3, String(modules).length), '0')}`;

/**
 * The repo under bench/.work/apply-<modules>x50/: modules/, ringlock.yaml, the canary lock, the file registry
 * (published), sha512 lists for the shell, npm variants of the artifacts and an npm project with its lockfile.
 * Reused while its parameters match (stamp).
 */
export function ensureApplyRepo(modules, seed = APPLY_SEED) {
  const params = {
    v: GEN_VERSION,
    modules,
    files: FILES_PER_MODULE,
    raw: RAW_PER_MODULE,
    share: RANDOM_SHARE,
    chunk: CHUNK,
    seed,
  };
  const dir = join(WORK, `apply-${modules}x${FILES_PER_MODULE}`);
  const paths = {
    dir,
    repo: join(dir, 'repo'),
    shell: join(dir, 'shell'),
    npm: join(dir, 'npm'),
    rounds: join(dir, 'rounds'),
    planTarget: join(dir, 'plan-target'),
    // Two levels below `dir` like each round's project (rounds/npm-*), and not under npm/: the lockfile's relative
    // file: paths then hold in both. A lockfile that does not match makes npm ci re-resolve every tarball (3x slower).
    npmTemplate: join(dir, 'template', 'npm'),
  };
  const stampPath = join(dir, '.bench-stamp.json');
  mkdirSync(WORK, { recursive: true });
  if (existsSync(stampPath)) {
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
    if (JSON.stringify(stamp.params) === JSON.stringify(params))
      return { ...paths, ...stamp.totals, generatedMs: 0 };
  }
  // A stale repo is renamed aside, deleted after the timing: creating files where others were just deleted is slow.
  trash(dir);
  const t0 = performance.now();
  const next = xorshift(seed);
  const rand = () => next() / 4294967296;
  const data = pool(next, 16 * 1024 * 1024);
  const text = textPool(next, 16 * 1024 * 1024);
  const content = (size) => {
    const out = Buffer.allocUnsafe(size);
    for (let at = 0; at < size; at += CHUNK) {
      const n = Math.min(CHUNK, size - at);
      const src = rand() < RANDOM_SHARE ? data : text;
      const off = Math.floor(rand() * (src.length - n));
      src.copy(out, at, off, off + n);
    }
    return out;
  };
  let files = 0;
  let bytes = 0;
  const write = (path, buf) => {
    writeFileSync(path, buf);
    files++;
    bytes += buf.length;
  };
  mkdirSync(join(paths.repo, 'modules'), { recursive: true });
  writeFileSync(join(paths.repo, 'ringlock.yaml'), CONFIG);
  const names = [];
  for (let m = 1; m <= modules; m++) {
    const mod = modName(m, modules);
    names.push(mod);
    const mdir = join(paths.repo, 'modules', mod);
    mkdirSync(mdir);
    const manifest = {
      name: mod,
      version: VERSION,
      compatibility: { platform: '^2.0.0' },
      dependencies: {},
    };
    const mj = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    write(join(mdir, 'module.json'), mj);
    // Log-uniform sizes, scaled so that every module holds the same raw bytes.
    const n = FILES_PER_MODULE - 1;
    const sizes = Array.from({ length: n }, () => MIN_FILE * (MAX_FILE / MIN_FILE) ** rand());
    const scale = (RAW_PER_MODULE - mj.length) / sizes.reduce((a, b) => a + b, 0);
    for (let f = 0; f < n; f++) {
      const sub = join(mdir, 'src', `d${String(Math.floor(f / 25)).padStart(2, '0')}`);
      if (f % 25 === 0) mkdirSync(sub, { recursive: true });
      write(join(sub, `f${String(f).padStart(4, '0')}.dat`), content(Math.round(sizes[f] * scale)));
    }
  }
  const genMs = performance.now() - t0;
  const rl = (...args) =>
    mustPass(`ringlock ${args.join(' ')}`, timed(process.execPath, [BIN, ...args, '--cwd', paths.repo]));
  const lockMs = rl('lock');
  const publishMs = rl('publish', '--ring', 'canary', '--all');
  const lock = JSON.parse(readFileSync(join(paths.repo, 'rings', 'canary.lock.json'), 'utf8'));

  // The shell: one sha512sum list per artifact, and a script doing check + extract for one module.
  const registry = join(paths.repo, 'registry');
  mkdirSync(join(paths.shell, 'sums'), { recursive: true });
  const list = [];
  let compressed = 0;
  for (const mod of names) {
    const e = lock.modules[mod];
    if (!e?.artifact || !e.integrity?.startsWith('sha512-'))
      throw new Error(`${mod}: the lock records no sha512 artifact after publish`);
    const tgz = join(registry, e.artifact);
    compressed += statSync(tgz).size;
    const hex = Buffer.from(e.integrity.slice(7), 'base64').toString('hex');
    writeFileSync(join(paths.shell, 'sums', `${mod}.sha512`), `${hex}  ${tgz}\n`);
    list.push(`${mod} ${tgz}`);
  }
  writeFileSync(join(paths.shell, 'list'), `${list.join('\n')}\n`);
  writeFileSync(
    join(paths.shell, 'one.sh'),
    `# $1 module, $2 artifact; DEST and SUMS from the environment\nset -e\nsha512sum -c --status "$SUMS/$1.sha512"\nmkdir "$DEST/$1"\ntar -xzf "$2" -C "$DEST/$1"\n`,
  );

  // npm: each artifact again with its entries under package/ and a package/package.json (npm needs both).
  const tarballs = join(paths.npm, 'tarballs');
  const template = paths.npmTemplate;
  mkdirSync(tarballs, { recursive: true });
  mkdirSync(template, { recursive: true });
  const deps = {};
  let npmCompressed = 0;
  for (const mod of names) {
    const variant = npmVariant(readFileSync(join(registry, lock.modules[mod].artifact)), mod);
    writeFileSync(join(tarballs, `${mod}-${VERSION}.tgz`), variant);
    npmCompressed += variant.length;
    deps[mod] = `file:../../npm/tarballs/${mod}-${VERSION}.tgz`;
  }
  writeFileSync(
    join(template, 'package.json'),
    `${JSON.stringify({ name: 'ringlock-bench-npm', version: '1.0.0', private: true, dependencies: deps }, null, 2)}\n`,
  );
  mustPass(
    'npm install --package-lock-only',
    timed(
      'npm',
      ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--offline'],
      template,
      npmEnv(paths),
    ),
  );
  const npmLock = JSON.parse(readFileSync(join(template, 'package-lock.json'), 'utf8'));
  for (const mod of names) {
    const resolved = npmLock.packages?.[`node_modules/${mod}`]?.resolved;
    if (resolved !== deps[mod])
      throw new Error(`${mod}: the npm lockfile resolves ${resolved}, not ${deps[mod]}`);
  }
  const totals = { modules, files, bytes, compressed, npmCompressed };
  writeFileSync(stampPath, `${JSON.stringify({ params, totals })}\n`);
  console.log(
    `generated ${modules} modules in ${fmt(genMs / 1000, 1)} s; ringlock lock ${fmt(lockMs / 1000, 1)} s, ` +
      `publish ${fmt(publishMs / 1000, 1)} s; npm variants and lockfile ${fmt((performance.now() - t0 - genMs - lockMs - publishMs) / 1000, 1)} s`,
  );
  return { ...paths, ...totals, generatedMs: performance.now() - t0 };
}

function npmEnv(paths) {
  return {
    npm_config_cache: join(paths.npm, 'cache'),
    npm_config_update_notifier: 'false',
    npm_config_progress: 'false',
  };
}

// ---------- the npm variant of an artifact ----------

const BLOCK = 512;

/** The artifact's tar with every entry moved under package/, plus package/package.json; gzip -6 like pack. */
function npmVariant(tgz, mod) {
  const tar = gunzipSync(tgz);
  const out = [];
  let off = 0;
  while (off + BLOCK <= tar.length) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    const type = String.fromCharCode(h[156] || 0x30);
    if (type !== '0' && type !== '5') throw new Error(`${mod}: unexpected tar entry type "${type}"`);
    const size = Number.parseInt(h.toString('latin1', 124, 136).replace(/\0.*$/, '').trim() || '0', 8);
    const name = cstr(h, 0, 100);
    const prefix = cstr(h, 345, 155);
    out.push(header(`package/${prefix ? `${prefix}/` : ''}${name}`, size, h));
    const body = Math.ceil(size / BLOCK) * BLOCK;
    out.push(tar.subarray(off + BLOCK, off + BLOCK + body));
    off += BLOCK + body;
  }
  const pj = Buffer.from(`${JSON.stringify({ name: mod, version: VERSION }, null, 2)}\n`);
  out.push(
    header('package/package.json', pj.length),
    pj,
    Buffer.alloc((BLOCK - (pj.length % BLOCK)) % BLOCK),
  );
  out.push(Buffer.alloc(2 * BLOCK));
  return gzipSync(Buffer.concat(out), { level: 6 });
}

function cstr(h, at, len) {
  const s = h.subarray(at, at + len);
  const end = s.indexOf(0);
  return s.toString('utf8', 0, end === -1 ? len : end);
}

/** A ustar header for `path` (from `like` when given: mode, type, mtime kept), checksum recomputed. */
function header(path, size, like) {
  const h = like ? Buffer.from(like) : Buffer.alloc(BLOCK);
  let name = path;
  let prefix = '';
  if (path.length > 100) {
    const cut = path.indexOf('/', path.length - 101);
    if (cut === -1 || cut > 155) throw new Error(`${path}: too long for a ustar header`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  h.fill(0, 0, 100);
  h.write(name, 0, 100, 'utf8');
  h.fill(0, 345, 500);
  h.write(prefix, 345, 155, 'utf8');
  if (!like) {
    const octal = (at, len, v) => h.write(`${v.toString(8).padStart(len - 1, '0')}\0`, at, len, 'latin1');
    octal(100, 8, 0o644);
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(124, 12, size);
    octal(136, 12, 946_684_800);
    h.write('0', 156, 1, 'latin1');
    h.write('ustar\u000000', 257, 8, 'latin1');
  }
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i];
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return h;
}

// ---------- timing ----------

/** Regular files under `dir`, links not followed. */
function countFiles(dir, skip = () => false) {
  let n = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (skip(e.name)) continue;
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.isFile()) n++;
    }
  };
  walk(dir);
  return n;
}

const sync = () => spawnSync('sync', { stdio: 'ignore' });

/**
 * Times ringlock apply, the shell (one at a time and xargs -P2) and npm ci, interleaved over `rounds` after one
 * untimed warm-up round. Every command writes into a new directory; old ones are renamed aside and deleted at the end.
 * The last ringlock target is kept as the repo's plan target. Returns the result for BENCH_JSON.
 */
export function benchApply(label, repo, rounds, tools) {
  const mbRaw = repo.bytes / 1e6;
  console.log(
    `\n## ${label}: ${repo.files} files, ${fmt(repo.compressed / 1e6)} MB compressed → ${fmt(mbRaw)} MB` +
      (repo.generatedMs ? ` (generated in ${fmt(repo.generatedMs / 1000, 1)} s)` : ' (reused)'),
  );
  console.log(
    'npm installs variants of the same artifacts: entries under package/ plus package/package.json ' +
      `(npm requires both; ${fmt(repo.npmCompressed / 1e6)} MB)`,
  );
  const since = sinceLastDelete();
  if (since !== null && since < 300)
    console.log(
      `note: a bench run deleted its trees ${fmt(since)} s ago; creating files where others were recently deleted ` +
        'is slower here for a few minutes (PERF-NOTES): for steady figures, wait 5 minutes between runs',
    );
  // Leftovers of an interrupted run: aside now, deleted after the timing.
  trash(repo.rounds);
  mkdirSync(repo.rounds, { recursive: true });
  // Every round writes a fresh copy per method; keep them all until the end unless the disk is short.
  const perRound = 4 * repo.bytes + 2 * repo.compressed + 16 * 1024 * repo.files;
  const fs = statfsSync(repo.dir);
  const keepAll = fs.bavail * fs.bsize > (rounds + 1) * perRound * 1.5;
  if (!keepAll)
    console.log('note: little free disk space: each round is deleted (renamed aside first) after it');

  const env = npmEnv(repo);
  const shellEnv = (dest) => ({ DEST: dest, SUMS: join(repo.shell, 'sums') });
  const methods = [
    {
      key: 'ringlock',
      name: 'ringlock apply (fresh target and cache)',
      prepare: (id) => join(repo.rounds, `rl-${id}`),
      run: (t) =>
        timed(process.execPath, [
          BIN,
          'apply',
          '--ring',
          'canary',
          '--yes',
          '--skip-hooks',
          '--target',
          t,
          '--cwd',
          repo.repo,
        ]),
      files: (t) => countFiles(join(t, '.ringlock', 'store')),
    },
  ];
  if (tools.sha512sum) {
    for (const [key, p, name] of [
      ['shellSeq', 1, 'sha512sum -c + tar -xzf, one at a time'],
      ['shellP2', 2, 'sha512sum -c + tar -xzf, xargs -P2'],
    ]) {
      methods.push({
        key,
        name,
        prepare: (id) => {
          const d = join(repo.rounds, `${key}-${id}`);
          mkdirSync(d);
          return d;
        },
        run: (d) =>
          timed(
            'xargs',
            ['-P', String(p), '-n', '2', '-a', join(repo.shell, 'list'), 'sh', join(repo.shell, 'one.sh')],
            d,
            shellEnv(d),
          ),
        files: (d) => countFiles(d),
      });
    }
  }
  if (tools.npm) {
    methods.push({
      key: 'npm',
      name: 'npm ci --offline (warm cache)',
      prepare: (id) => {
        const d = join(repo.rounds, `npm-${id}`);
        mkdirSync(d);
        for (const f of ['package.json', 'package-lock.json'])
          copyFileSync(join(repo.npmTemplate, f), join(d, f));
        return d;
      },
      run: (d) => timed('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--offline'], d, env),
      // package.json in each package and node_modules/.package-lock.json are npm's own.
      files: (d) => countFiles(join(d, 'node_modules'), (n) => n === '.package-lock.json') - repo.modules,
    });
  }
  const times = Object.fromEntries(methods.map((m) => [m.key, []]));
  const loadBefore = loadavg()[0];
  let lastTarget;
  for (let round = 0; round <= rounds; round++) {
    const made = [];
    for (const m of methods) {
      const path = m.prepare(`${process.pid}-${round}`);
      made.push(path);
      sync(); // no write-back of the previous command's files during this one
      const r = m.run(path);
      if (r.status !== 0 && m.key === 'ringlock')
        console.error(`(if the generated repo predates a change in ringlock's formats: rm -rf ${repo.dir})`);
      const ms = mustPass(m.name, r);
      if (round === 0) {
        const n = m.files(path);
        if (n !== repo.files) console.log(`warning: ${m.name} left ${n} files, expected ${repo.files}`);
      } else times[m.key].push(ms);
      if (m.key === 'ringlock') lastTarget = path;
    }
    if (!keepAll && round < rounds) {
      for (const p of made) trash(p);
      emptyTrash();
    }
  }
  sync();
  // The last ringlock target stays, as the applied target the plan bench reads; the rest goes aside.
  trash(repo.planTarget);
  renameSync(lastTarget, repo.planTarget);
  trash(repo.rounds);

  const ms = Object.fromEntries(methods.map((m) => [m.key, median(times[m.key])]));
  const min = (k) => Math.min(...times[k]);
  const shellKey = ms.shellSeq == null ? null : ms.shellP2 < ms.shellSeq ? 'shellP2' : 'shellSeq';
  const shellMs = shellKey ? ms[shellKey] : null;
  const vs = (k, base) => (ms[k] != null && base != null ? ms[k] / base : null);
  const rows = methods.map((m) => [
    m.name,
    fmt(ms[m.key] / 1000, 2),
    fmt(min(m.key) / 1000, 2),
    fmt(mbRaw / (ms[m.key] / 1000)),
    fmt(vs(m.key, shellMs), 2),
    fmt(vs(m.key, ms.npm), 2),
  ]);
  const load = [loadBefore, loadavg()[0]];
  console.log(
    `median of ${rounds} interleaved rounds after an untimed warm-up; sync before every command; load average ` +
      `${fmt(load[0], 1)} → ${fmt(load[1], 1)} on ${availableParallelism()} cores (other work on the machine skews it)`,
  );
  printTable(['method', 'median s', 'min s', 'MB/s', 'vs shell limit', 'vs npm ci'], rows);
  if (shellKey)
    console.log(
      `shell limit: ${methods.find((m) => m.key === shellKey).name} (best of the two), ${fmt(shellMs / 1000, 2)} s`,
    );
  const ratio = { ringlockVsShell: vs('ringlock', shellMs), ringlockVsNpm: vs('ringlock', ms.npm) };
  const goals = {
    shell: { max: 1.5, pass: ratio.ringlockVsShell == null ? null : ratio.ringlockVsShell <= 1.5 },
    npm: { max: 1, pass: ratio.ringlockVsNpm == null ? null : ratio.ringlockVsNpm < 1 },
  };
  const verdict = (g) => (g.pass == null ? 'SKIP' : g.pass ? 'PASS' : 'MISS');
  console.log(
    `goal: ringlock apply <= 1.5x the shell limit: ${fmt(ratio.ringlockVsShell, 2)}x ${verdict(goals.shell)}`,
  );
  console.log(`goal: ringlock apply < npm ci: ${fmt(ratio.ringlockVsNpm, 2)}x ${verdict(goals.npm)}`);
  return {
    label,
    modules: repo.modules,
    files: repo.files,
    bytes: repo.bytes,
    compressed: repo.compressed,
    npmCompressed: repo.npmCompressed,
    rounds,
    ms,
    runsMs: times,
    shellLimit: shellKey,
    loadAverage: load,
    sinceLastDeleteS: since,
    ratio,
    goals,
  };
}

/** The repo applied onto a target kept beside it for the plan bench: the apply bench's last, or applied once here. */
export function ensureAppliedTarget(repo) {
  const t = repo.planTarget;
  if (existsSync(join(t, '.ringlock', 'state.json'))) return t;
  const tmp = `${t}.tmp-${process.pid}`;
  trash(t);
  mustPass(
    'ringlock apply',
    timed(process.execPath, [
      BIN,
      'apply',
      '--ring',
      'canary',
      '--yes',
      '--skip-hooks',
      '--target',
      tmp,
      '--cwd',
      repo.repo,
    ]),
  );
  renameSync(tmp, t);
  return t;
}
