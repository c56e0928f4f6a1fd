// The rules only a pull-request check applies (the promotion rules live in src/rules/promotion.ts and are shared with
// `ringlock promote`): version bump, regression, lock freshness, ring downgrade, changelog and tenants. Pure functions
// over plain data; pointers say where in which file each finding belongs.
import semver from 'semver';
import { entryFromSource, type SourceState } from '../lock/compute.js';
import { sortKeys } from '../model/lock.js';
import { escapePointer } from '../model/source.js';
import type { LockEntry, RingLock, RingPolicy } from '../model/types.js';
import { RULE, type RuleId, samePin } from '../rules/promotion.js';
import type { CheckFinding, RingChange } from './types.js';

export const RULE_NAMES: Record<RuleId, string> = {
  RL001: 'schema validity',
  RL002: 'version bump',
  RL003: 'no version regression',
  RL004: 'lock freshness',
  RL005: 'promotion order',
  RL006: 'soak',
  RL007: 'prerelease',
  RL008: 'compatibility and dependency closure',
  RL009: 'ring downgrade (rollback)',
  RL010: 'changelog (advisory)',
  RL011: 'tenants',
  RL012: 'sensitive configuration',
};

const entryAt = (module: string, field?: string) =>
  `/modules/${escapePointer(module)}${field === undefined ? '' : `/${field}`}`;

/** A module's source on one side of the change. */
export interface ModuleSide {
  version: string;
  /** Content hash of the source tree. */
  digest?: string;
}

/** RL002: the content changed but module.json's version did not. */
export function bumpFinding(
  name: string,
  manifestFile: string,
  base: ModuleSide,
  head: ModuleSide,
): CheckFinding | undefined {
  if (!base.digest || !head.digest || base.digest === head.digest || base.version !== head.version) return;
  return {
    rule: RULE.versionBump,
    severity: 'error',
    module: name,
    file: manifestFile,
    pointer: '/version',
    message: `${name}'s content changed (${base.digest.slice(0, 19)}… → ${head.digest.slice(0, 19)}…) but its version is still ${head.version}`,
    expected: `a new version in ${manifestFile} (e.g. ${semver.inc(head.version, 'patch') ?? 'a patch bump'}), then "ringlock lock"`,
  };
}

/** RL003: module.json's version went down. */
export function regressionFinding(
  name: string,
  manifestFile: string,
  base: ModuleSide,
  head: ModuleSide,
): CheckFinding | undefined {
  if (semver.compare(head.version, base.version) >= 0) return;
  return {
    rule: RULE.versionRegression,
    severity: 'error',
    module: name,
    file: manifestFile,
    pointer: '/version',
    message: `${name}'s version went down from ${base.version} to ${head.version}`,
    expected: `a version above ${base.version}: versions only go up (to ship older code, release it as a new version; to roll a ring back, change the ring's lock)`,
  };
}

/** RL010 (advisory): a minor or major bump whose changelog has no entry for the new version. */
export function changelogFinding(
  name: string,
  manifestFile: string,
  base: ModuleSide,
  head: ModuleSide,
  changelog: { file: string; text?: string },
): CheckFinding | undefined {
  const diff = semver.diff(base.version, head.version);
  if (semver.compare(head.version, base.version) <= 0) return;
  if (diff !== 'major' && diff !== 'minor' && diff !== 'premajor' && diff !== 'preminor') return;
  if (changelog.text !== undefined && hasChangelogEntry(changelog.text, head.version)) return;
  return {
    rule: RULE.changelog,
    severity: 'warning',
    module: name,
    file: manifestFile,
    pointer: '/version',
    message:
      changelog.text === undefined
        ? `${name} ${base.version} → ${head.version} is a ${diff} bump and ${changelog.file} does not exist`
        : `${name} ${base.version} → ${head.version} is a ${diff} bump and ${changelog.file} has no entry for ${head.version}`,
    expected: `a "## [${head.version}]" section in ${changelog.file} (Keep a Changelog) saying what changed`,
  };
}

