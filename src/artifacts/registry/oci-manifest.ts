// The OCI image manifest of a module version (image spec 1.1's artifact guidance: an empty config, one layer,
// artifactType), and the checks a pulled manifest passes before its layer is fetched.
import { createHash } from 'node:crypto';
import { OperationFailed } from '../../errors.js';
import { ARTIFACT_TYPE, DIGEST, EMPTY_TYPE, LAYER_TYPE, MANIFEST_TYPE } from './oci-ref.js';
import type { PublishMeta } from './types.js';

const EMPTY = Buffer.from('{}');
export const EMPTY_CONFIG = {
  bytes: EMPTY,
  digest: `sha256:${createHash('sha256').update(EMPTY).digest('hex')}`,
};

export const ANNOTATIONS = {
  title: 'org.opencontainers.image.title',
  version: 'org.opencontainers.image.version',
  module: 'dev.ringlock.module.name',
  sha256: 'dev.ringlock.module.sha256',
  integrity: 'dev.ringlock.module.integrity',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** The manifest's bytes (what its digest is taken of): keys in a fixed order, no timestamps, so it is reproducible. */
export function buildManifest(input: {
  module: string;
  version: string;
  layer: { digest: string; size: number };
  title: string;
  meta: PublishMeta;
}): Buffer {
  const annotations: Record<string, string> = {
    [ANNOTATIONS.title]: input.module,
    [ANNOTATIONS.version]: input.version,
    [ANNOTATIONS.module]: input.module,
  };
  if (input.meta.sha256) annotations[ANNOTATIONS.sha256] = input.meta.sha256;
  if (input.meta.integrity) annotations[ANNOTATIONS.integrity] = input.meta.integrity;
  const m = {
    schemaVersion: 2,
    mediaType: MANIFEST_TYPE,
    artifactType: ARTIFACT_TYPE,
    config: {
      mediaType: EMPTY_TYPE,
      digest: EMPTY_CONFIG.digest,
      size: EMPTY.length,
      data: EMPTY.toString('base64'),
    },
    layers: [
      {
        mediaType: LAYER_TYPE,
        digest: input.layer.digest,
        size: input.layer.size,
        annotations: { [ANNOTATIONS.title]: input.title },
      },
    ],
    annotations,
  };
  return Buffer.from(JSON.stringify(m));
}

/**
 * The layer to fetch, after the checks: the bytes hash to the digest pulled by (when there is one), the manifest is a
 * ringlock module's (types, one layer of ringlock's media type, a well-formed digest and size), and it names the
 * module and version asked for.
 */
export function checkManifest(
  bytes: Buffer,
  want: { what: string; digest?: string; module: string; version: string },
): Descriptor {
  const { what } = want;
  const fail = (why: string, expected?: string): never => {
    throw new OperationFailed(
      'registry/manifest',
      `${what}: the registry's manifest ${why}`,
      expected ? { expected } : {},
    );
  };
  if (want.digest !== undefined) {
    const got = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (got !== want.digest) {
      throw new OperationFailed(
        'integrity/digest',
        `${what}: the manifest the registry sent hashes to ${got}`,
        {
          expected: `${want.digest} (the lock's digest)`,
        },
      );
    }
  }
  let m: {
    mediaType?: unknown;
    artifactType?: unknown;
    config?: { mediaType?: unknown };
    layers?: unknown;
    annotations?: Record<string, unknown>;
  };
  try {
    m = JSON.parse(bytes.toString('utf8'));
  } catch {
    return fail('is not JSON');
  }
  if (m === null || typeof m !== 'object') return fail('is not an object');
  if (m.mediaType !== MANIFEST_TYPE) fail(`has mediaType ${String(m.mediaType).slice(0, 80)}`, MANIFEST_TYPE);
  const artifactType = m.artifactType ?? m.config?.mediaType;
  if (artifactType !== ARTIFACT_TYPE) {
    fail(`is not a ringlock module (artifactType ${String(artifactType).slice(0, 80)})`, ARTIFACT_TYPE);
  }
  const layers = Array.isArray(m.layers) ? (m.layers as Partial<Descriptor>[]) : [];
  if (layers.length !== 1) fail(`has ${layers.length} layers`, 'one layer');
  const l = layers[0]!;
  if (l.mediaType !== LAYER_TYPE)
    fail(`'s layer has mediaType ${String(l.mediaType).slice(0, 80)}`, LAYER_TYPE);
  if (typeof l.digest !== 'string' || !DIGEST.test(l.digest)) fail("'s layer digest is not sha256:<64 hex>");
  if (typeof l.size !== 'number' || !Number.isSafeInteger(l.size) || l.size < 0)
    fail("'s layer size is not a size");
  const a = m.annotations ?? {};
  if (a[ANNOTATIONS.version] !== undefined && a[ANNOTATIONS.version] !== want.version) {
    fail(`is version ${String(a[ANNOTATIONS.version]).slice(0, 80)}`, want.version);
  }
  if (a[ANNOTATIONS.module] !== undefined && a[ANNOTATIONS.module] !== want.module) {
    fail(`is module ${String(a[ANNOTATIONS.module]).slice(0, 80)}`, want.module);
  }
  return { mediaType: l.mediaType as string, digest: l.digest as string, size: l.size as number };
}
