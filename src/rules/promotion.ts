// The rules a change to a ring's lock must pass, shared by `ringlock promote` (which refuses to open a pull request its
// own check would reject) and `ringlock check` (which guards the pull request). Pure functions over plain data.
import { type CompatModule, evaluateCompat } from '../compat/compat.js';
import { sortKeys } from '../model/lock.js';
import { isPrerelease } from '../model/semantics.js';
import { escapePointer } from '../model/source.js';
import type { LockEntry, RingLock, RingPolicy } from '../model/types.js';

/** Stable rule ids: annotations, the README's rules table and `--allow` overrides name them. */
export const RULE = {
  schema: 'RL001',
  versionBump: 'RL002',
  versionRegression: 'RL003',
  lockFreshness: 'RL004',
  promotionOrder: 'RL005',
  soak: 'RL006',
  prerelease: 'RL007',
  compatibility: 'RL008',
  ringDowngrade: 'RL009',
  changelog: 'RL010',
  tenants: 'RL011',
  sensitive: 'RL012',
} as const;
export type RuleId = (typeof RULE)[keyof typeof RULE];

export interface Finding {
  rule: RuleId;
  severity: 'error' | 'warning';
  ring: string;
  module?: string;
  message: string;
  /** What would pass, and how to get there. */
  expected?: string;
  /** For a dependency or compatibility problem: each link down to the root cause. */
  chain?: string[];
  /** Where in the ring's lock the finding belongs (a JSON pointer), for annotations on the right line. */
  pointer?: string;
}

/** When a pin first appeared, in the unbroken run that leads to the commit it was read at. */
export interface PinAppearance {
  commit: string;
  /** Committer time in ms since the epoch. */
  time: number;
  /** The walk stopped at this commit because it is older than asked for: the pin is at least this old. */
  atLeast?: boolean;
}

/** Two entries are the same pin when version, content hash and artifact integrity agree. */
export function samePin(a: LockEntry | undefined, b: LockEntry | undefined): boolean {
  if (!a || !b) return false;
  return a.version === b.version && a.sha256 === b.sha256 && a.integrity === b.integrity;
}

/**
 * Two entries declare the same dependencies and platform compatibility: what the compatibility rule reads, so a
 * ring's copy of a pin must not differ from its upstream's in them. (Not part of `samePin`: soak follows the pin.)
 */
export function sameMetadata(a: LockEntry, b: LockEntry): boolean {
  return metadataFields(a, b).length === 0;
}

function metadataFields(a: LockEntry, b: LockEntry): ('dependencies' | 'compatibility')[] {
  const same = (x: unknown, y: unknown) =>
    JSON.stringify(sortKeys(x ?? {})) === JSON.stringify(sortKeys(y ?? {}));
  return (['dependencies', 'compatibility'] as const).filter((k) => !same(a[k], b[k]));
}

export function pinLabel(e: LockEntry): string {
  return e.integrity ? `${e.version} (${e.integrity.slice(0, 19)}…)` : e.version;
}

const at = (module: string, field?: string) =>
  `/modules/${escapePointer(module)}${field === undefined ? '' : `/${field}`}`;

/** Promotion order: an entry added or changed in `ring` must be pinned identically in its promoteFrom ring. */
export function orderFinding(
  ring: RingPolicy,
  module: string,
  entry: LockEntry,
  upstream: RingLock | undefined,
): Finding | undefined {
  if (ring.promoteFrom === undefined) return undefined;
  const up = upstream?.modules[module];
  if (up && samePin(up, entry)) {
    const fields = metadataFields(up, entry);
    if (fields.length === 0) return undefined;
    return {
      rule: RULE.promotionOrder,
      severity: 'error',
      ring: ring.name,
      module,
      message: `${module} ${pinLabel(entry)} in ring ${ring.name} declares other ${fields.join(' and ')} than ring ${ring.promoteFrom}, which ${ring.name} is promoted from, pins it with`,
      expected: `the entry exactly as ${ring.promoteFrom} has it (${fields.join(' and ')} included): ringlock promote ${module}@${entry.version} --from ${ring.promoteFrom} --to ${ring.name}`,
      pointer: at(module, Object.hasOwn(entry, fields[0]!) ? fields[0] : undefined),
    };
  }
  const has = up ? `has ${pinLabel(up)}` : 'does not pin it';
  return {
    rule: RULE.promotionOrder,
    severity: 'error',
    ring: ring.name,
    module,
    message: `${module} ${pinLabel(entry)} is not in ring ${ring.promoteFrom}, which ${ring.name} is promoted from (${ring.promoteFrom} ${has})`,
    expected: `the same version and integrity in ${ring.promoteFrom} first: ringlock promote ${module}@${entry.version} --from ${ring.promoteFrom} --to ${ring.name}`,
    pointer: at(module, 'version'),
  };
}

