// The OCI driver tests' fixtures: a real registry per test (closed after it), a driver with no-op backoff, module
// archives, refs, and a proxy that holds a blob download mid-body.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { OciRegistry, type OciRegistryOptions } from '../../src/artifacts/registry/oci.js';
import type { ArtifactRef } from '../../src/artifacts/registry/types.js';
import { testdir } from '../helpers.js';
import { type OciRegistry as Server, startOciRegistry } from './oci-registry.js';

export type { Server };

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

export async function server(o: Parameters<typeof startOciRegistry>[0] = {}) {
  const s = await startOciRegistry(o);
  servers.push(s);
  return s;
}

export const AUTH = { user: 'robot', password: 's3cret-registry-password' };

export function driver(url: string, o: Partial<OciRegistryOptions> = {}) {
  return new OciRegistry({ url, retries: 2, sleep: async () => {}, env: {}, ...o });
}

/** A module archive (any bytes: the driver moves bytes; integrity is the engine's) of `size` bytes. */
export function archive(size = 10_000, seed = 'orders') {
  const dir = testdir();
  const path = join(dir, 'orders-1.4.2.tgz');
  const chunks: Buffer[] = [];
  for (let i = 0; chunks.length * 32 < size; i++)
    chunks.push(createHash('sha256').update(`${seed}${i}`).digest());
  writeFileSync(path, Buffer.concat(chunks).subarray(0, size));
  return { path, bytes: readFileSync(path) };
}

/** Compared by hash: a deep equality of megabytes is slow. */
export const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export const ref = (extra: Partial<ArtifactRef> = {}): ArtifactRef => ({
  module: 'orders',
  version: '1.4.2',
  integrity: 'sha256-unused',
  ...extra,
});

export async function fetchTo(reg: OciRegistry, r: ArtifactRef) {
  const dir = testdir();
  const dest = join(dir, 'out.tgz');
  await reg.fetch(r, dest);
  return { dir, dest };
}

export async function fetchFails(reg: OciRegistry, r: ArtifactRef) {
  const dir = testdir();
  const err = await reg.fetch(r, join(dir, 'out.tgz')).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(readdirSync(dir)).toEqual([]); // nothing left behind: no dest, no temp
  return err as Error & { code: string; expected?: string };
}

/** The registry's stored bytes of a blob (filesystem storage). */
export const blobPath = (s: Server, digest: string) => {
  const hex = digest.slice('sha256:'.length);
  return join(s.dir, 'data/docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
};

export async function published(s: Server, o: Partial<OciRegistryOptions> = {}, size?: number) {
  const a = archive(size);
  const reg = driver(s.url(), o);
  const out = await reg.publish('orders', '1.4.2', [{ name: 'orders-1.4.2.tgz', path: a.path }]);
  return { a, reg, out };
}

/**
 * A proxy in front of the registry. Armed, it forwards the first 64 KiB of the next blob download and then holds it:
 * `held` resolves; `cut()` then resets that client connection, as a registry going away mid-body does.
 */
export async function holdingProxy(port: number) {
  let armed = false;
  let onHeld: (() => void) | undefined;
  let heldSocket: Socket | undefined;
  const server: HttpServer = createServer((req, res) => {
    const up = request(
      { host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        if (armed && req.method === 'GET' && req.url?.includes('/blobs/sha256:')) {
          armed = false;
          let sent = 0;
          ur.on('data', (c: Buffer) => {
            if (sent >= 65536) return;
            res.write(c);
            sent += c.length;
            if (sent >= 65536) {
              ur.pause();
              heldSocket = req.socket;
              onHeld?.();
            }
          });
          ur.on('error', () => {});
        } else ur.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `oci://127.0.0.1:${(server.address() as AddressInfo).port}/modules`,
    arm(): Promise<void> {
      armed = true;
      return new Promise((r) => {
        onHeld = r;
      });
    },
    cut() {
      if (!heldSocket) throw new Error('nothing held');
      heldSocket.destroy();
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
