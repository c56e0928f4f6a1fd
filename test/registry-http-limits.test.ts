// The HTTP registry's limits, against real servers on 127.0.0.1: a size cap when the lock records no artifact_size and
// one deadline per download (retries included), both enforced while the body streams; through the CLI the module that
// exceeds one fails and the others install.
import { createReadStream, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpRegistry, type HttpRegistryOptions } from '../src/artifacts/registry/http.js';
import { parseByteSize } from '../src/artifacts/registry/index.js';
import type { ArtifactRef } from '../src/artifacts/registry/types.js';
import { OperationFailed, TransientError } from '../src/errors.js';
import { buildPlatform, scratch, show } from './fixtures-platform.js';
import { testdir } from './helpers.js';

const MiB = 1024 * 1024;
const CHUNK = Buffer.alloc(16 * 1024, 'x');

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A server on 127.0.0.1 that counts requests and the body bytes it managed to send. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse, sent: { bytes: number }) => void) {
  const stats = { requests: 0, bytes: 0, closed: 0 };
  const server = createServer((req, res) => {
    stats.requests++;
    res.on('close', () => stats.closed++);
    handler(req, res, stats);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { stats, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/** Writes chunks for as long as the client reads them, never ending the body. */
function endless(res: ServerResponse, sent: { bytes: number }) {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const pump = () => {
    while (!res.destroyed) {
      sent.bytes += CHUNK.length;
      if (!res.write(CHUNK)) return void res.once('drain', pump);
    }
  };
  pump();
}

/** One byte every 300 ms: each read comes well within any idle timeout, the whole never does. */
function trickle(res: ServerResponse, body: Buffer) {
  res.writeHead(200, { 'content-length': body.length });
  let i = 0;
  const timer = setInterval(() => {
    if (res.destroyed || i >= body.length) return void clearInterval(timer);
    res.write(body.subarray(i, ++i));
    if (i === body.length) res.end();
  }, 300);
  res.on('close', () => clearInterval(timer));
}

const ref = (extra: Partial<ArtifactRef> = {}): ArtifactRef => ({
  module: 'orders',
  version: '1.0.0',
  integrity: 'sha256-unused',
  ...extra,
});

const registry = (url: string, o: Partial<HttpRegistryOptions> = {}) =>
  new HttpRegistry({ url, timeoutMs: 1000, retries: 3, env: {}, ...o });

/** Fetches into a fresh dir, watching the partial file grow; returns the error and the largest partial file seen. */
async function fetchFails(reg: HttpRegistry, r = ref()) {
  const dir = testdir();
  let largest = 0;
  const watch = setInterval(() => {
    for (const f of readdirSync(dir)) {
      try {
        largest = Math.max(largest, statSync(join(dir, f)).size);
      } catch {
        // Removed meanwhile.
      }
    }
  }, 2);
  const err = await reg.fetch(r, join(dir, 'out.tgz')).then(
    () => undefined,
    (e: unknown) => e,
  );
  clearInterval(watch);
  expect(readdirSync(dir)).toEqual([]); // no dest, no partial file
  return { err: err as Error & { code: string }, largest };
}

describe('http registry: size cap without artifact_size', () => {
  it('an endless body stops at maxSize: the download fails, nothing stays, no more than the cap was written', async () => {
    const s = await serve((_q, res, sent) => endless(res, sent));
    const { err, largest } = await fetchFails(registry(s.url, { maxSize: MiB }));
    expect(err).toBeInstanceOf(OperationFailed);
    expect(err.code).toBe('registry/too-large');
    expect(err.message).toMatch(/larger than 1048576 bytes and the lock records no artifact_size/);
    expect(largest).toBeLessThanOrEqual(MiB + 64 * 1024);
    expect(s.stats.requests).toBe(1); // not retried
    await expect.poll(() => s.stats.closed).toBe(1); // the connection was dropped: the server stops sending
  });

  it('a Content-Length above maxSize is refused before the body is read', async () => {
    const s = await serve((_q, res) => {
      res.writeHead(200, { 'content-length': 2 * MiB });
      res.write(CHUNK);
    });
    const { err, largest } = await fetchFails(registry(s.url, { maxSize: MiB }));
    expect(err.code).toBe('registry/too-large');
    expect(largest).toBe(0);
  });

  it('the cap does not apply when the lock records the size (that is checked exactly instead)', async () => {
    const body = Buffer.alloc(2 * MiB, 'y');
    const s = await serve((_q, res) => res.writeHead(200, { 'content-length': body.length }).end(body));
    const dir = testdir();
    await registry(s.url, { maxSize: MiB }).fetch(ref({ size: body.length }), join(dir, 'out.tgz'));
    expect(statSync(join(dir, 'out.tgz')).size).toBe(body.length);
  });

  it('maxSize in ringlock.yaml: a whole number and B, KiB, MiB or GiB', () => {
    expect(parseByteSize('512MiB')).toBe(512 * MiB);
    expect(parseByteSize('1GiB')).toBe(1024 * MiB);
    expect(parseByteSize('65536B')).toBe(65536);
    for (const bad of ['512', '1.5MiB', '10MB', '0MiB', '-1KiB'])
      expect(() => parseByteSize(bad)).toThrow(/is not a size/);
  });
});

describe('http registry: one deadline per download', () => {
  it('a body trickling 1 byte every 300 ms fails at the deadline, though no read ever waits the idle timeout', async () => {
    const s = await serve((_q, res) => trickle(res, Buffer.alloc(40, 'z')));
    const { err } = await fetchFails(
      registry(s.url, { deadlineMs: 2000, idleTimeoutMs: 1000 }),
      ref({ size: 40 }),
    );
    expect(err).toBeInstanceOf(TransientError);
    expect(err.code).toBe('registry/deadline');
    expect(err.message).toMatch(/not downloaded within 2000 ms/);
    expect(s.stats.requests).toBe(1); // the deadline is not reset by a retry
  });

  it('covers the retries too: a registry failing every attempt is given up on at the deadline', async () => {
    const s = await serve((_q, res) => res.writeHead(503, { 'retry-after': '1' }).end());
    const { err } = await fetchFails(
      registry(s.url, { deadlineMs: 1500, retries: 20, backoffBaseMs: 500, backoffCapMs: 1000 }),
    );
    expect(err.code).toBe('registry/deadline');
    expect(s.stats.requests).toBeLessThan(5);
  });
});

describe('through the CLI', () => {
  it('an endless and a trickling artifact fail their modules (exit 3), leave no partial file, the other module installs', async (t) => {
    const p = await buildPlatform(scratch(t), {
      good: { version: '1.0.0' },
      endless: { version: '1.0.0' },
      slow: { version: '1.0.0' },
    });
    // The lock records no size for `endless`, so only registry.maxSize can stop it.
    const lock = JSON.parse(p.readLock()) as { modules: Record<string, { artifact_size?: number }> };
    expect(lock.modules.endless?.artifact_size).toBeGreaterThan(0);
    delete lock.modules.endless!.artifact_size;
    p.writeLock(`${JSON.stringify(lock, null, 2)}\n`);
    const cfg = join(p.repo, 'ringlock.yaml');
    writeFileSync(
      cfg,
      readFileSync(cfg, 'utf8').replace(
        '  path: ../registry\n',
        '  path: ../registry\n  maxSize: 1MiB\n  deadline: 2s\n  timeout: 1s\n',
      ),
    );
    const s = await serve((req, res, sent) => {
      const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
      if (path.startsWith('/endless/')) return endless(res, sent);
      const file = join(p.registry, path);
      if (!existsSync(file)) return void res.writeHead(404).end();
      if (path.startsWith('/slow/')) return trickle(res, readFileSync(file));
      res.writeHead(200, { 'content-length': statSync(file).size });
      createReadStream(file).pipe(res);
    });
    const r = await p.apply(['--json', '--registry', s.url]);
    expect(r.code, show(r)).toBe(3);
    const results = (JSON.parse(r.stdout) as { results: { module: string; outcome: string }[] }).results;
    expect(Object.fromEntries(results.map((x) => [x.module, x.outcome]))).toEqual({
      good: 'succeeded',
      endless: 'failed',
      slow: 'failed',
    });
    const errors = p.history().map((h) => `${h.module}: ${h.error ?? ''}`);
    expect(errors).toContainEqual(expect.stringMatching(/^endless: .*registry\/too-large/));
    expect(errors).toContainEqual(expect.stringMatching(/^slow: .*registry\/deadline/));
    expect(p.link('good')).toBeDefined();
    expect(existsSync(join(p.target, 'endless'))).toBe(false);
    const cache = join(p.stateDir(), 'cache');
    const left = readdirSync(cache, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.part'));
    expect(left).toEqual([]);
  });

  it('a malformed registry.maxSize or deadline in ringlock.yaml is a config error (exit 2) naming the key', async (t) => {
    const p = await buildPlatform(scratch(t), { good: { version: '1.0.0' } }, { unreleased: true });
    const cfg = join(p.repo, 'ringlock.yaml');
    const text = readFileSync(cfg, 'utf8');
    for (const [line, key] of [
      ['  maxSize: 10MB\n', 'maxSize'],
      ['  deadline: soon\n', 'deadline'],
    ]) {
      writeFileSync(cfg, text.replace('  path: ../registry\n', `  path: ../registry\n${line}`));
      const r = await p.apply(['--registry', 'http://127.0.0.1:9/']);
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr).toContain('ringlock.yaml');
      expect(r.stderr).toContain(key);
    }
  });
});
