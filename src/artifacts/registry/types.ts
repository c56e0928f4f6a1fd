// The seam between the engine and wherever artifacts live, plus the path rules every driver shares:
// a path taken from a lock file is untrusted input and is checked before it touches a file system or URL.
import { statSync } from 'node:fs';
import { InputError } from '../../errors.js';

export interface ArtifactRef {
  module: string;
  version: string;
  /** registry-relative path or absolute URL from the lock */
  artifact?: string;
  integrity: string;
  size?: number;
  /** The OCI manifest digest the lock records (`sha256:<hex>`): an OCI registry pulls by it, never by tag. */
  digest?: string;
}

export interface PublishFile {
  name: string;
  path: string;
}

/** What publish knows of the packed module, for registries that label what they store (OCI annotations). */
export interface PublishMeta {
  /** The content hash of the module's tree (`sha256:<hex>`). */
  sha256?: string;
  /** The archive's SRI integrity. */
  integrity?: string;
}

export interface ArtifactRegistry {
  /** For messages; never contains credentials. */
  readonly location: string;
  /** Copies/downloads the artifact bytes into `dest` (a file path that does not exist yet). No integrity check here. */
  fetch(ref: ArtifactRef, dest: string, signal?: AbortSignal): Promise<void>;
  /**
   * Stores the files of one module version; returns the registry-relative artifact path of the archive (first file),
   * and, from an OCI registry, the manifest digest the lock records beside the integrity.
   */
  publish(
    module: string,
    version: string,
    files: PublishFile[],
    meta?: PublishMeta,
  ): Promise<{ artifact: string; digest?: string }>;
}

const UNSAFE_CHARS = /[\x00-\x1f\x7f\\]/;

function refuse(what: string, value: string, why: string, expected: string): never {
  throw new InputError('registry/unsafe-path', `${what} ${JSON.stringify(value.slice(0, 200))}: ${why}`, {
    expected,
  });
}

/** A relative `a/b/c` path: no absolute, drive-letter, `.`/`..`/empty segment, backslash or control character. */
export function checkRelativePath(path: string, what = 'artifact path'): string {
  const expected = 'a relative path with / separators and no .. segment, or an http(s) URL';
  if (path === '') refuse(what, path, 'empty', expected);
  if (path.includes('\0')) refuse(what, path, 'NUL byte', expected);
  if (UNSAFE_CHARS.test(path)) refuse(what, path, 'backslash or control character', expected);
  if (path.startsWith('/')) refuse(what, path, 'absolute path', expected);
  if (/^[A-Za-z]:/.test(path)) refuse(what, path, 'drive-letter path or URL', expected);
  for (const seg of path.split('/')) {
    if (seg === '..') refuse(what, path, "'..' segment", expected);
    if (seg === '.' || seg === '') refuse(what, path, 'empty or "." segment', expected);
  }
  return path;
}

/** Module names may be scoped (`@acme/analytics`): at most two safe segments, the first `@`-prefixed. */
export function checkModuleName(module: string): string {
  checkRelativePath(module, 'module name');
  const segs = module.split('/');
  if (segs.length > 2 || (segs.length === 2 && !segs[0]!.startsWith('@'))) {
    refuse('module name', module, 'too many segments', 'a name like analytics or @acme/analytics');
  }
  return module;
}

/** A version is one path segment. */
export function checkVersion(version: string): string {
  checkRelativePath(version, 'version');
  if (version.includes('/')) refuse('version', version, 'contains /', 'a version like 1.2.3');
  return version;
}

/** A file name to publish: one segment, not hidden (temp files are hidden). */
export function checkFileName(name: string): string {
  checkRelativePath(name, 'file name');
  if (name.includes('/') || name.startsWith('.')) {
    refuse('file name', name, 'not a plain file name', 'a name like analytics-0.4.0.tgz');
  }
  return name;
}

/** Checks a publish request before anything is written; returns the archive's registry-relative path. */
export function checkPublish(module: string, version: string, files: readonly PublishFile[]): string {
  checkModuleName(module);
  checkVersion(version);
  const what = `${module}@${version}`;
  if (files.length === 0) throw new InputError('registry/publish', `${what}: nothing to publish`);
  for (const f of files) {
    checkFileName(f.name);
    let ok = false;
    try {
      ok = statSync(f.path).isFile();
    } catch {
      // reported below
    }
    if (!ok) throw new InputError('registry/publish', `${what}: ${f.path} is not a file`);
  }
  return `${module}/${version}/${files[0]!.name}`;
}

/** `@acme/analytics`, `0.4.0` → `@acme/analytics/0.4.0/analytics-0.4.0.tgz`. */
export function defaultArtifactPath(module: string, version: string): string {
  checkModuleName(module);
  checkVersion(version);
  return `${module}/${version}/${module.slice(module.lastIndexOf('/') + 1)}-${version}.tgz`;
}

export function isHttpUrl(text: string): boolean {
  return /^https?:\/\//i.test(text);
}

/**
 * The artifact to fetch for a ref: the lock's path (checked) or the default path. A URL is returned as a
 * parsed URL only when `allowUrl`; drivers that cannot fetch URLs refuse them here.
 */
export function resolveArtifact(ref: ArtifactRef, allowUrl: boolean): string | URL {
  const a = ref.artifact;
  if (a === undefined || a === '') return defaultArtifactPath(ref.module, ref.version);
  // A one-letter scheme is a drive letter, refused below as a path.
  if (/^[a-z][a-z0-9+.-]+:/i.test(a)) {
    if (!allowUrl || !isHttpUrl(a)) {
      refuse(
        `${ref.module}@${ref.version}: artifact`,
        a,
        allowUrl ? 'only http(s) URLs are accepted' : 'this registry takes registry-relative paths, not URLs',
        'a path relative to the registry, like analytics/1.0.0/analytics-1.0.0.tgz',
      );
    }
    try {
      return new URL(a);
    } catch (e) {
      throw new InputError('registry/unsafe-path', `${ref.module}@${ref.version}: malformed artifact URL`, {
        expected: 'an absolute http(s) URL',
        cause: e,
      });
    }
  }
  return checkRelativePath(a, `${ref.module}@${ref.version}: artifact path`);
}

/** A URL for messages: no userinfo, no query or fragment (either may carry a secret). */
export function displayUrl(url: URL | string): string {
  const u = new URL(url.toString());
  u.username = '';
  u.password = '';
  u.search = '';
  u.hash = '';
  return u.toString();
}