/** A Markdown heading naming the version: `## [1.5.0] - 2026-01-02`, `## 1.5.0`, `# v1.5.0`. */
export function hasChangelogEntry(text: string, version: string): boolean {
  const v = version.replace(/[.+]/g, '\\$&');
  return new RegExp(`^#{1,4}\\s*\\[?v?${v}\\]?(?:\\s|$|[-–—(:])`, 'm').test(text);
}

/**
 * RL004 (monorepo mode) for the modules in `names`: a ring that tracks the sources pins exactly what `ringlock lock`
 * would write for them; any other ring's entry pinning the version a source holds carries that source's content
 * hash, a pin newer than the source is refused, and an older pin (a release) must carry an artifact integrity.
 * `sources` maps a module to its state at head, or null when the module has no source at head.
 */
export function freshnessFindings(
  ring: RingPolicy,
  lock: RingLock | undefined,
  platformVersion: string,
  sources: ReadonlyMap<string, SourceState | null>,
  names: Iterable<string>,
  /** Entries this change added or changed in the ring: only these must carry an integrity when they pin an older release. */
  changed: ReadonlySet<string>,
): CheckFinding[] {
  const out: CheckFinding[] = [];
  const fix = `run "ringlock lock${ring.tracksSource ? '' : ` --ring ${ring.name}`}" and commit the lock`;
  const at = (module: string, field?: string) => ({
    rule: RULE.lockFreshness,
    severity: 'error' as const,
    ring: ring.name,
    module,
    pointer: entryAt(module, field),
  });
  if (ring.tracksSource && lock && lock.platform !== platformVersion) {
    out.push({
      rule: RULE.lockFreshness,
      severity: 'error',
      ring: ring.name,
      pointer: '/platform',
      message: `ring ${ring.name} tracks the sources but its lock says platform ${lock.platform}, the sources target ${platformVersion}`,
      expected: fix,
    });
  }
  for (const name of [...new Set(names)].sort()) {
    const entry = lock && Object.hasOwn(lock.modules, name) ? lock.modules[name] : undefined;
    const src = sources.get(name);
    if (src === undefined) continue;
    if (ring.tracksSource) {
      if (src === null) {
        if (entry)
          out.push({
            ...at(name),
            message: `ring ${ring.name} tracks the sources and pins ${name} ${entry.version}, which has no source any more`,
            expected: fix,
          });
        continue;
      }
      if (!lock) continue;
      if (!entry) {
        out.push({
          ...at(name),
          pointer: '/modules',
          message: `ring ${ring.name} tracks the sources but does not pin ${name} ${src.manifest.version}`,
          expected: fix,
        });
        continue;
      }
      const fresh = entryFromSource(src, entry);
      const fields = differingFields(entry, fresh);
      if (fields.length === 0) continue;
      const field = fields.includes('version') ? 'version' : fields.includes('sha256') ? 'sha256' : fields[0];
      out.push({
        ...at(name, Object.hasOwn(entry, field!) ? field : undefined),
        message: `ring ${ring.name} is stale for ${name}: ${fields.map((f) => describe(f, entry, fresh)).join('; ')}`,
        expected: fix,
      });
      continue;
    }
    if (!entry || src === null) continue;
    const cmp = semver.compareBuild(entry.version, src.manifest.version);
    if (cmp === 0) {
      if (entry.sha256 !== src.digest) {
        out.push({
          ...at(name, 'sha256'),
          message: `ring ${ring.name} pins ${name} ${entry.version} with content ${short(entry.sha256)}, but the source at that version hashes to ${short(src.digest)}: the source changed without a version bump, or the pin is stale`,
          expected: `bump ${name}'s version for the new content; or re-pin: ringlock lock --ring ${ring.name} --module ${name}`,
        });
      }
    } else if (cmp > 0) {
      out.push({
        ...at(name, 'version'),
        message: `ring ${ring.name} pins ${name} ${entry.version}, newer than its source (${src.manifest.version})`,
        expected: `a version the source has held: promote it through the earlier rings first`,
      });
    } else if (!entry.integrity && changed.has(name)) {
      out.push({
        ...at(name, 'version'),
        message: `ring ${ring.name} pins ${name} ${entry.version}, an older release than its source (${src.manifest.version}), without an artifact integrity: that version can no longer be built from the sources`,
        expected: `the integrity of the published ${name} ${entry.version} artifact (ringlock publish ${name} --ring <the ring it came from>, then promote)`,
      });
    }
  }
  return out;
}

