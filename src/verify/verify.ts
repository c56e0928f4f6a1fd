// Comparing what a lock pins with what a tree holds — pure functions over plain data.

import { evaluateCompat } from '../compat/compat.js';
import { lockEntry, sortKeys } from '../model/lock.js';
import { compareVersions, isPrerelease, satisfies } from '../model/semantics.js';
import type { LockEntry, ModuleManifest, RingLock, RingPolicy } from '../model/types.js';

export type FindingStatus = 'ok' | 'failed' | 'older' | 'not-in-ring' | 'warning';

export interface Finding {
  module: string;
  status: FindingStatus;
  /** Stable id of what was found, e.g. `verify/content`. */
  rule: string;
  locked?: string;
  actual?: string;
  message: string;
}

/** What a tree holds for one module (source or deployed). */
export interface ObservedModule {
  name: string;
  /** Deployed trees: the folder it is deployed at, when that is not its name (`Orders`). */
  path?: string;
  manifest: ModuleManifest;
  /** The manifest's file name (module.json, module.manifest.json), for messages. */
  manifestFile?: string;
  /** Its dependencies on modules (the platform's own left out); default: the manifest's. */
  dependencies?: Record<string, string>;
  /** The platform's own manifest fields the lock carries with modules.lockManifest. */
  lockData?: Record<string, unknown>;
  digest: string;
  fileCount: number;
  sizeBytes: number;
}

export interface VerifyInput {
  ring: RingPolicy;
  lock: RingLock;
  observed: ReadonlyMap<string, ObservedModule>;
  /** Names present in the tree whose manifest could not be read, with the reason. */
  unreadable?: ReadonlyMap<string, string>;
}

const short = (h: string) => h.slice(0, 19);

function contentFinding(name: string, entry: LockEntry, o: ObservedModule): Finding | undefined {
  if (entry.sha256 === o.digest) return undefined;
  const counts =
    entry.file_count !== undefined && (entry.file_count !== o.fileCount || entry.size_bytes !== o.sizeBytes)
      ? ` (${entry.file_count} files, ${entry.size_bytes} bytes locked; ${o.fileCount} files, ${o.sizeBytes} bytes found)`
      : '';
  return {
    module: name,
    status: 'failed',
    rule: 'verify/content',
    locked: entry.version,
    actual: o.manifest.version,
    message: `content differs: lock ${short(entry.sha256)}…, tree ${short(o.digest)}…${counts}`,
  };
}

function metadataFinding(name: string, entry: LockEntry, o: ObservedModule): Finding | undefined {
  const diffs: string[] = [];
  const file = o.manifestFile ?? 'the manifest';
  if (
    entry.compatibility !== undefined &&
    entry.compatibility.platform !== o.manifest.compatibility?.platform
  ) {
    diffs.push(
      `platform constraint ${JSON.stringify(entry.compatibility.platform)} locked, ${JSON.stringify(o.manifest.compatibility?.platform ?? null)} in ${file}`,
    );
  }
  if (
    entry.dependencies !== undefined &&
    JSON.stringify(sortKeys(entry.dependencies)) !==
      JSON.stringify(sortKeys(o.dependencies ?? o.manifest.dependencies ?? {}))
  ) {
    diffs.push(`dependencies differ from ${file}`);
  }
  // The platform's data is compared as written (key order too) when either side has it.
  if (
    (entry.manifest !== undefined || o.lockData !== undefined) &&
    JSON.stringify(entry.manifest ?? {}) !== JSON.stringify(o.lockData ?? {})
  ) {
    diffs.push("the platform's manifest data (manifest) differs from the module's manifest");
  }
  if (diffs.length === 0) return undefined;
  return {
    module: name,
    status: 'failed',
    rule: 'verify/metadata',
    locked: entry.version,
    actual: o.manifest.version,
    message: diffs.join('; '),
  };
}

function platformFinding(name: string, lock: RingLock, o: ObservedModule): Finding | undefined {
  const c = o.manifest.compatibility?.platform;
  if (c === undefined || satisfies(lock.platform, c)) return undefined;
  return {
    module: name,
    status: 'failed',
    rule: 'verify/platform',
    locked: o.manifest.version,
    actual: o.manifest.version,
    message: `needs platform ${c}, the ring runs ${lock.platform}`,
  };
}

