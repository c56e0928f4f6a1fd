// Compatibility of a ring's modules with its platform and with each other — a pure function over plain data.
import semver from 'semver';
import { dependencyOrder } from '../model/graph.js';

export interface CompatModule {
  name: string;
  version: string;
  /** The module's platform constraint; undefined when it declares none. */
  platform?: string;
  /** undefined when the module's dependencies cannot be known (no metadata for that version). */
  dependencies?: Record<string, string>;
}

/**
 * Where the modules evaluated together are: a ring's lock (the plan, compat, promotion), what a target has installed
 * (install and upgrade), or a deployed tree (verify --dir). Only the words of a chain's last link change.
 */
export type CompatPlace = 'ring' | 'installed' | 'deployed';

const ABSENT: Record<CompatPlace, (dep: string) => string> = {
  ring: (dep) => `${dep} is not in the ring`,
  installed: (dep) => `${dep} is not installed`,
  deployed: (dep) => `${dep} is not deployed`,
};
const HAS: Record<CompatPlace, (dep: string, version: string) => string> = {
  ring: (dep, v) => `the ring has ${dep} ${v}`,
  installed: (dep, v) => `${dep} ${v} is installed`,
  deployed: (dep, v) => `${dep} ${v} is deployed`,
};

export type CompatStatus = 'ok' | 'incompatible' | 'blocked' | 'unknown';

export interface CompatResult {
  name: string;
  version: string;
  constraint?: string;
  platform: string;
  status: CompatStatus;
  /** Why, for anything but a plain ok. */
  reason?: string;
  /** For blocked modules: each link from this module down to the root cause. */
  chain?: string[];
  warnings: string[];
}

/**
 * Evaluates every module against `platform` and against the versions of its dependencies in the same set.
 * `preBlocked` (module → reason) marks modules blocked for reasons outside compatibility (a quarantined
 * artifact): each is blocked with that reason, and its dependents cascade as from any blocked module.
 */
export function evaluateCompat(
  modules: readonly CompatModule[],
  platform: string,
  preBlocked?: ReadonlyMap<string, string>,
  place: CompatPlace = 'ring',
): CompatResult[] {
  const satisfies = cachedSatisfies();
  const byName = new Map(modules.map((m) => [m.name, m]));
  const order = dependencyOrder(new Map(modules.map((m) => [m.name, Object.keys(m.dependencies ?? {})])));
  const results = new Map<string, CompatResult>();
  for (const name of order) {
    const m = byName.get(name)!;
    const r: CompatResult = {
      name,
      version: m.version,
      constraint: m.platform,
      platform,
      status: 'ok',
      warnings: [],
    };
    if (m.platform === undefined) r.warnings.push('declares no platform constraint');
    else if (!satisfies(platform, m.platform)) {
      r.status = 'incompatible';
      r.reason = `${name} ${m.version} is incompatible with platform ${platform} (needs ${m.platform})`;
    }
    const pre = preBlocked?.get(name);
    if (pre !== undefined && r.status === 'ok') {
      r.status = 'blocked';
      r.reason = pre;
      r.chain = [pre];
    }
    if (m.dependencies === undefined) {
      r.warnings.push(
        `dependencies of ${m.version} are unknown (no metadata in the lock and no source at that version)`,
      );
      if (r.status === 'ok') r.status = 'unknown';
    }
    for (const [dep, range] of Object.entries(m.dependencies ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const link = `${name} needs ${dep} ${range}`;
      const d = byName.get(dep);
      const dr = results.get(dep);
      let chain: string[] | undefined;
      if (!d) chain = [link, ABSENT[place](dep)];
      else if (!satisfies(d.version, range)) chain = [link, HAS[place](dep, d.version)];
      else if (dr && (dr.status === 'incompatible' || dr.status === 'blocked'))
        chain = [link, ...(dr.status === 'incompatible' ? [dr.reason!] : (dr.chain ?? [dr.reason!]))];
      if (chain && !r.chain) {
        r.chain = chain;
        if (r.status !== 'incompatible') {
          r.status = 'blocked';
          r.reason = `blocked: ${chain.join(' → ')}`;
        }
      }
    }
    results.set(name, r);
  }
  return modules.map((m) => results.get(m.name)!);
}

/**
 * The same answers as `satisfies` of model/semantics (a prerelease matched as its release; test/plan.test.ts
 * holds them equal), with each version, range and pair parsed or tested once per evaluation: a ring checks
 * the same few ranges and versions over and over, and semver parsing was most of a large ring's plan time.
 */
function cachedSatisfies(): (version: string, range: string) => boolean {
  const releases = new Map<string, semver.SemVer | null>();
  const ranges = new Map<string, semver.Range | null>();
  const results = new Map<string, boolean>();
  return (version, range) => {
    const key = `${version}\u0000${range}`;
    const known = results.get(key);
    if (known !== undefined) return known;
    let v = releases.get(version);
    if (v === undefined) {
      const p = semver.parse(version);
      v = p ? new semver.SemVer(`${p.major}.${p.minor}.${p.patch}`) : null;
      releases.set(version, v);
    }
    let r = ranges.get(range);
    if (r === undefined) {
      try {
        r = new semver.Range(range);
      } catch {
        r = null;
      }
      ranges.set(range, r);
    }
    const ok = v === null || r === null ? false : r.test(v);
    results.set(key, ok);
    return ok;
  };
}