const short = (h: string) => (h.length > 19 ? `${h.slice(0, 19)}…` : h);

function differingFields(a: LockEntry, b: LockEntry): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter(
    (k) =>
      JSON.stringify(sortKeys(a[k as keyof LockEntry])) !== JSON.stringify(sortKeys(b[k as keyof LockEntry])),
  );
}

function describe(field: string, pinned: LockEntry, fresh: LockEntry): string {
  if (field === 'manifest') {
    // The platform's data can be large: name the fields that differ, not the whole of it.
    const a = pinned.manifest ?? {};
    const b = fresh.manifest ?? {};
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
      (k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]),
    );
    return `the platform's manifest data differs from the source's (${keys.length > 0 ? keys.join(', ') : 'key order'})`;
  }
  const show = (v: unknown) =>
    v === undefined ? '(none)' : typeof v === 'string' ? short(v) : JSON.stringify(v);
  return `${field} is ${show(pinned[field as keyof LockEntry])}, the source has ${show(fresh[field as keyof LockEntry])}`;
}

/**
 * RL009: an entry whose version goes down; allowed (as a warning that calls it out) only as a rollback that puts
 * back a pin the ring ran before (`ranBefore`: whether the ring's lock held exactly that entry on the base history).
 */
export function downgradeFinding(
  ring: string,
  module: string,
  base: LockEntry | undefined,
  head: LockEntry | undefined,
  rollback: string | undefined,
  ranBefore?: { ok: boolean; lockFile: string },
): CheckFinding | undefined {
  if (!base || !head || semver.compareBuild(head.version, base.version) >= 0) return;
  if (rollback && ranBefore && !ranBefore.ok)
    return {
      rule: RULE.ringDowngrade,
      severity: 'error',
      ring,
      module,
      pointer: entryAt(module, 'version'),
      message: `ring ${ring} takes ${module} back from ${base.version} to ${head.version}, which is not a pin this ring ran before: no commit of ${ranBefore.lockFile} on the base branch pins ${module} ${head.version} with this content hash and integrity (a rollback, ${rollback}, may only put back an earlier pin)`,
      expected: `the entry ${ring} held for ${module} ${head.version} before, exactly (ringlock revert ${module} --ring ${ring} --to ${head.version} --reason …, or git revert of the promotion)`,
    };
  return {
    rule: RULE.ringDowngrade,
    severity: rollback ? 'warning' : 'error',
    ring,
    module,
    pointer: entryAt(module, 'version'),
    ...(rollback ? { overriddenBy: 'rollback' as const } : {}),
    message: rollback
      ? `rollback: ring ${ring} takes ${module} back from ${base.version} to ${head.version} (allowed: ${rollback})`
      : `ring ${ring} takes ${module} back from ${base.version} to ${head.version}`,
    expected: rollback
      ? undefined
      : 'a version at or above the one the ring runs; a deliberate rollback needs the label ringlock:rollback on the pull request, or a revert commit ("This reverts commit …")',
  };
}

/** RL011: every ring a tenant is assigned to exists. */
export function tenantsFindings(
  file: string,
  tenants: Record<string, string>,
  rings: readonly string[],
): CheckFinding[] {
  const known = new Set(rings);
  return Object.entries(tenants)
    .filter(([, ring]) => !known.has(ring))
    .map(([tenant, ring]) => ({
      rule: RULE.tenants,
      severity: 'error' as const,
      file,
      pointer: `/tenants/${escapePointer(tenant)}`,
      message: `tenant ${tenant} is assigned to ring "${ring}", which ringlock.yaml does not define`,
      expected: `one of: ${rings.join(', ')}`,
    }));
}

