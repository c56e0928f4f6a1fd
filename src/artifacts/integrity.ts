// Artifact integrity (Subresource Integrity strings). Fails closed: missing, weak, malformed or mismatched
// integrity is refused before a single byte of the artifact is used.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError, OperationFailed } from '../errors.js';

export type IntegrityAlgorithm = 'sha256' | 'sha384' | 'sha512';

export interface IntegrityHash {
  algorithm: IntegrityAlgorithm;
  /** The digest, base64 (standard alphabet, padded). */
  digest: string;
}

const STRENGTH: Record<IntegrityAlgorithm, number> = { sha256: 1, sha384: 2, sha512: 3 };
const DIGEST_BYTES: Record<IntegrityAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };

/**
 * Parses an SRI string (`sha512-<base64>`, several separated by spaces) or the `sha256:<hex>` form.
 * Throws InputError for anything else: other algorithms (`sha1-`, `md5-`), bad base64, wrong digest length.
 */
export function parseIntegrity(text: string | undefined, where = 'integrity'): IntegrityHash[] {
  if (text === undefined || text.trim() === '') {
    throw new InputError('integrity/missing', `${where}: no integrity given`, {
      expected: 'sha256-, sha384- or sha512- followed by base64',
    });
  }
  const hex = /^sha256:([0-9a-f]{64})$/.exec(text.trim());
  if (hex) return [{ algorithm: 'sha256', digest: Buffer.from(hex[1]!, 'hex').toString('base64') }];
  const out: IntegrityHash[] = [];
  for (const part of text.trim().split(/\s+/)) {
    const m = /^([a-z0-9]+)-([A-Za-z0-9+/]+={0,2})(\?.*)?$/.exec(part);
    const algorithm = m?.[1];
    if (!m || !algorithm) {
      throw new InputError(
        'integrity/malformed',
        `${where}: malformed integrity ${JSON.stringify(part.slice(0, 40))}`,
        {
          expected: 'sha256-, sha384- or sha512- followed by base64',
        },
      );
    }
    if (!(algorithm in STRENGTH)) {
      throw new InputError('integrity/weak', `${where}: ${algorithm} is not accepted`, {
        expected: 'sha256, sha384 or sha512',
      });
    }
    const alg = algorithm as IntegrityAlgorithm;
    if (Buffer.from(m[2]!, 'base64').length !== DIGEST_BYTES[alg]) {
      throw new InputError('integrity/malformed', `${where}: ${alg} digest has the wrong length`, {
        expected: `${DIGEST_BYTES[alg]} bytes of base64`,
      });
    }
    out.push({ algorithm: alg, digest: m[2]! });
  }
  return out;
}

/** The strongest hashes of a parsed integrity (SRI: all of the strongest algorithm must be tried). */
export function strongest(hashes: IntegrityHash[]): IntegrityHash[] {
  const best = Math.max(...hashes.map((h) => STRENGTH[h.algorithm]));
  return hashes.filter((h) => STRENGTH[h.algorithm] === best);
}

export function sriOf(data: Buffer, algorithm: IntegrityAlgorithm = 'sha512'): string {
  return `${algorithm}-${createHash(algorithm).update(data).digest('base64')}`;
}

/** SRI of a file, read in bounded chunks. */
export function sriOfFile(
  path: string,
  algorithm: IntegrityAlgorithm = 'sha512',
): { integrity: string; size: number } {
  const h = createHash(algorithm);
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(1, fstatSync(fd).size)));
  let size = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(n === buf.length ? buf : buf.subarray(0, n));
      size += n;
    }
  } finally {
    closeSync(fd);
  }
  return { integrity: `${algorithm}-${h.digest('base64')}`, size };
}

/**
 * Verifies a file against an integrity string (and an expected size, when known).
 * Throws OperationFailed (`integrity/mismatch`, `integrity/size`) on any difference.
 */
export function verifyFile(
  path: string,
  integrity: string | undefined,
  expectedSize?: number,
  what = path,
): void {
  const wanted = strongest(parseIntegrity(integrity, what));
  const alg = wanted[0]!.algorithm;
  const got = sriOfFile(path, alg);
  if (expectedSize !== undefined && got.size !== expectedSize) {
    throw new OperationFailed('integrity/size', `${what}: ${got.size} bytes, expected ${expectedSize}`, {
      expected: `${expectedSize} bytes`,
    });
  }
  const digest = got.integrity.slice(alg.length + 1);
  if (!wanted.some((w) => w.digest === digest)) {
    throw new OperationFailed(
      'integrity/mismatch',
      `${what}: integrity mismatch (got ${alg}-${digest.slice(0, 16)}…)`,
      {
        expected: integrity,
      },
    );
  }
}

/** A path-safe key for the content-addressed cache: `<algorithm>/<hex digest>` of the strongest hash. */
export function cacheKey(integrity: string): string {
  const h = strongest(parseIntegrity(integrity))[0]!;
  return `${h.algorithm}/${Buffer.from(h.digest, 'base64').toString('hex')}`;
}
