// Registry drivers by URL scheme, and the two ways to pick one: ringlock.yaml's `registry` section, or a
// `--registry` URL/path.
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../errors.js';
import { FileRegistry } from './file.js';
import { HttpRegistry } from './http.js';
import { OciRegistry } from './oci.js';
import type { ArtifactRegistry } from './types.js';

export { FileRegistry } from './file.js';
export { HttpRegistry, type HttpRegistryOptions } from './http.js';
export { OciRegistry, type OciRegistryOptions } from './oci.js';
export * from './types.js';

export interface RegistrySpec {
  type?: 'file' | 'http' | 'oci';
  path?: string;
  url?: string;
  tokenEnv?: string;
  timeoutMs?: number;
  retries?: number;
  /** HTTP: largest artifact without an artifact_size in the lock, in bytes. */
  maxSize?: number;
  /** HTTP: longest one download may take, retries included. */
  deadlineMs?: number;
  /** OCI: plain HTTP (the operator's word only); unset: plain HTTP for a loopback host only. */
  insecure?: boolean;
  /** OCI: whether the operator allows the token at a URL other than the registry's (its token service). */
  credentialsAllowed?: (url: string) => boolean;
}

/** Builds a driver from a location (an absolute path for `file:`, the URL for the others) and the spec. */
type Factory = (location: string, spec: RegistrySpec) => ArtifactRegistry;

const httpFactory: Factory = (url, spec) =>
  new HttpRegistry({
    url,
    tokenEnv: spec.tokenEnv,
    timeoutMs: spec.timeoutMs,
    retries: spec.retries,
    maxSize: spec.maxSize,
    deadlineMs: spec.deadlineMs,
  });

const ociFactory: Factory = (url, spec) =>
  new OciRegistry({
    url,
    tokenEnv: spec.tokenEnv,
    insecure: spec.insecure,
    credentialsAllowed: spec.credentialsAllowed,
    timeoutMs: spec.timeoutMs,
    retries: spec.retries,
    maxSize: spec.maxSize,
    deadlineMs: spec.deadlineMs,
  });

export const registryDrivers: ReadonlyMap<string, Factory> = new Map<string, Factory>([
  ['file:', (path) => new FileRegistry(path)],
  ['http:', httpFactory],
  ['https:', httpFactory],
  ['oci:', ociFactory],
]);

const DEFAULT_FILE_REGISTRY = '.ringlock/registry';

/** The registry a config section describes; relative paths are taken from `root` (the repo root). */
export function createRegistry(spec: RegistrySpec, root: string): ArtifactRegistry {
  if ((spec.type ?? 'file') === 'file') {
    const path = spec.path ?? DEFAULT_FILE_REGISTRY;
    return registryDrivers.get('file:')!(isAbsolute(path) ? path : resolve(root, path), spec);
  }
  if (!spec.url) {
    throw new InputError('config/registry', `registry type "${spec.type}" needs a "url"`, {
      expected: spec.type === 'oci' ? 'registry.url: oci://host/prefix' : 'registry.url: https://…',
    });
  }
  return driverFor(spec.url)(spec.url, spec);
}

/**
 * The registry a `--registry` value names: `file:///abs`, `file:rel`, a plain path (relative to `cwd`),
 * an `http(s)://` URL or an `oci://host[:port]/prefix`.
 */
export function registryFromUrl(url: string, cwd = process.cwd(), spec: RegistrySpec = {}): ArtifactRegistry {
  const scheme = /^([a-z][a-z0-9+.-]+:)/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return registryDrivers.get('file:')!(resolve(cwd, url), spec);
  if (scheme === 'file:') {
    let path: string;
    try {
      path = url.startsWith('file://') ? fileURLToPath(url) : resolve(cwd, decodeURIComponent(url.slice(5)));
    } catch (e) {
      throw new InputError('registry/url', `${url.slice(0, 200)} is not a local file URL`, {
        expected: 'file:///absolute/path or file:relative/path',
        cause: e,
      });
    }
    return registryDrivers.get('file:')!(path, spec);
  }
  return driverFor(url)(url, spec);
}

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** `registry.maxSize`: a whole number and a binary unit, `512MiB`, `1GiB`, `65536B`. */
export function parseByteSize(text: string, what = 'registry.maxSize'): number {
  const m = /^([1-9][0-9]{0,12})(B|KiB|MiB|GiB)$/.exec(text.trim());
  if (!m) {
    throw new InputError('config/size', `${what}: ${JSON.stringify(text.slice(0, 100))} is not a size`, {
      expected: 'a whole number with a unit: B, KiB, MiB or GiB (e.g. 512MiB)',
    });
  }
  return Number(m[1]) * UNITS[m[2]!]!;
}

function driverFor(url: string): Factory {
  const scheme = /^([a-z][a-z0-9+.-]+:)/i.exec(url)?.[1]?.toLowerCase() ?? '';
  const factory = registryDrivers.get(scheme);
  if (!factory) {
    throw new InputError('registry/scheme', `no registry driver for "${scheme || '(no scheme)'}"`, {
      expected: [...registryDrivers.keys()].join(', '),
    });
  }
  return factory;
}
