// The OCI registry driver against a real registry (Debian's docker-registry, the CNCF distribution registry) on
// loopback: publish then fetch by digest; names; a wrong digest, a tampered manifest or layer, a redirect to storage,
// and a registry restart mid-pull. Auth: registry-oci-auth.test.ts; the CLI: registry-oci-cli.test.ts.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactCache } from '../src/artifacts/cache.js';
import { moduleRepository, parseOciUrl, pullTarget } from '../src/artifacts/registry/oci-ref.js';
import { InputError, OperationFailed, TransientError } from '../src/errors.js';
import { testdir } from './helpers.js';
import {
  archive,
  blobPath,
  driver,
  fetchFails,
  fetchTo,
  holdingProxy,
  published,
  ref,
  server,
  sha,
} from './support/oci-fixtures.js';

describe('oci registry: publish and fetch', () => {
  it('pushes the archive as an OCI artifact and pulls it back by digest (no auth)', async () => {
    const s = await server();
    const a = archive();
    const reg = driver(s.url('team/modules'));
    const out = await reg.publish('orders', '1.4.2', [{ name: 'orders-1.4.2.tgz', path: a.path }], {
      sha256: `sha256:${'a'.repeat(64)}`,
      integrity: 'sha512-x',
    });
    expect(out.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(out.artifact).toBe(`orders@${out.digest}`);
    const { dest } = await fetchTo(reg, ref({ artifact: out.artifact, size: a.bytes.length }));
    expect(sha(readFileSync(dest))).toBe(sha(a.bytes));
  });
});

describe('oci registry: names', () => {
  it('maps a module to a repository under the prefix, a scoped one to scope/name', () => {
    expect(moduleRepository('orders')).toBe('orders');
    expect(moduleRepository('@acme/crm')).toBe('acme/crm');
    expect(moduleRepository('Orders')).toBe('orders');
    expect(() => moduleRepository('a..b')).toThrow(InputError);
  });

  it('speaks https, plain HTTP only to a loopback host or with insecure: true', () => {
    expect(parseOciUrl('oci://ghcr.io/acme/modules')).toMatchObject({
      protocol: 'https:',
      prefix: 'acme/modules',
    });
    expect(parseOciUrl('oci://127.0.0.1:5000/m').protocol).toBe('http:');
    expect(parseOciUrl('oci://127.0.0.1:5000/m', false).protocol).toBe('https:');
    expect(parseOciUrl('oci://registry.lan:5000/m', true).protocol).toBe('http:');
    expect(() => parseOciUrl('oci://user:pw@ghcr.io/acme')).toThrow(/credentials do not go in the URL/);
    expect(() => parseOciUrl('oci://ghcr.io/Acme')).toThrow(/not a repository name part/);
  });

  it("refuses a lock whose digest is not the artifact's, or an artifact that is no OCI reference", () => {
    const d = `sha256:${'1'.repeat(64)}`;
    expect(() => pullTarget('orders', '1.4.2', `orders@sha256:${'2'.repeat(64)}`, d)).toThrow(
      /lock's digest/,
    );
    expect(() => pullTarget('orders', '1.4.2', 'orders/1.4.2/orders-1.4.2.tgz')).toThrow(/no OCI reference/);
    expect(pullTarget('orders', '1.4.2', undefined, d)).toEqual({ rel: 'orders', digest: d });
  });

  it('round-trips a scoped module as the repository acme/crm', async () => {
    const s = await server();
    const a = archive();
    const reg = driver(s.url());
    const out = await reg.publish('@acme/crm', '2.0.0', [{ name: 'crm-2.0.0.tgz', path: a.path }]);
    expect(out.artifact).toBe(`acme/crm@${out.digest}`);
    const { dest } = await fetchTo(
      reg,
      ref({ module: '@acme/crm', version: '2.0.0', artifact: out.artifact }),
    );
    expect(sha(readFileSync(dest))).toBe(sha(a.bytes));
  });
});

describe('oci registry: what is pulled is what the lock names', () => {
  it('publishing the same bytes again gives the same digest; other bytes under the same version are refused', async () => {
    const s = await server();
    const { reg, out } = await published(s);
    const again = await reg.publish('orders', '1.4.2', [{ name: 'orders-1.4.2.tgz', path: archive().path }]);
    expect(again.digest).toBe(out.digest);
    const other = archive(10_000, 'changed');
    const err = await reg
      .publish('orders', '1.4.2', [{ name: 'orders-1.4.2.tgz', path: other.path }])
      .catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.code).toBe('registry/immutable');
  });

  it('pulls by the digest alone (no artifact), and by tag only when the lock has no digest at all', async () => {
    const s = await server();
    const { a, reg, out } = await published(s);
    const byDigest = await fetchTo(reg, ref({ digest: out.digest }));
    expect(sha(readFileSync(byDigest.dest))).toBe(sha(a.bytes));
    const byTag = await fetchTo(reg, ref());
    expect(sha(readFileSync(byTag.dest))).toBe(sha(a.bytes));
  });

  it('a digest the registry does not have: not found, nothing written', async () => {
    const s = await server();
    const { reg } = await published(s);
    const err = await fetchFails(reg, ref({ artifact: `orders@sha256:${'0'.repeat(64)}` }));
    expect(err).toBeInstanceOf(OperationFailed);
    expect(err.code).toBe('registry/not-found');
    expect(err.message).toContain('MANIFEST_UNKNOWN');
  });

  it("another version's manifest under this version's pin is refused before its layer is fetched", async () => {
    const s = await server();
    const { reg } = await published(s);
    const a = archive(5000, 'v2');
    const v2 = await reg.publish('orders', '1.5.0', [{ name: 'orders-1.5.0.tgz', path: a.path }]);
    const err = await fetchFails(reg, ref({ artifact: v2.artifact }));
    expect(err.code).toBe('registry/manifest');
    expect(err.message).toContain('is version 1.5.0');
  });

  it('a manifest altered in the registry no longer hashes to the digest: refused', async () => {
    const s = await server();
    const { reg, out } = await published(s);
    const path = blobPath(s, out.digest);
    writeFileSync(path, readFileSync(path, 'utf8').replace('"schemaVersion":2', '"schemaVersion": 2'));
    const err = await fetchFails(reg, ref({ artifact: out.artifact }));
    expect(err.code).toBe('integrity/digest');
    expect(err.message).toContain('the manifest the registry sent hashes to');
  });

  it('a layer altered in the registry (same size) fails its sha256; a longer one fails its size', async () => {
    const s = await server();
    const { a, reg, out } = await published(s);
    const layer = JSON.parse(readFileSync(blobPath(s, out.digest), 'utf8')).layers[0].digest as string;
    const tampered = Buffer.from(a.bytes);
    tampered[100] = tampered[100]! ^ 0xff;
    writeFileSync(blobPath(s, layer), tampered);
    const err = await fetchFails(reg, ref({ artifact: out.artifact }));
    expect(err.code).toBe('integrity/digest');
    expect(err.message).toContain('the blob the registry sent hashes to');
    writeFileSync(blobPath(s, layer), Buffer.concat([a.bytes, Buffer.from('more')]));
    const longer = await fetchFails(reg, ref({ artifact: out.artifact }));
    expect(longer.code).toBe('integrity/size');
  });

  it('a layer larger than maxSize is refused when the lock records no artifact_size', async () => {
    const s = await server();
    const { a, out } = await published(s);
    const err = await fetchFails(
      driver(s.url(), { maxSize: a.bytes.length - 1 }),
      ref({ artifact: out.artifact }),
    );
    expect(err.code).toBe('registry/too-large');
  });

  it("a lock artifact_size other than the layer's is refused before the layer is fetched", async () => {
    const s = await server();
    const { a, reg, out } = await published(s);
    const err = await fetchFails(reg, ref({ artifact: out.artifact, size: a.bytes.length + 1 }));
    expect(err.code).toBe('integrity/size');
    expect(err.message).toContain("the manifest's layer has");
  });
});

