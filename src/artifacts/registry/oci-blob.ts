// Pulling one blob from an OCI registry: streamed to a temp file beside its destination, its size and sha256 checked
// on the way, renamed into place only whole; and the sha256 of a file to push.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, openSync, renameSync, rmSync } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OperationFailed, RinglockError } from '../../errors.js';
import { Retryable, truncated } from './http-retry.js';
import { expectStatus, type OciClient } from './oci-client.js';

export interface BlobDownload {
  client: OciClient;
  url: string;
  digest: string;
  size: number;
  scope: string;
  dest: string;
  what: string;
  signal: AbortSignal;
  /** Longest silence while the body streams. */
  idleMs: number;
  /** The registry, for messages. */
  location: string;
}

/** A blob into `dest`: its size and sha256 checked as it streams, kept only whole (a temp file beside it otherwise). */
export async function downloadBlob(b: BlobDownload): Promise<void> {
  const { client, digest, size, scope, dest, what, signal } = b;
  const tmp = `${dest}.${randomBytes(6).toString('hex')}.part`;
  let received = 0;
  let idle: NodeJS.Timeout | undefined;
  try {
    const res = await client.send({
      method: 'GET',
      url: b.url,
      scope,
      what,
      signal,
    });
    if (res.statusCode !== 200) await expectStatus(res, [200], `GET blob ${digest}`, what, b.location);
    const cl = res.headers['content-length'];
    if (cl !== undefined && Number(cl) !== size) {
      res.destroy();
      throw new OperationFailed('integrity/size', `${what}: the blob ${digest} has ${cl} bytes`, {
        expected: `${size} bytes (the manifest's layer size)`,
      });
    }
    const hash = createHash('sha256');
    const idleMs = b.idleMs;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => res.destroy(new Retryable(`no data for ${idleMs} ms`)), idleMs);
    };
    const count = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        arm();
        if (received > size) {
          cb(
            new OperationFailed('integrity/size', `${what}: the blob ${digest} has more than ${size} bytes`),
          );
        } else {
          hash.update(chunk);
          cb(null, chunk);
        }
      },
    });
    arm();
    const fd = openSync(tmp, 'wx', 0o644);
    await pipeline(res, count, createWriteStream('', { fd }));
    if (received !== size) throw truncated(received, size);
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== digest) {
      throw new OperationFailed('integrity/digest', `${what}: the blob the registry sent hashes to ${got}`, {
        expected: `${digest} (the manifest's layer digest)`,
      });
    }
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { force: true });
    const known = e instanceof RinglockError || e instanceof Retryable;
    if (!known && received < size) throw truncated(received, size, e);
    throw e;
  } finally {
    clearTimeout(idle);
  }
}

/** The `sha256:<hex>` of a file, streamed. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(`sha256:${h.digest('hex')}`));
  });
}
