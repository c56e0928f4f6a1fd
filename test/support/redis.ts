// A real Redis server for the tests: Debian's redis-server (.ci/run installs the package when it is missing) on a
// random free port on 127.0.0.1, its working directory a temp dir of its own; stopped and removed after. `persist`
// turns on the append-only file so a restart keeps the keys (the restart-mid-apply test); without it nothing is
// written to disk.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` (no password: the tests' own server on loopback). */
  url: string;
  port: number;
  dir: string;
  /** Stops the server (SHUTDOWN: the append-only file, when on, is kept). */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory. */
  start(): Promise<void>;
  /** `redis-cli` against this server; its stdout, trimmed. */
  cli(...args: string[]): string;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

export const REDIS_SERVER = process.env.RINGLOCK_REDIS_SERVER ?? '/usr/bin/redis-server';

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

function ping(port: number): boolean {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'PING'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === 'PONG';
}

export async function startRedis(opts: { persist?: boolean } = {}): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER))
    throw new Error(`${REDIS_SERVER} not found: install the redis-server package (.ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'ringlock-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const args = [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    opts.persist ? 'yes' : 'no',
    '--daemonize',
    'no',
    '--logfile',
    join(dir, 'redis.log'),
  ];
  const start = async () => {
    child = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    while (!ping(port)) {
      if (child.exitCode !== null)
        throw new Error(`redis-server exited (${child.exitCode}); see ${dir}/redis.log`);
      if (Date.now() > deadline) throw new Error(`redis-server on 127.0.0.1:${port} did not answer`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    stop,
    start,
    cli: (...a: string[]) =>
      spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...a], {
        encoding: 'utf8',
      }).stdout.trim(),
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
