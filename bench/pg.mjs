// A PostgreSQL server of the bench's own, as the tests start theirs (test/support/postgres.ts, which the bench cannot
// import: it is TypeScript): Debian's server binaries, a temp data dir, a random port on 127.0.0.1. Durable defaults
// (fsync and synchronous_commit on): what a production database does. As root, the server runs as postgres (or nobody).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** initdb's directory: RINGLOCK_PG_BIN, the newest /usr/lib/postgresql/N/bin, `pg_config --bindir`; else undefined. */
export function pgBinDir() {
  if (process.env.RINGLOCK_PG_BIN) return process.env.RINGLOCK_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const v = readdirSync(root)
      .filter((x) => existsSync(join(root, x, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (v[0]) return join(root, v[0], 'bin');
  }
  const r = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dir = r.status === 0 ? r.stdout.trim() : '';
  return dir && existsSync(join(dir, 'initdb')) ? dir : undefined;
}

function serverUser() {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const u = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (u.status === 0 && g.status === 0)
      return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
  }
  throw new Error('running as root with neither a postgres nor a nobody user to run PostgreSQL as');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(a.port));
    });
  });
}

/** Starts a server; `destroy()` stops it and removes its data. */
export async function startPostgres(settings = {}) {
  const bin = pgBinDir();
  if (!bin)
    throw new Error(
      'PostgreSQL server binaries not found (initdb): install postgresql or set RINGLOCK_PG_BIN',
    );
  const root = mkdtempSync(join(tmpdir(), 'rl-bench-pg-'));
  const dataDir = join(root, 'data');
  const sockDir = join(root, 'sock');
  const user = serverUser();
  if (user) chownSync(root, user.uid, user.gid);
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  execFileSync(
    join(bin, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C'],
    {
      ...as,
      stdio: 'pipe',
      cwd: root,
    },
  );
  execFileSync('mkdir', ['-p', sockDir], as);
  const port = await freePort();
  const all = { listen_addresses: '127.0.0.1', unix_socket_directories: sockDir, ...settings };
  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    ...Object.entries(all).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
  const child = spawn(join(bin, 'postgres'), args, { ...as, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => {
    log = (log + d.toString()).slice(-4000);
  });
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 30_000;
  while (spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q']).status !== 0) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`PostgreSQL on 127.0.0.1:${port} did not get ready\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    bin,
    pid: child.pid,
    destroy: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        await exited;
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
