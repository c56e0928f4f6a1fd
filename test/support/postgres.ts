// A real PostgreSQL server for the tests: Debian's server binaries (.ci/run installs the package when they are
// missing), a temp data directory, a random port on 127.0.0.1 and a socket directory of its own; stopped and removed
// after. As root (this machine, CI containers), the server runs as the `postgres` user the package creates (or nobody),
// because PostgreSQL refuses to run as root.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PgServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication on loopback: the tests' own server). */
  url: string;
  port: number;
  dataDir: string;
  /** The server binaries' directory. */
  bin: string;
  /** The postmaster's pid while it runs. */
  readonly pid: number | undefined;
  /** Stops the server (fast shutdown: open connections are cut, as a database restart cuts them). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

/** The directory of initdb/postgres: RINGLOCK_PG_BIN, `pg_config --bindir`, the newest /usr/lib/postgresql/N/bin. */
export function pgBinDir(): string {
  const env = process.env.RINGLOCK_PG_BIN;
  if (env) return env;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  const r = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dir = r.status === 0 ? r.stdout.trim() : '';
  if (dir && existsSync(join(dir, 'initdb'))) return dir;
  throw new Error(
    'PostgreSQL server binaries not found (initdb): install the postgresql package (.ci/run does) or set RINGLOCK_PG_BIN',
  );
}

/** As root: the uid/gid the server runs as (PostgreSQL refuses root). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (r.status === 0 && g.status === 0)
      return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
  }
  throw new Error('running as root with neither a postgres nor a nobody user to run PostgreSQL as');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function waitReady(bin: string, port: number, sockDir: string, deadline: number): Promise<void> {
  for (;;) {
    const r = spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q'], {});
    if (r.status === 0) return;
    if (Date.now() > deadline)
      throw new Error(`PostgreSQL on 127.0.0.1:${port} did not get ready (socket dir ${sockDir})`);
    await new Promise((r2) => setTimeout(r2, 100));
  }
}

export interface PgOptions {
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
  /** Tests do not need the server's own crash safety: fsync off makes them faster (the bench keeps it on). */
  durable?: boolean;
}

/** Starts a new server; call destroy() when done. */
export async function startPostgres(opts: PgOptions = {}): Promise<PgServer> {
  const bin = pgBinDir();
  const root = mkdtempSync(join(tmpdir(), 'rl-pg-'));
  const dataDir = join(root, 'data');
  const sockDir = join(root, 'sock');
  const user = serverUser();
  if (user) chownSync(root, user.uid, user.gid);
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  execFileSync(
    join(bin, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    { ...as, stdio: 'pipe', cwd: root },
  );
  execFileSync('mkdir', ['-p', sockDir], { ...as });
  const port = await freePort();
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: sockDir,
    max_connections: '200',
    ...(opts.durable ? {} : { fsync: 'off', full_page_writes: 'off', synchronous_commit: 'off' }),
    ...opts.settings,
  };
  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
  let child: ReturnType<typeof spawn> | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async () => {
    const c = spawn(join(bin, 'postgres'), args, { ...as, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    c.stderr?.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
    });
    child = c;
    exited = new Promise((r) => c.once('exit', () => r()));
    try {
      await waitReady(bin, port, sockDir, Date.now() + 30_000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${log}`);
    }
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGINT'); // fast shutdown
    await exited;
    child = undefined;
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    bin,
    get pid() {
      return child?.pid;
    },
    stop,
    start,
    destroy: async () => {
      await stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A schema name no other test uses (each test's state lives in its own schema of the shared server). */
export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}
