// Compatibility of a ring's modules with its platform and with each other — a pure function over plain data.
import { dependencyOrder } from '../model/graph.js';
import { satisfies } from '../model/semantics.js';

export interface CompatModule {
  name: string;
  version: string;
  /** The module's platform constraint; undefined when it declares none. */
  platform?: string;
  /** undefined when the module's dependencies cannot be known (no metadata for that version). */
  dependencies?: Record<string, string>;
}

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

/** Evaluates every module against `platform` and against the versions of its dependencies in the same set. */
export function evaluateCompat(modules: readonly CompatModule[], platform: string): CompatResult[] {
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
      if (!d) chain = [link, `${dep} is not in the ring`];
      else if (!satisfies(d.version, range)) chain = [link, `the ring has ${dep} ${d.version}`];
      else if (dr && (dr.status === 'incompatible' || dr.status === 'blocked'))
        chain = [link, ...(dr.chain ?? [dr.reason!])];
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