/** Module names whose pin (version, content hash, integrity) was added or changed between two locks. */
export function changedPins(base: RingLock | undefined, head: RingLock | undefined): string[] {
  if (!head) return [];
  return Object.keys(head.modules)
    .filter(
      (m) => !samePin(base && Object.hasOwn(base.modules, m) ? base.modules[m] : undefined, head.modules[m]),
    )
    .sort();
}

/** Module names whose entry differs in any way, or was added or removed. */
export function changedEntries(base: RingLock | undefined, head: RingLock | undefined): string[] {
  const a = base?.modules ?? {};
  const b = head?.modules ?? {};
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  const get = (m: Record<string, LockEntry>, k: string) => (Object.hasOwn(m, k) ? m[k] : undefined);
  return [...names].filter((n) => !sameEntry(get(a, n), get(b, n))).sort();
}

/** Deep equality of two entries; locks are written with sorted keys, so the plain text usually decides. */
function sameEntry(x: LockEntry | undefined, y: LockEntry | undefined): boolean {
  const plain = JSON.stringify(x);
  if (plain === JSON.stringify(y)) return true;
  return JSON.stringify(sortKeys(x)) === JSON.stringify(sortKeys(y));
}

/** What the ring's daemon will do once the change is merged, per module, in name order. */
export function ringChanges(
  base: RingLock | undefined,
  head: RingLock | undefined,
  changed: readonly string[] = changedEntries(base, head),
): RingChange[] {
  const a = base?.modules ?? {};
  const b = head?.modules ?? {};
  const get = (m: Record<string, LockEntry>, k: string) => (Object.hasOwn(m, k) ? m[k] : undefined);
  const out: RingChange[] = [];
  for (const name of changed) {
    const x = get(a, name);
    const y = get(b, name);
    if (!x && y) out.push({ module: name, action: 'install', to: y.version });
    else if (x && !y) out.push({ module: name, action: 'remove', from: x.version });
    else if (x && y) {
      const cmp = semver.compareBuild(y.version, x.version);
      if (cmp > 0) out.push({ module: name, action: 'upgrade', from: x.version, to: y.version });
      else if (cmp < 0) out.push({ module: name, action: 'rollback', from: x.version, to: y.version });
      else if (x.sha256 !== y.sha256)
        out.push({ module: name, action: 'reinstall', from: x.version, to: y.version });
      else
        out.push({
          module: name,
          action: 'update',
          from: x.version,
          to: y.version,
          fields: differingFields(x, y),
        });
    }
  }
  return out;
}

/**
 * The policy a ring that exists at base is judged by when the change edits it: the stricter of base and head (the
 * longer soak, prereleases only if both allow them, head's promoteFrom or else base's), so a pull request cannot
 * relax the rules it is itself judged by. `fromBase` says, per relaxed setting, what was kept from base.
 */
export function stricterPolicy(
  base: RingPolicy,
  head: RingPolicy,
): { policy: RingPolicy; fromBase: string[] } {
  const policy: RingPolicy = { ...head };
  const fromBase: string[] = [];
  if (base.minSoakMs > head.minSoakMs) {
    policy.minSoakMs = base.minSoakMs;
    if (base.minSoak === undefined) delete policy.minSoak;
    else policy.minSoak = base.minSoak;
    fromBase.push(`minSoak ${base.minSoak ?? `${base.minSoakMs}ms`} (head: ${head.minSoak ?? 'none'})`);
  }
  if (head.allowPrerelease && !base.allowPrerelease) {
    policy.allowPrerelease = false;
    fromBase.push('no prereleases (head: allowPrerelease: true)');
  }
  if (head.promoteFrom === undefined && base.promoteFrom !== undefined) {
    policy.promoteFrom = base.promoteFrom;
    fromBase.push(`promoteFrom ${base.promoteFrom} (head: none)`);
  }
  return { policy, fromBase };
}
