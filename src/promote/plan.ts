// Which pins a promotion carries from one ring's lock to the next, and what the rules say about it: the same rules the
// pull-request check runs (src/rules), so ringlock never opens a pull request its own check would reject for a reason
// it could foresee. Pure: locks, policies and pin ages in; a plan out.
import { InputError } from '../errors.js';
import { satisfies } from '../model/semantics.js';
import type { LockEntry, RingLock, RingPolicy } from '../model/types.js';
import {
  compatFindings,
  type Finding,
  orderFinding,
  type PinAppearance,
  prereleaseFinding,
  samePin,
  soakFinding,
} from '../rules/promotion.js';

export interface PromotionRequest {
  module: string;
  /** The version the user named (module@version); it must be what the source ring pins. */
  version?: string;
}

export interface PinChange {
  module: string;
  before?: LockEntry;
  after: LockEntry;
  /** When the pin appeared in the source ring (undefined: not known from history). */
  appeared?: PinAppearance;
  /** Pulled in by --with-deps for another module's sake. */
  forDependency?: string;
}

export interface PromotionPlan {
  from: RingPolicy;
  to: RingPolicy;
  changes: PinChange[];
  /** Modules asked for that the target already pins identically. */
  alreadyPromoted: string[];
  /** Rule findings that refuse the promotion. */
  errors: Finding[];
  /** Soak findings set aside by --force (the pull request says so). */
  overridden: Finding[];
  /** The target lock as it will be. */
  result: RingLock;
}

export interface PlanInput {
  from: RingPolicy;
  to: RingPolicy;
  sourceLock: RingLock;
  targetLock: RingLock;
  requests: PromotionRequest[];
  appearances: ReadonlyMap<string, PinAppearance>;
  now: number;
  force?: boolean;
  withDeps?: boolean;
}

/** The ring promoted into from `from` (the one whose promoteFrom it is). */
export function nextRing(rings: readonly RingPolicy[], from: RingPolicy): RingPolicy | undefined {
  return rings.find((r) => r.promoteFrom === from.name);
}

/** Every module whose pin in the source differs from the target's. */
export function differingModules(sourceLock: RingLock, targetLock: RingLock): string[] {
  return Object.keys(sourceLock.modules)
    .filter((m) => !samePin(sourceLock.modules[m], targetLock.modules[m]))
    .sort();
}

export function planPromotion(input: PlanInput): PromotionPlan {
  const { from, to, sourceLock, targetLock } = input;
  const changes = new Map<string, PinChange>();
  const alreadyPromoted: string[] = [];
  const change = (module: string, forDependency?: string): PinChange => {
    const after = sourceLock.modules[module]!;
    const c: PinChange = {
      module,
      ...(targetLock.modules[module] ? { before: targetLock.modules[module] } : {}),
      after,
      ...(input.appearances.get(module) ? { appeared: input.appearances.get(module) } : {}),
      ...(forDependency ? { forDependency } : {}),
    };
    changes.set(module, c);
    return c;
  };
  for (const req of input.requests) {
    const pin = sourceLock.modules[req.module];
    if (!pin) {
      throw new InputError('promote/not-in-source', `ring ${from.name} does not pin ${req.module}`, {
        expected: `one of the modules in ${from.name}'s lock: ${Object.keys(sourceLock.modules).slice(0, 20).join(', ')}`,
      });
    }
    if (req.version !== undefined && req.version !== pin.version) {
      throw new InputError(
        'promote/version',
        `ring ${from.name} pins ${req.module} ${pin.version}, not ${req.version}: only what ${from.name} runs can be promoted`,
        { expected: `${req.module}@${pin.version}, or ${req.version} in ${from.name} first` },
      );
    }
    if (samePin(targetLock.modules[req.module], pin)) alreadyPromoted.push(req.module);
    else change(req.module);
  }

  const result = (): RingLock => ({
    ...targetLock,
    modules: Object.fromEntries(
      Object.entries({
        ...targetLock.modules,
        ...Object.fromEntries([...changes.values()].map((c) => [c.module, c.after])),
      }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ),
  });

  // Dependency closure inside the target ring; --with-deps brings the source ring's pins of what is missing.
  let compat = compatFindings(to.name, result(), new Set(changes.keys()));
  while (input.withDeps) {
    const added: string[] = [];
    for (const f of compat) {
      for (const dep of missingDeps(f, result(), sourceLock)) {
        if (changes.has(dep) || samePin(targetLock.modules[dep], sourceLock.modules[dep])) continue;
        change(dep, f.module);
        added.push(dep);
      }
    }
    if (added.length === 0) break;
    compat = compatFindings(to.name, result(), new Set(changes.keys()));
  }

  const errors: Finding[] = [];
  const overridden: Finding[] = [];
  if (to.promoteFrom !== from.name) {
    errors.push({
      rule: 'RL005',
      severity: 'error',
      ring: to.name,
      message: `ring ${to.name} is promoted from ${to.promoteFrom ?? 'no ring (it is the first)'}, not from ${from.name}`,
      expected: to.promoteFrom ? `--from ${to.promoteFrom}` : `a ring that has promoteFrom: ${from.name}`,
    });
  }
  for (const c of changes.values()) {
    const order = orderFinding(to, c.module, c.after, to.promoteFrom === from.name ? sourceLock : undefined);
    if (order && to.promoteFrom === from.name) errors.push(order);
    const pre = prereleaseFinding(to, c.module, c.after);
    if (pre) errors.push(pre);
    const soak = soakFinding(to, c.module, c.after, c.appeared, input.now);
    if (soak) (input.force ? overridden : errors).push(soak);
  }
  for (const f of compat) {
    const deps = input.withDeps ? [] : missingDeps(f, result(), sourceLock);
    errors.push(
      deps.length > 0
        ? { ...f, expected: `${f.expected}: --with-deps brings ${deps.join(', ')} from ${from.name} along` }
        : f,
    );
  }
  return { from, to, changes: [...changes.values()], alreadyPromoted, errors, overridden, result: result() };
}

/** Dependencies of a blocked module that the ring lacks or has outside the range, and that the source ring pins. */
function missingDeps(f: Finding, lock: RingLock, sourceLock: RingLock): string[] {
  if (!f.module) return [];
  return Object.entries(lock.modules[f.module]?.dependencies ?? {})
    .filter(([dep, range]) => {
      const have = lock.modules[dep];
      return sourceLock.modules[dep] !== undefined && (!have || !satisfies(have.version, range));
    })
    .map(([dep]) => dep);
}
