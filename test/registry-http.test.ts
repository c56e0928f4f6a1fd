import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpRegistry, type HttpRegistryOptions } from '../src/artifacts/registry/http.js';
import type { ArtifactRef } from '../src/artifacts/registry/types.js';
import { OperationFailed, TransientError } from '../src/errors.js';
import { testdir } from './helpers.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}
type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

const servers: (Server | HttpsServer)[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A real server on 127.0.0.1; `handler` gets the 1-based request number for fault injection. */
async function serve(handler: Handler, server: Server | HttpsServer = createServer()) {
  const seen: Seen[] = [];
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
      handler(req, res, seen.length);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { seen, port, url: `${server instanceof HttpsServer ? 'https' : 'http'}://127.0.0.1:${port}` };
}

const BYTES = Buffer.from('artifact bytes '.repeat(1000));
const ok = (res: ServerResponse, body = BYTES) =>
  res.writeHead(200, { 'content-length': body.length }).end(body);
const ref = (extra: Partial<ArtifactRef> = {}): ArtifactRef => ({
  module: 'orders',
  version: '1.0.0',
  integrity: 'sha256-unused',
  ...extra,
});

function registry(url: string, o: Partial<HttpRegistryOptions> = {}) {
  const sleeps: number[] = [];
  const reg = new HttpRegistry({
    url,
    timeoutMs: 200,
    retries: 2,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    env: {},
    ...o,
  });
  return { reg, sleeps };
}

async function fetchTo(reg: HttpRegistry, r = ref()) {
  const dir = testdir();
  const dest = join(dir, 'out.tgz');
  await reg.fetch(r, dest);
  return { dir, dest };
}

async function fetchFails(reg: HttpRegistry, r = ref()) {
  const dir = testdir();
  const err = await reg.fetch(r, join(dir, 'out.tgz')).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(readdirSync(dir)).toEqual([]); // nothing left behind: no dest, no temp
  return err as Error & { code: string };
}

describe('http registry: fetch', () => {
  it('downloads <base>/<module>/<version>/<name>-<version>.tgz', async () => {
    const s = await serve((_q, res) => ok(res));
    const { dir, dest } = await fetchTo(registry(`${s.url}/repo`).reg, ref({ module: '@acme/analytics' }));
    expect(readFileSync(dest)).toEqual(BYTES);
    expect(readdirSync(dir)).toEqual(['out.tgz']);
    expect(s.seen.map((q) => q.url)).toEqual(['/repo/@acme/analytics/1.0.0/analytics-1.0.0.tgz']);
  });

  it('retries 500, 500 then succeeds, with capped backoff', async () => {
    const s = await serve((_q, res, n) => (n < 3 ? res.writeHead(500).end() : ok(res)));
    const { reg, sleeps } = registry(s.url);
    const { dest } = await fetchTo(reg);
    expect(readFileSync(dest)).toEqual(BYTES);
    expect(s.seen).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    for (const ms of sleeps) expect(ms).toBeLessThanOrEqual(5000);
  });

  it('gives up after retries+1 attempts on a registry that always 500s', async () => {
    const s = await serve((_q, res) => res.writeHead(503).end('down'));
    const err = await fetchFails(registry(s.url, { retries: 3 }).reg);
    expect(err).toBeInstanceOf(TransientError);
    expect(err.code).toBe('registry/unavailable');
    expect(err.message).toMatch(/4 attempt\(s\): HTTP 503/);
    expect(s.seen).toHaveLength(4);
  });

  it('honours Retry-After on 429, up to the cap', async () => {
    const s = await serve((_q, res, n) =>
      n === 1
        ? res.writeHead(429, { 'retry-after': '2' }).end()
        : n === 2
          ? res.writeHead(429, { 'retry-after': '3600' }).end()
          : ok(res),
    );
    const { reg, sleeps } = registry(s.url, { backoffCapMs: 2500 });
    await fetchTo(reg);
    expect(sleeps).toEqual([2000, 2500]);
  });

  it('times out a server that never answers, retries, then fails', async () => {
    const s = await serve(() => {}); // accepts, reads, never responds
    const t0 = Date.now();
    const err = await fetchFails(registry(s.url, { retries: 1 }).reg);
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/no response within 200 ms/);
    expect(s.seen).toHaveLength(2);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('times out a body that stalls, then succeeds on the retry', async () => {
    const s = await serve((_q, res, n) => {
      if (n > 1) return ok(res);
      res.writeHead(200, { 'content-length': BYTES.length });
      res.write(BYTES.subarray(0, 100)); // then silence
    });
    const { dest } = await fetchTo(registry(s.url, { idleTimeoutMs: 150 }).reg);
    expect(readFileSync(dest)).toEqual(BYTES);
    expect(s.seen).toHaveLength(2);
  });

  it('retries a connection destroyed mid-body', async () => {
    const s = await serve((_q, res, n) => {
      if (n > 1) return ok(res);
      res.writeHead(200, { 'content-length': BYTES.length });
      res.write(BYTES.subarray(0, 500), () => res.socket?.destroy());
    });
    const { dest } = await fetchTo(registry(s.url).reg);
    expect(readFileSync(dest)).toEqual(BYTES);
    expect(s.seen).toHaveLength(2);
  });

  it('detects a body shorter than its Content-Length as truncated', async () => {
    const s = await serve((_q, res) => {
      res.writeHead(200, { 'content-length': BYTES.length + 10 });
      res.write(BYTES, () => res.socket?.end());
    });
    const err = await fetchFails(registry(s.url, { retries: 1 }).reg);
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/truncated body: 15000 of 15010 bytes/);
    expect(s.seen).toHaveLength(2);
  });

  it('refuses a body longer than the size the lock records, without retrying', async () => {
    const s = await serve((_q, res) => ok(res));
    const err = await fetchFails(registry(s.url).reg, ref({ size: 10 }));
    expect(err.code).toBe('integrity/size');
    expect(s.seen).toHaveLength(1);
  });

  it('does not retry 404', async () => {
    const s = await serve((_q, res) => res.writeHead(404).end());
    const err = await fetchFails(registry(s.url).reg);
    expect(err).toBeInstanceOf(OperationFailed);
    expect(err.code).toBe('registry/not-found');
    expect(err.message).toContain('/orders/1.0.0/orders-1.0.0.tgz');
    expect(s.seen).toHaveLength(1);
  });

  it('does not retry 401 and names the env var, never the token', async () => {
    const token = 'tok-SECRET-4242';
    const s = await serve((_q, res) => res.writeHead(401).end(token));
    const env = { RL_TOKEN: token };
    const err = await fetchFails(registry(s.url, { tokenEnv: 'RL_TOKEN', env }).reg);
    expect(err).toBeInstanceOf(OperationFailed);
    expect(err.code).toBe('registry/auth');
    expect(err.message).toContain('$RL_TOKEN');
    expect(err.message).not.toContain(token);
    expect(JSON.stringify(err)).not.toContain(token);
    expect(String(err.cause ?? '')).not.toContain(token);
    expect(s.seen).toHaveLength(1);
    const unset = await fetchFails(registry(s.url, { tokenEnv: 'RL_TOKEN' }).reg);
    expect(unset.message).toMatch(/\$RL_TOKEN is not set/);
  });

  it('sends Authorization only when the env var is set, read at call time', async () => {
    const s = await serve((_q, res) => ok(res));
    const env: Record<string, string | undefined> = {};
    const { reg } = registry(s.url, { tokenEnv: 'RL_TOKEN', env });
    await fetchTo(reg);
    env.RL_TOKEN = 'abc123';
    await fetchTo(reg);
    expect(s.seen.map((q) => q.headers.authorization)).toEqual([undefined, 'Bearer abc123']);
  });

  it('follows redirects and drops the token on another origin', async () => {
    const other = await serve((_q, res) => ok(res));
    const s = await serve((q, res) =>
      q.url!.startsWith('/a/')
        ? res.writeHead(302, { location: `/b${q.url}` }).end()
        : res.writeHead(307, { location: `${other.url}/final` }).end(),
    );
    const { reg } = registry(`${s.url}/a`, { tokenEnv: 'T', env: { T: 'sekrit' } });
    const { dest } = await fetchTo(reg);
    expect(readFileSync(dest)).toEqual(BYTES);
    expect(s.seen.map((q) => q.headers.authorization)).toEqual(['Bearer sekrit', 'Bearer sekrit']);
    expect(other.seen.map((q) => [q.url, q.headers.authorization])).toEqual([['/final', undefined]]);
  });

  it('stops after 5 redirects', async () => {
    const s = await serve((_q, res, n) => res.writeHead(302, { location: `/loop/${n}` }).end());
    const err = await fetchFails(registry(s.url).reg);
    expect(err.code).toBe('registry/redirects');
    expect(s.seen).toHaveLength(6);
  });

  it('fetches an absolute URL from the lock without sending the token elsewhere', async () => {
    const cdn = await serve((_q, res) => ok(res));
    const s = await serve((_q, res) => ok(res));
    const { reg } = registry(s.url, { tokenEnv: 'T', env: { T: 'sekrit' } });
    await fetchTo(reg, ref({ artifact: `${cdn.url}/x/orders.tgz` }));
    expect(cdn.seen.map((q) => [q.url, q.headers.authorization])).toEqual([['/x/orders.tgz', undefined]]);
  });

  it('refuses unsafe artifact paths before any request', async () => {
    const s = await serve((_q, res) => ok(res));
    for (const artifact of ['../x.tgz', 'a/../../x.tgz', '/etc/passwd', 'a\\b.tgz', 'a\0b', 'ftp://h/x']) {
      const err = await fetchFails(registry(s.url).reg, ref({ artifact }));
      expect(err.code).toBe('registry/unsafe-path');
    }
    expect(s.seen).toHaveLength(0);
  });

  it('retries a refused connection, then reports it unavailable', async () => {
    const s = await serve(() => {});
    servers.pop()!.close();
    const err = await fetchFails(registry(s.url, { retries: 1 }).reg);
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('never shows userinfo or query in location', () => {
    const reg = new HttpRegistry({ url: 'http://user:pa55word@127.0.0.1:9/repo?sig=abc' });
    expect(reg.location).toBe('http://127.0.0.1:9/repo/');
  });
});

describe('http registry: publish', () => {
  it('PUTs each file with the bearer token and returns the archive path', async () => {
    const s = await serve((_q, res) => res.writeHead(201).end());
    const dir = testdir({ 'a.tgz': 'archive', 'MANIFEST.json': '{}' });
    const { reg } = registry(`${s.url}/r/`, { tokenEnv: 'T', env: { T: 'pub-token' } });
    const out = await reg.publish('@acme/analytics', '0.4.0', [
      { name: 'analytics-0.4.0.tgz', path: join(dir, 'a.tgz') },
      { name: 'MANIFEST.json', path: join(dir, 'MANIFEST.json') },
    ]);
    expect(out).toEqual({ artifact: '@acme/analytics/0.4.0/analytics-0.4.0.tgz' });
    expect(s.seen.map((q) => [q.method, q.url, q.headers.authorization, q.body.toString()])).toEqual([
      ['PUT', '/r/@acme/analytics/0.4.0/analytics-0.4.0.tgz', 'Bearer pub-token', 'archive'],
      ['PUT', '/r/@acme/analytics/0.4.0/MANIFEST.json', 'Bearer pub-token', '{}'],
    ]);
  });

  it('retries a 502 on PUT and maps 409 to an immutable-release error', async () => {
    const s = await serve((_q, res, n) => res.writeHead(n === 1 ? 502 : n === 2 ? 200 : 409).end());
    const dir = testdir({ 'a.tgz': 'archive' });
    const { reg } = registry(s.url);
    await reg.publish('orders', '1.0.0', [{ name: 'orders-1.0.0.tgz', path: join(dir, 'a.tgz') }]);
    const err = await reg
      .publish('orders', '1.0.0', [{ name: 'orders-1.0.0.tgz', path: join(dir, 'a.tgz') }])
      .catch((e) => e);
    expect(err.code).toBe('registry/immutable');
    expect(s.seen).toHaveLength(3);
  });
});

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(!hasOpenssl)('https registry', () => {
  function selfSigned() {
    const dir = testdir();
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
  }

  it('trusts a given CA and refuses an https → http downgrade', async () => {
    const tls = selfSigned();
    const plain = await serve((_q, res) => ok(res));
    const s = await serve(
      (q, res) => (q.url === '/down' ? res.writeHead(302, { location: `${plain.url}/x` }).end() : ok(res)),
      createHttpsServer(tls),
    );
    const base = `https://127.0.0.1:${s.port}`;
    const { dest } = await fetchTo(registry(base, { ca: tls.cert }).reg);
    expect(readFileSync(dest)).toEqual(BYTES);
    const err = await fetchFails(registry(base, { ca: tls.cert }).reg, ref({ artifact: `${base}/down` }));
    expect(err.code).toBe('registry/insecure-redirect');
    expect(plain.seen).toHaveLength(0);
    const untrusted = await fetchFails(registry(base).reg);
    expect(untrusted.code).toBe('registry/tls');
  });
});

describe('http registry: cancellation', () => {
  it('stops at once when the signal aborts mid-download, leaving nothing', async () => {
    const s = await serve((_q, res) => {
      res.writeHead(200, { 'content-length': BYTES.length });
      res.write(BYTES.subarray(0, 100)); // then silence until aborted
    });
    const { reg } = registry(s.url, { idleTimeoutMs: 5000 });
    const ac = new AbortController();
    const dir = testdir();
    const p = reg.fetch(ref(), join(dir, 'out.tgz'), ac.signal);
    setTimeout(() => ac.abort(), 50);
    const err = (await p.catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('AbortError');
    expect(readdirSync(dir)).toEqual([]);
    expect(s.seen).toHaveLength(1);
  });
});
