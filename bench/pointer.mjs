// `pointer` bench: the micro-frontend target on a real redis-server of its own (Debian's, a random loopback port, no
// persistence). (1) commit → pointer switched for a one-module upgrade: `ringlock apply` as a whole process (observe,
// fetch, extract, upload, the Lua switch, record) beside a bare `redis-cli SET` of the same tenant key, and the switch
// alone in-process (the generation-checked Lua script) beside a bare SET on one connection; (2) upload throughput:
// the dir storage's put (temp file + fsync + link, never overwriting) of N bundles beside `cp -r` of the same trees.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, fmt, importTs, median, pool, printTable, timed, xorshift } from './lib.mjs';

const REDIS = process.env.RINGLOCK_REDIS_SERVER ?? '/usr/bin/redis-server';
export const hasRedis = () => existsSync(REDIS);

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(dir) {
  const port = await freePort();
  const child = spawn(
    REDIS,
    ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  let up = false;
  for (let i = 0; i < 200 && !up; i++) {
    const r = spawnSync('redis-cli', ['-p', String(port), 'PING'], { encoding: 'utf8' });
    up = r.stdout?.trim() === 'PONG';
    if (!up) await new Promise((r2) => setTimeout(r2, 50));
  }
  if (!up) {
    child.kill('SIGKILL');
    throw new Error(`redis-server on 127.0.0.1:${port} did not answer PING within 10 s`);
  }
  return { port, url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

function cli(args, cwd, env) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`ringlock ${args.join(' ')}: ${r.stdout}${r.stderr}`);
}

/** A one-module pointer platform with both versions published; returns the two lock texts. */
function platform(root, redisUrl) {
  const repo = join(root, 'repo');
  const mod = join(repo, 'modules', 'crm');
  mkdirSync(mod, { recursive: true });
  writeFileSync(
    join(repo, 'ringlock.yaml'),
    'apiVersion: ringlock/v1\nplatform:\n  version: 3.0.0\nmodules:\n  dir: modules\nregistry:\n  type: file\n  path: ../registry\ntarget:\n  type: pointer\n  path: ../target\nrings:\n  - name: canary\n',
  );
  mkdirSync(join(repo, 'rings'), { recursive: true });
  writeFileSync(join(repo, 'rings', 'tenants.yaml'), 'tenants:\n  acme: canary\n  globex: canary\n');
  writeFileSync(
    join(root, 'operator.yaml'),
    `apiVersion: ringlock/v1\nkind: OperatorConfig\npointer:\n  storage: {type: dir, path: ${join(root, 'cdn')}}\n  publicUrl: https://cdn.example.test/modules\n`,
  );
  const env = { RINGLOCK_OPERATOR_CONFIG: join(root, 'operator.yaml'), RINGLOCK_REDIS_URL: redisUrl };
  const locks = [];
  for (const v of ['1.0.0', '1.1.0']) {
    writeFileSync(join(mod, 'module.manifest.json'), `${JSON.stringify({ name: 'crm', version: v })}\n`);
    for (let f = 0; f < 20; f++)
      writeFileSync(join(mod, `chunk-${f}.js`), `// crm ${v} chunk ${f}\n${'x'.repeat(4000)}\n`);
    writeFileSync(join(mod, 'remoteEntry.js'), `// crm ${v}\n`);
    cli(['lock'], repo, env);
    cli(['publish', '--ring', 'canary', '--all'], repo, env);
    locks.push(readFileSync(join(repo, 'rings', 'canary.lock.json'), 'utf8'));
  }
  return { repo, env, locks };
}

async function benchSwitch(root, redis, rounds) {
  const { repo, env, locks } = platform(root, redis.url);
  const lockFile = join(repo, 'rings', 'canary.lock.json');
  writeFileSync(lockFile, locks[0]);
  cli(['apply', '--ring', 'canary', '--yes'], repo, env);
  const applyMs = [];
  const setMs = [];
  const noopMs = [];
  for (let i = 0; i < rounds; i++) {
    writeFileSync(lockFile, locks[(i + 1) % 2]);
    const r = timed(process.execPath, [BIN, 'apply', '--ring', 'canary', '--yes'], repo, env);
    if (r.status !== 0) throw new Error(r.output);
    applyMs.push(r.ms);
    // The same command with nothing to do: the fixed cost (start-up, config, state, reading the pointer).
    const n = timed(process.execPath, [BIN, 'apply', '--ring', 'canary', '--yes'], repo, env);
    if (n.status !== 0) throw new Error(n.output);
    noopMs.push(n.ms);
    setMs.push(
      timed('redis-cli', ['-p', String(redis.port), 'SET', 'bench:modules:active:acme', '{"crm":"x"}'], root)
        .ms,
    );
  }
  // The switch alone, in-process, on one connection: the Lua script (generation check, ring doc, two tenant keys)
  // beside a bare SET.
  const { RedisClient } = await importTs('pointer-bench', [
    "export { RedisClient } from './src/redis/client.ts';",
  ]);
  const c = new RedisClient(redis.url);
  const n = 2000;
  const doc = {
    ring: 'b',
    generation: 0,
    modules: { crm: { version: '1.1.0', dir: 'crm/1.1.0-x', entry: 'u' } },
    tenants: ['acme', 'globex'],
    updatedAt: '',
  };
  let gen = (await c.read('bench:gen', 'bench:ring', [])).generation;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = await c.switch({
      mode: 'next',
      generation: gen,
      generationKey: 'bench:gen',
      ringKey: 'bench:ring',
      doc,
      set: [
        { key: 'bench:active:acme', value: '{"crm":"u"}' },
        { key: 'bench:active:globex', value: '{"crm":"u"}' },
      ],
      del: [],
    });
    gen = r.generation;
  }
  const luaUs = Number(process.hrtime.bigint() - t0) / 1e3 / n;
  const raw = await import('ioredis');
  const R = raw.Redis ?? raw.default;
  const plain = new R(redis.url);
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await plain.set('bench:active:acme', '{"crm":"u"}');
  const setUs = Number(process.hrtime.bigint() - t1) / 1e3 / n;
  await plain.quit();
  await c.close();
  return { applyMs: median(applyMs), noopMs: median(noopMs), redisCliMs: median(setMs), luaUs, setUs };
}

