import { createHash } from 'node:crypto';
import { chmodSync, type Dirent, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ArtifactCache } from '../src/artifacts/cache.js';
import { FileRegistry } from '../src/artifacts/registry/file.js';
import { HttpRegistry } from '../src/artifacts/registry/http.js';
import type { ArtifactRef } from '../src/artifacts/registry/types.js';
import { InputError, OperationFailed, TransientError } from '../src/errors.js';
import { testdir } from './helpers.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A registry server on 127.0.0.1 serving `content` by module name; `fail` modules answer 500 forever. */
async function registryServer(
  content: Record<string, Buffer>,
  opts: { fail?: string[]; delayMs?: number } = {},
) {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(req.url!);
    const module = req.url!.split('/')[1]!;
    const body = content[module];
    setTimeout(() => {
      if (opts.fail?.includes(module)) res.writeHead(500).end();
      else if (!body) res.writeHead(404).end();
      else res.writeHead(200, { 'content-length': body.length }).end(body);
    }, opts.delayMs ?? 0);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const registry = new HttpRegistry({ url, retries: 2, timeoutMs: 500, sleep: async () => {}, env: {} });
  return { seen, registry };
}

const sri = (b: Buffer, alg = 'sha512') => `${alg}-${createHash(alg).update(b).digest('base64')}`;
const A = Buffer.from('module a bytes '.repeat(100));
const B = Buffer.from('module b bytes '.repeat(100));
const C = Buffer.from('module c bytes '.repeat(100));
const refOf = (module: string, bytes: Buffer, extra: Partial<ArtifactRef> = {}): ArtifactRef => ({
  module,
  version: '1.0.0',
  integrity: sri(bytes),
  ...extra,
});

/** Every file under `dir`, relative; empty directories do not count. */
function files(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
    .sort();
}

async function failure(p: Promise<unknown>): Promise<Error & { code: string }> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: Error & { code: string }) => e,
  );
}

describe('artifact cache', () => {
  it('fetches once: a second get, even from a new cache instance, does not hit the registry', async () => {
    const { seen, registry } = await registryServer({ a: A });
    const dir = testdir();
    const p1 = await new ArtifactCache(dir).get(refOf('a', A), registry);
    const hex = createHash('sha512').update(A).digest('hex');
    expect(p1).toBe(join(dir, 'sha512', hex));
    expect(readFileSync(p1)).toEqual(A);
    const p2 = await new ArtifactCache(dir).get(refOf('a', A, { size: A.length }), registry);
    expect(p2).toBe(p1);
    expect(seen).toHaveLength(1);
    expect(files(dir)).toEqual([`sha512/${hex}`]);
  });

  it('refuses mismatched integrity and leaves the cache empty', async () => {
    const { seen, registry } = await registryServer({ a: A });
    const dir = testdir();
    const err = await failure(new ArtifactCache(dir).get(refOf('a', B), registry));
    expect(err).toBeInstanceOf(OperationFailed);
    expect(err.code).toBe('integrity/mismatch');
    expect(err.message).toContain('a@1.0.0');
    expect(seen).toHaveLength(1);
    expect(files(dir)).toEqual([]);
  });

  it('refuses weak or missing integrity before any request', async () => {
    const { seen, registry } = await registryServer({ a: A });
    const dir = testdir();
    const cache = new ArtifactCache(dir);
    const sha1 = createHash('sha1').update(A).digest('base64');
    const weak = await failure(cache.get(refOf('a', A, { integrity: `sha1-${sha1}` }), registry));
    expect(weak).toBeInstanceOf(InputError);
    expect(weak.code).toBe('integrity/weak');
    const missing = await failure(cache.get(refOf('a', A, { integrity: '' }), registry));
    expect(missing.code).toBe('integrity/missing');
    expect(seen).toHaveLength(0);
    expect(files(dir)).toEqual([]);
  });

  it('refuses a file of the wrong size', async () => {
    const { registry } = await registryServer({ a: A });
    const dir = testdir();
    // The server's Content-Length already disagrees with the lock: refused without reading the body.
    const err = await failure(new ArtifactCache(dir).get(refOf('a', A, { size: A.length - 1 }), registry));
    expect(err.code).toBe('integrity/size');
    expect(files(dir)).toEqual([]);
    // From a file registry the whole file is copied, then verified.
    const root = testdir({ 'a/1.0.0/a-1.0.0.tgz': A });
    const viaFile = await failure(
      new ArtifactCache(dir).get(refOf('a', A, { size: A.length + 1 }), new FileRegistry(root)),
    );
    expect(viaFile.code).toBe('integrity/size');
    expect(files(dir)).toEqual([]);
  });

  it('replaces a corrupt cached file by fetching it again', async () => {
    const { seen, registry } = await registryServer({ a: A });
    const dir = testdir();
    const cache = new ArtifactCache(dir);
    const path = await cache.get(refOf('a', A), registry);
    chmodSync(path, 0o644);
    writeFileSync(path, 'bit rot');
    expect(await new ArtifactCache(dir).get(refOf('a', A), registry)).toBe(path);
    expect(readFileSync(path)).toEqual(A);
    expect(seen).toHaveLength(2);
  });

  it('shares one download between concurrent gets of the same artifact', async () => {
    const { seen, registry } = await registryServer({ a: A }, { delayMs: 50 });
    const cache = new ArtifactCache(testdir());
    const paths = await Promise.all(Array.from({ length: 5 }, () => cache.get(refOf('a', A), registry)));
    expect(new Set(paths).size).toBe(1);
    expect(seen).toHaveLength(1);
  });

  it('fetchAll: one module failing for good does not stop the others', async () => {
    const { seen, registry } = await registryServer({ a: A, b: B, c: C }, { fail: ['b'] });
    const dir = testdir();
    const refs = [refOf('a', A), refOf('b', B), refOf('c', C)];
    const results = await new ArtifactCache(dir).fetchAll(refs, registry, { concurrency: 2 });
    expect(results.map((r) => [r.ref.module, r.ok])).toEqual([
      ['a', true],
      ['b', false],
      ['c', true],
    ]);
    const failed = results[1]!;
    if (failed.ok) throw new Error('b should fail');
    expect(failed.error).toBeInstanceOf(TransientError);
    expect((failed.error as TransientError).code).toBe('registry/unavailable');
    expect(seen.filter((u) => u.startsWith('/b/'))).toHaveLength(3);
    expect(files(dir)).toHaveLength(2);
  });
});
