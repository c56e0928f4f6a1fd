// Computing a ring's new lock from the module sources: a pure function over plain data.
import { sortKeys } from '../model/lock.js';
import { lockSchemaRef } from '../model/schema-url.js';
import type { LockEntry, ModuleManifest, RingLock, RingPolicy } from '../model/types.js';

export interface SourceState {
  name: string;
  relDir: string;
  /** The folder's path under the modules dir when it is not the module name: where the module is deployed. */
  path?: string;
  manifest: ModuleManifest;
  digest: string;
  fileCount: number;
  sizeBytes: number;
  /** Its dependencies on modules; default: the manifest's (the platform's own are left out by the workspace). */
  dependencies?: Record<string, string>;
  /** The platform's own manifest fields, to carry as the entry's `manifest` (modules.lockManifest). */
  lockData?: Record<string, unknown>;
}

export interface LockChange {
  module: string;
  kind: 'add' | 'update' | 'remove';
  from?: string;
  to?: string;
  /** Fields whose value changed, for updates. */
  fields: string[];
}

export interface ComputeLockInput {
  ring: RingPolicy;
  platformVersion: string;
  sources: ReadonlyMap<string, SourceState>;
  previous?: RingLock;
  /** Only these modules (pinned to their source version); undefined means the whole ring. */
  only?: readonly string[];
  /** The `$schema` to write (the CLI picks one that resolves where the lock lives); default: the previous one. */
  schema?: string;
}

/** The lock entry for a module at its source state. Integrity, artifact and its size survive only while version and content are unchanged; `origin` always. */
export function entryFromSource(s: SourceState, previous?: LockEntry): LockEntry {
  const e: LockEntry = {
    version: s.manifest.version,
    sha256: s.digest,
    source: s.relDir,
    ...(s.path !== undefined ? { path: s.path } : {}),
    file_count: s.fileCount,
    size_bytes: s.sizeBytes,
  };
  if (s.manifest.compatibility?.platform !== undefined)
    e.compatibility = { platform: s.manifest.compatibility.platform };
  e.dependencies = { ...(s.dependencies ?? s.manifest.dependencies ?? {}) };
  if (s.lockData !== undefined) e.manifest = s.lockData;
  // Where the module came from (`ringlock import`) does not change with its version or content.
  if (previous?.origin !== undefined) e.origin = previous.origin;
  // Switched off in this ring: re-locking keeps it off, whatever version the source is at.
  if (previous?.enabled === false) e.enabled = false;
  if (previous && previous.version === e.version && previous.sha256 === e.sha256) {
    if (previous.integrity) e.integrity = previous.integrity;
    if (previous.artifact) e.artifact = previous.artifact;
    if (previous.digest) e.digest = previous.digest;
    // The artifact's size belongs with its integrity: dropping it would silently skip the size check.
    if (previous.artifact_size !== undefined) e.artifact_size = previous.artifact_size;
  }
  return e;
}

/**
 * The new lock and what changed. In a ring that does not track the sources, a pin is a release: when the source
 * still has that version but different content, the pin is left alone and reported in `unbumped` (the source
 * changed without a version bump) — only an explicit `only` re-pins it.
 */
export function computeLock(input: ComputeLockInput): {
  lock: RingLock;
  changes: LockChange[];
  unbumped: string[];
  /** Tracking-ring pins that lost their artifact: the version was published, then its content changed without a bump. */
  unpublished: string[];
} {
  const { ring, sources, previous, only } = input;
  const prevModules: Record<string, LockEntry> = Object.assign(Object.create(null), previous?.modules ?? {});
  const next: Record<string, LockEntry> = Object.create(null);
  const unbumped: string[] = [];
  const unpublished: string[] = [];
  /** A published pin re-pinned from a source that changed under the same version loses its artifact: say so. */
  const repin = (name: string, s: SourceState, prev?: LockEntry) => {
    next[name] = entryFromSource(s, prev);
    if (
      prev?.integrity !== undefined &&
      next[name].integrity === undefined &&
      prev.version === s.manifest.version
    )
      unpublished.push(name);
  };
  if (ring.tracksSource && only === undefined) {
    for (const [name, s] of sources) repin(name, s, prevModules[name]);
  } else {
    Object.assign(next, prevModules);
    for (const [name, s] of sources) {
      const prev = prevModules[name];
      if (only ? only.includes(name) : prev !== undefined && prev.version === s.manifest.version) {
        if (!only && prev && prev.sha256 !== s.digest) unbumped.push(name);
        else repin(name, s, prev);
      }
    }
  }
  const lock: RingLock = {
    $schema: input.schema ?? lockSchemaRef(previous?.$schema),
    lockfileVersion: 1,
    ring: ring.name,
    // The ring that tracks the sources runs the platform the sources target; other rings keep theirs.
    platform: ring.tracksSource || !previous ? input.platformVersion : previous.platform,
    modules: next,
  };
  return { lock, changes: diffLocks(previous, lock), unbumped, unpublished: unpublished.sort() };
}

export function diffLocks(before: RingLock | undefined, after: RingLock): LockChange[] {
  const out: LockChange[] = [];
  const a = before?.modules ?? {};
  const b = after.modules;
  const get = (m: Record<string, LockEntry>, k: string) => (Object.hasOwn(m, k) ? m[k] : undefined);
  for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = get(a, name);
    const y = get(b, name);
    if (!x && y) out.push({ module: name, kind: 'add', to: y.version, fields: [] });
    else if (x && !y) out.push({ module: name, kind: 'remove', from: x.version, fields: [] });
    else if (x && y) {
      const fields = [...new Set([...Object.keys(x), ...Object.keys(y)])]
        .filter((k) => same(x[k as keyof LockEntry], y[k as keyof LockEntry]) === false)
        .sort();
      if (fields.length > 0)
        out.push({ module: name, kind: 'update', from: x.version, to: y.version, fields });
    }
  }
  if (before && before.platform !== after.platform) {
    out.push({
      module: '(platform)',
      kind: 'update',
      from: before.platform,
      to: after.platform,
      fields: ['platform'],
    });
  }
  return out;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}
