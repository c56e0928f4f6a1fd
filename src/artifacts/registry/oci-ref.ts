// OCI names: the `oci://host[:port]/prefix` registry URL, module → repository, and the lock's artifact reference
// (`<repository under the prefix>@sha256:<hex>`). Pure: every value here comes from a lock or a config and is checked.
import { InputError } from '../../errors.js';
import { checkModuleName, checkVersion } from './types.js';

export const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const EMPTY_TYPE = 'application/vnd.oci.empty.v1+json';
export const LAYER_TYPE = 'application/vnd.ringlock.module.layer.v1.tar+gzip';
export const ARTIFACT_TYPE = 'application/vnd.ringlock.module.v1';
export const DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface OciLocation {
  /** host[:port] as given, lower-cased. */
  host: string;
  hostname: string;
  /** `https:` unless plain HTTP was allowed (insecure, or a loopback host). */
  protocol: 'http:' | 'https:';
  /** Repository prefix, no leading or trailing slash; may be empty. */
  prefix: string;
}

// The distribution spec's repository path component, and the tag grammar.
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * `oci://host[:port]/prefix`. Plain HTTP with `insecure: true`; for a loopback host unless `insecure: false` (as
 * Docker treats 127.0.0.0/8); https otherwise.
 */
export function parseOciUrl(url: string, insecure?: boolean): OciLocation {
  const bad = (why: string): never => {
    throw new InputError('registry/url', `${url.slice(0, 200)}: ${why}`, {
      expected: 'oci://host[:port]/repository-prefix, e.g. oci://ghcr.io/acme/modules',
    });
  };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return bad('not a URL');
  }
  if (u.protocol !== 'oci:') bad('not an oci:// URL');
  if (!u.host) bad('no host');
  if (u.username || u.password) bad('credentials do not go in the URL (registry.tokenEnv)');
  if (u.search || u.hash) bad('no query or fragment');
  const prefix = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '');
  if (prefix !== '')
    for (const c of prefix.split('/')) if (!COMPONENT.test(c)) bad(`"${c}" is not a repository name part`);
  const plain = insecure === true || (insecure === undefined && isLoopback(u.hostname));
  return { host: u.host.toLowerCase(), hostname: u.hostname, protocol: plain ? 'http:' : 'https:', prefix };
}

/**
 * A module's repository under the prefix: `orders` → `orders`, `@acme/crm` → `acme/crm`; upper case is folded to lower
 * case (OCI names are lower case). A name that still is no valid repository component is refused.
 */
export function moduleRepository(module: string): string {
  checkModuleName(module);
  const rel = module.replace(/^@/, '').toLowerCase();
  for (const c of rel.split('/')) {
    if (!COMPONENT.test(c)) {
      throw new InputError('registry/oci-name', `module "${module}" has no OCI repository name ("${c}")`, {
        expected: 'lower-case letters and digits separated by ".", "_", "__" or "-"',
      });
    }
  }
  return rel;
}

/** The tag of a version: the version itself (`+` build metadata, not allowed in a tag, becomes `_`). */
export function versionTag(version: string): string {
  checkVersion(version);
  const tag = version.replace(/\+/g, '_');
  if (!TAG.test(tag)) {
    throw new InputError('registry/oci-tag', `version "${version}" is no OCI tag`, {
      expected: 'a semver version',
    });
  }
  return tag;
}

export interface OciTarget {
  /** Repository under the prefix (what the lock's artifact names). */
  rel: string;
  digest?: string;
}

/**
 * What to pull: the lock's artifact `<rel>@sha256:…` (or, without one, the module's repository and its tag), and the
 * digest: the lock's `digest` wins, and must agree with the artifact's when both are there.
 */
export function pullTarget(module: string, version: string, artifact?: string, digest?: string): OciTarget {
  const what = `${module}@${version}`;
  if (digest !== undefined && !DIGEST.test(digest)) {
    throw new InputError(
      'lock/digest',
      `${what}: digest ${JSON.stringify(digest.slice(0, 80))} is malformed`,
      {
        expected: 'sha256: and 64 lower-case hex digits',
      },
    );
  }
  if (artifact === undefined || artifact === '') return { rel: moduleRepository(module), digest };
  const m = /^([a-z0-9._/-]+)@(sha256:[0-9a-f]{64})$/.exec(artifact);
  if (!m || m[1]!.split('/').some((c) => !COMPONENT.test(c))) {
    throw new InputError(
      'registry/oci-artifact',
      `${what}: artifact "${artifact.slice(0, 200)}" is no OCI reference`,
      {
        expected: 'repository@sha256:<64 hex> (as ringlock publish writes it), relative to the registry URL',
      },
    );
  }
  if (digest !== undefined && digest !== m[2]) {
    throw new InputError(
      'lock/digest',
      `${what}: the lock's digest ${digest} is not the artifact's ${m[2]}`,
      {
        expected: 'digest equal to the digest after @ in artifact',
      },
    );
  }
  return { rel: m[1]!, digest: m[2]! };
}

/** The repository's full name at the registry. */
export function fullRepository(loc: OciLocation, rel: string): string {
  return loc.prefix === '' ? rel : `${loc.prefix}/${rel}`;
}