/** Source tree: exact in a ring that tracks the sources; elsewhere only pins at the source's version must match. */
export function verifySource(input: VerifyInput, sourcePlatform: string): Finding[] {
  const { ring, lock, observed } = input;
  const out: Finding[] = [];
  for (const name of Object.keys(lock.modules).sort()) {
    const entry = lockEntry(lock, name)!;
    const o = observed.get(name);
    if (!o) {
      out.push({
        module: name,
        status: ring.tracksSource ? 'failed' : 'warning',
        rule: 'verify/no-source',
        locked: entry.version,
        message: `the lock names "${name}" but there is no module source for it${entry.source ? ` (expected at ${entry.source})` : ''}`,
      });
      continue;
    }
    const v = o.manifest.version;
    const cmp = compareVersions(entry.version, v);
    if (!ring.allowPrerelease && isPrerelease(entry.version)) {
      out.push({
        module: name,
        status: 'failed',
        rule: 'verify/prerelease',
        locked: entry.version,
        actual: v,
        message: `prerelease ${entry.version} in ring "${ring.name}", which does not allow prereleases`,
      });
      continue;
    }
    if (cmp !== 0 && ring.tracksSource) {
      out.push({
        module: name,
        status: 'failed',
        rule: 'verify/version',
        locked: entry.version,
        actual: v,
        message: `lock pins ${entry.version}, the source is ${v}`,
      });
      continue;
    }
    if (cmp < 0) {
      out.push({
        module: name,
        status: 'older',
        rule: 'verify/older-release',
        locked: entry.version,
        actual: v,
        message: `pins older release ${entry.version} (source at ${v})`,
      });
      continue;
    }
    if (cmp > 0) {
      out.push({
        module: name,
        status: 'failed',
        rule: 'verify/ahead',
        locked: entry.version,
        actual: v,
        message: `lock pins ${entry.version}, newer than the source ${v}`,
      });
      continue;
    }
    const f = contentFinding(name, entry, o) ?? metadataFinding(name, entry, o);
    out.push(
      f ?? {
        module: name,
        status: 'ok',
        rule: 'verify/ok',
        locked: entry.version,
        actual: v,
        message: 'matches',
      },
    );
  }
  for (const name of [...observed.keys()].sort()) {
    if (lockEntry(lock, name)) continue;
    const v = observed.get(name)!.manifest.version;
    out.push(
      ring.tracksSource
        ? {
            module: name,
            status: 'failed',
            rule: 'verify/not-locked',
            actual: v,
            message: `source ${v} is not in the lock`,
          }
        : {
            module: name,
            status: 'not-in-ring',
            rule: 'verify/not-in-ring',
            actual: v,
            message: `not in ring "${ring.name}" (source at ${v})`,
          },
    );
  }
  if (ring.tracksSource && lock.platform !== sourcePlatform) {
    out.push({
      module: '(platform)',
      status: 'failed',
      rule: 'verify/platform-version',
      locked: lock.platform,
      actual: sourcePlatform,
      message: `lock is for platform ${lock.platform}, the sources target ${sourcePlatform}`,
    });
  }
  return out;
}

/** Deployed tree: every entry must be there and match exactly; anything else deployed is drift. */
export function verifyDeployed(input: VerifyInput): Finding[] {
  const { lock, observed, unreadable } = input;
  const out: Finding[] = [];
  for (const name of Object.keys(lock.modules).sort()) {
    const entry = lockEntry(lock, name)!;
    const o = observed.get(name);
    const why = unreadable?.get(name);
    if (why !== undefined) {
      out.push({
        module: name,
        status: 'failed',
        rule: 'verify/unreadable',
        locked: entry.version,
        message: why,
      });
      continue;
    }
    if (!o) {
      out.push({
        module: name,
        status: 'failed',
        rule: 'verify/missing',
        locked: entry.version,
        message: 'not deployed',
      });
      continue;
    }
    // The platform loads it by its folder (PSR-4 needs `Orders`): deployed under another case, it is not found.
    if ((o.path ?? name) !== (entry.path ?? name)) {
      out.push({
        module: name,
        status: 'failed',
        rule: 'verify/path',
        locked: entry.version,
        actual: o.manifest.version,
        message: `deployed at ${o.path ?? name}, the lock deploys it at ${entry.path ?? name}`,
      });
      continue;
    }
    if (o.manifest.version !== entry.version) {
      out.push({
        module: name,
        status: 'failed',
        rule: 'verify/version',
        locked: entry.version,
        actual: o.manifest.version,
        message: `deployed ${o.manifest.version}, the lock pins ${entry.version}`,
      });
      continue;
    }
    const f =
      contentFinding(name, entry, o) ?? platformFinding(name, lock, o) ?? metadataFinding(name, entry, o);
    out.push(
      f ?? {
        module: name,
        status: 'ok',
        rule: 'verify/ok',
        locked: entry.version,
        actual: o.manifest.version,
        message: 'matches',
      },
    );
  }
  const extra = new Set([...observed.keys(), ...(unreadable?.keys() ?? [])]);
  for (const name of [...extra].sort()) {
    if (lockEntry(lock, name)) continue;
    out.push({
      module: name,
      status: 'failed',
      rule: 'verify/unexpected',
      actual: observed.get(name)?.manifest.version,
      message: 'deployed but not in the lock',
    });
  }
  out.push(...dependencyFindings(observed));
  return out;
}

/**
 * Deployed modules whose dependencies the tree does not hold in range: the plan's evaluation over what is deployed
 * (platform constraints are platformFinding's), each with its chain down to the missing or out-of-range module.
 */
function dependencyFindings(observed: ReadonlyMap<string, ObservedModule>): Finding[] {
  const mods = [...observed.values()].map((o) => ({
    name: o.name,
    version: o.manifest.version,
    // The platform's own dependencies (modules.platformDependencies) are left out, as the plan leaves them out.
    dependencies: o.dependencies ?? o.manifest.dependencies ?? {},
  }));
  return evaluateCompat(mods, '0.0.0', undefined, 'deployed')
    .filter((r) => r.status === 'blocked')
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((r) => ({
      module: r.name,
      status: 'failed',
      rule: 'verify/dependency',
      actual: r.version,
      message: (r.chain ?? [r.reason!]).join(' → '),
    }));
}