/** Soak: the pin has been on the promoteFrom ring's lock for at least the ring's minSoak. */
export function soakFinding(
  ring: RingPolicy,
  module: string,
  entry: LockEntry,
  appeared: PinAppearance | undefined,
  now: number,
): Finding | undefined {
  if (ring.promoteFrom === undefined || ring.minSoakMs <= 0) return undefined;
  const soaked = appeared ? now - appeared.time : 0;
  if (appeared && soaked >= ring.minSoakMs) return undefined;
  const since = appeared
    ? `it has been there ${formatAge(soaked)} (since ${new Date(appeared.time).toISOString()}, commit ${appeared.commit.slice(0, 12)})`
    : 'it has not been there on the default branch yet';
  return {
    rule: RULE.soak,
    severity: 'error',
    ring: ring.name,
    module,
    message: `${module} ${entry.version} has not soaked in ${ring.promoteFrom} for ${ring.minSoak ?? formatAge(ring.minSoakMs)}: ${since}`,
    expected: appeared
      ? `wait until ${new Date(appeared.time + ring.minSoakMs).toISOString()}, or override (promote --force; label ringlock:hotfix on the pull request)`
      : `merge it into ${ring.promoteFrom} first and let it soak ${ring.minSoak ?? formatAge(ring.minSoakMs)}`,
    pointer: at(module, 'version'),
  };
}

/** Prerelease versions only in rings that allow them. */
export function prereleaseFinding(ring: RingPolicy, module: string, entry: LockEntry): Finding | undefined {
  if (ring.allowPrerelease || !isPrerelease(entry.version)) return undefined;
  return {
    rule: RULE.prerelease,
    severity: 'error',
    ring: ring.name,
    module,
    message: `${module} ${entry.version} is a prerelease and ring ${ring.name} does not allow prereleases`,
    expected: `a release version in ${ring.name}, or allowPrerelease: true on the ring in ringlock.yaml`,
    pointer: at(module, 'version'),
  };
}

/**
 * Dependency closure and platform compatibility inside a ring's lock. Only modules in `only` (the ones a change
 * touched, and whatever depends on them) are reported; all when `only` is undefined.
 */
export function compatFindings(ring: string, lock: RingLock, only?: ReadonlySet<string>): Finding[] {
  const modules: CompatModule[] = Object.entries(lock.modules).map(([name, e]) => ({
    name,
    version: e.version,
    platform: e.compatibility?.platform,
    dependencies: e.dependencies ?? {},
  }));
  const affected = only ? withDependents(lock, only) : undefined;
  const out: Finding[] = [];
  for (const r of evaluateCompat(modules, lock.platform)) {
    if (r.status !== 'incompatible' && r.status !== 'blocked') continue;
    if (affected && !affected.has(r.name)) continue;
    out.push({
      rule: RULE.compatibility,
      severity: 'error',
      ring,
      module: r.name,
      message:
        r.status === 'incompatible'
          ? `${r.reason}`
          : `${r.name} ${r.version} is blocked in ring ${ring}: ${(r.chain ?? []).join(' → ')}`,
      expected:
        r.status === 'incompatible'
          ? `a version of ${r.name} whose compatibility.platform accepts ${lock.platform}`
          : 'every dependency in the ring, within range and itself compatible',
      ...(r.chain ? { chain: r.chain } : {}),
      pointer: at(r.name, r.status === 'incompatible' ? 'compatibility' : 'dependencies'),
    });
  }
  return out;
}

/** `names` plus every module of the lock that depends on one of them, directly or not. */
export function withDependents(lock: RingLock, names: ReadonlySet<string>): Set<string> {
  const dependents = new Map<string, string[]>();
  for (const [name, e] of Object.entries(lock.modules))
    for (const dep of Object.keys(e.dependencies ?? {}))
      dependents.set(dep, [...(dependents.get(dep) ?? []), name]);
  const out = new Set(names);
  const queue = [...names];
  for (let n = queue.pop(); n !== undefined; n = queue.pop())
    for (const d of dependents.get(n) ?? []) {
      if (out.has(d)) continue;
      out.add(d);
      queue.push(d);
    }
  return out;
}

export function formatAge(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))}s`;
  const m = Math.floor(ms / 60_000);
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const min = m % 60;
  return [d ? `${d}d` : '', h ? `${h}h` : '', min && !d ? `${min}m` : ''].filter(Boolean).join('') || '0m';
}