async function benchUpload(root, bundles, files) {
  const next = xorshift(42);
  const bytes = pool(next, 1 << 20);
  const src = join(root, 'bundles');
  let total = 0;
  for (let b = 0; b < bundles; b++)
    for (let f = 0; f < files; f++) {
      const dir = join(src, `m${b}`, `1.0.0-${String(b).padStart(8, '0')}`, f % 4 === 0 ? 'assets' : '');
      mkdirSync(dir, { recursive: true });
      const size = 2048 + (next() % 30000);
      const off = next() % (bytes.length - size);
      writeFileSync(join(dir, `f${f}.js`), bytes.subarray(off, off + size));
      total += size;
    }
  const { DirBundleStorage } = await importTs('pointer-storage-bench', [
    "export { DirBundleStorage } from './src/targets/pointer/dir-storage.ts';",
  ]);
  const rounds = 3;
  const putMs = [];
  const cpMs = [];
  for (let i = 0; i < rounds; i++) {
    const dest = join(root, `cdn-${i}`);
    const s = new DirBundleStorage(dest);
    const t0 = process.hrtime.bigint();
    for (let b = 0; b < bundles; b++) {
      const rel = `m${b}/1.0.0-${String(b).padStart(8, '0')}`;
      s.put(rel, join(src, rel));
    }
    putMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const cpDest = join(root, `cp-${i}`);
    mkdirSync(cpDest);
    cpMs.push(timed('bash', ['-c', `cp -r ${src}/. ${cpDest}/ && sync -f ${cpDest}`], root).ms);
  }
  return { bundles, files: bundles * files, mb: total / 1e6, putMs: median(putMs), cpMs: median(cpMs) };
}

export async function benchPointer({ quick }) {
  if (!hasRedis()) {
    console.log('note: redis-server not found (install the redis-server package): skipping');
    return null;
  }
  const root = mkdtempSync(join(tmpdir(), 'rl-pointer-bench-'));
  const redis = await startRedis(root);
  try {
    const rounds = quick ? 3 : 9;
    console.log(`\npointer: one-module upgrade on the pointer target, ${rounds} rounds; upload of bundles`);
    const sw = await benchSwitch(root, redis, rounds);
    printTable(
      ['commit → pointer switched', 'ms', 'baseline', 'baseline ms', 'ratio'],
      [
        [
          'ringlock apply (one module)',
          fmt(sw.applyMs),
          'redis-cli SET',
          fmt(sw.redisCliMs, 1),
          fmt(sw.applyMs / sw.redisCliMs, 1),
        ],
        [
          'ringlock apply, nothing to do',
          fmt(sw.noopMs),
          'redis-cli SET',
          fmt(sw.redisCliMs, 1),
          fmt(sw.noopMs / sw.redisCliMs, 1),
        ],
        [
          'switch alone (Lua, 2 tenants)',
          fmt(sw.luaUs / 1000, 3),
          'SET, one connection',
          fmt(sw.setUs / 1000, 3),
          fmt(sw.luaUs / sw.setUs, 2),
        ],
      ],
    );
    const up = await benchUpload(root, quick ? 20 : 100, 40);
    printTable(
      ['upload', 'bundles', 'files', 'MB', 'ms', 'MB/s', 'cp -r ms', 'cp -r MB/s', 'ratio'],
      [
        [
          'dir storage put',
          String(up.bundles),
          String(up.files),
          fmt(up.mb, 1),
          fmt(up.putMs),
          fmt(up.mb / (up.putMs / 1000)),
          fmt(up.cpMs),
          fmt(up.mb / (up.cpMs / 1000)),
          fmt(up.putMs / up.cpMs, 2),
        ],
      ],
    );
    return { switch: sw, upload: up };
  } finally {
    redis.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