describe('oci registry: redirects', () => {
  it('follows a blob redirect to storage on another host without the credentials', async () => {
    const s = await server();
    const { a, out } = await published(s);
    const layer = JSON.parse(readFileSync(blobPath(s, out.digest), 'utf8')).layers[0].digest as string;
    const seen: { at: string; authorization?: string }[] = [];
    const storage = createServer((req, res) => {
      seen.push({ at: 'storage', authorization: req.headers.authorization });
      res.writeHead(200, { 'content-length': a.bytes.length }).end(readFileSync(blobPath(s, layer)));
    });
    await new Promise<void>((r) => storage.listen(0, '127.0.0.1', r));
    const storageUrl = `http://127.0.0.1:${(storage.address() as AddressInfo).port}/bucket/blob`;
    // In front of the registry: blob downloads are sent to the storage, the rest passes through.
    const front = createServer((req, res) => {
      seen.push({ at: 'registry', authorization: req.headers.authorization });
      if (req.method === 'GET' && req.url?.includes('/blobs/')) {
        res.writeHead(307, { location: storageUrl }).end();
        return;
      }
      const up = request(
        { host: '127.0.0.1', port: s.port, path: req.url, method: req.method, headers: req.headers },
        (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
        },
      );
      req.pipe(up);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    try {
      const url = `oci://127.0.0.1:${(front.address() as AddressInfo).port}/modules`;
      const reg = driver(url, { tokenEnv: 'RL_TOKEN', env: { RL_TOKEN: 'pre-issued-secret' } });
      const { dest } = await fetchTo(reg, ref({ artifact: out.artifact }));
      expect(sha(readFileSync(dest))).toBe(sha(a.bytes));
      expect(
        seen.filter((x) => x.at === 'registry').every((x) => x.authorization === 'Bearer pre-issued-secret'),
      ).toBe(true);
      expect(seen.filter((x) => x.at === 'storage')).toEqual([{ at: 'storage', authorization: undefined }]);
    } finally {
      for (const x of [front, storage]) {
        x.closeAllConnections();
        await new Promise((r) => x.close(r));
      }
    }
  });
});

describe('oci registry: a restart mid-pull', () => {
  it('the download cut by the restart is retried from scratch and succeeds', async () => {
    const s = await server();
    const { a, out } = await published(s, {}, 4 * 1024 * 1024);
    const p = await holdingProxy(s.port);
    try {
      // The idle timeout is out of the way: only the cut connection may end the held download.
      const reg = driver(p.url, { retries: 3, idleTimeoutMs: 600_000 });
      const dir = testdir();
      const dest = join(dir, 'out.tgz');
      const held = p.arm();
      const done = reg.fetch(ref({ artifact: out.artifact, size: a.bytes.length }), dest);
      await held;
      // Mid-body: the registry goes away and comes back; the connection it was streaming on is gone.
      await s.stop();
      await s.start();
      p.cut();
      await done;
      expect(sha(readFileSync(dest))).toBe(sha(a.bytes));
      expect(readdirSync(dir)).toEqual(['out.tgz']);
    } finally {
      await p.close();
    }
  });

  it('without retries left it fails as transient and leaves no partial file in the cache', async () => {
    const s = await server();
    const { a, out } = await published(s, {}, 4 * 1024 * 1024);
    const p = await holdingProxy(s.port);
    try {
      const reg = driver(p.url, { retries: 0, idleTimeoutMs: 600_000 });
      const cacheDir = testdir();
      const cache = new ArtifactCache(cacheDir);
      const integrity = `sha512-${createHash('sha512').update(a.bytes).digest('base64')}`;
      const held = p.arm();
      const done = cache
        .get(ref({ artifact: out.artifact, size: a.bytes.length, integrity }), reg)
        .catch((e) => e);
      await held;
      await s.stop();
      p.cut();
      const err = await done;
      expect(err).toBeInstanceOf(TransientError);
      expect(err.code).toBe('registry/unavailable');
      const files = readdirSync(cacheDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
      expect(files).toEqual([]);
      // Back up, the next fetch converges.
      await s.start();
      const path = await cache.get(ref({ artifact: out.artifact, size: a.bytes.length, integrity }), reg);
      expect(sha(readFileSync(path))).toBe(sha(a.bytes));
    } finally {
      await p.close();
    }
  });
});
