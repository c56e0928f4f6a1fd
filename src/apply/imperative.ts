// Imperative operations (install, upgrade, rollback) as operators know them, expressed as one-action plans so they
// go through the same verified, journaled path as apply. What they install is always a version some ring lock pins
// (or one already verified in the store): an imperative command never installs bytes nobody vouched for.
import { type CompatModule, evaluateCompat } from '../compat/compat.js';
import { InputError } from '../errors.js';
import { dependencyOrder } from '../model/graph.js';
import { lockEntry } from '../model/lock.js';
import { compareVersions, satisfies } from '../model/semantics.js';
import type { LockEntry, RingLock } from '../model/types.js';
import type { Plan, PlanAction } from '../plan/types.js';
import type { DeployedState, HistoryRecord, InstalledVersion } from '../state/types.js';

export interface PinSource {
  ring: string;
  lock: RingLock;
}

/** The lock entry pinning module@version, from the first of `locks` that has it. */
export function findPin(
  locks: readonly PinSource[],
  module: string,
  version: string,
): { ring: string; entry: LockEntry } | undefined {
  for (const l of locks) {
    const e = lockEntry(l.lock, module);
    if (e && e.version === version) return { ring: l.ring, entry: e };
  }
  return undefined;
}

/** The one-module lock and plan the engine runs for an imperative operation. */
export function singleModule(
  ring: string,
  platform: string,
  action: PlanAction,
  entry: LockEntry,
): { plan: Plan; lock: RingLock } {
  return {
    plan: { ring, platform, actions: [action] },
    lock: { lockfileVersion: 1, ring, platform, modules: { [action.module]: entry } },
  };
}

export type ImperativeOp = 'install' | 'upgrade' | 'rollback';

/** Checks an imperative request against what is deployed; returns the action, or throws a usage error saying what to do instead. */
export function imperativeAction(
  op: ImperativeOp,
  module: string,
  to: string,
  state: DeployedState,
  force: boolean,
): PlanAction {
  const current = state.modules[module]?.active.version;
  if (op === 'install' && current !== undefined && !force) {
    throw new InputError('cli/installed', `${module} is already installed at ${current}`, {
      expected:
        current === to
          ? 'nothing to do'
          : `"ringlock ${compareVersions(to, current) > 0 ? 'upgrade' : 'rollback'} ${module} --to ${to}"`,
    });
  }
  if (op !== 'install' && current === undefined) {
    throw new InputError('cli/not-installed', `${module} is not installed`, {
      expected: `"ringlock install ${module}@${to}"`,
    });
  }
  if (op === 'upgrade' && current !== undefined && compareVersions(to, current) <= 0 && !force) {
    throw new InputError('cli/not-newer', `${to} is not newer than the installed ${current}`, {
      expected: `"ringlock rollback ${module} --to ${to}", or --force`,
    });
  }
  if (op === 'rollback' && current !== undefined && compareVersions(to, current) >= 0 && !force) {
    throw new InputError('cli/not-older', `${to} is not older than the installed ${current}`, {
      expected: `"ringlock upgrade ${module} --to ${to}", or --force`,
    });
  }
  const kind =
    current === undefined
      ? 'install'
      : current === to
        ? 'reinstall'
        : compareVersions(to, current) > 0
          ? 'upgrade'
          : 'rollback';
  return { module, kind, from: current, to };
}

/** The version to roll back to from the store: the previous one, or `to` as recorded by an earlier successful operation. */
export function rollbackTarget(
  state: DeployedState,
  history: readonly HistoryRecord[],
  module: string,
  to?: string,
): InstalledVersion | undefined {
  const m = state.modules[module];
  if (!m) return undefined;
  if (to === undefined || m.previous?.version === to) return m.previous;
  for (let i = history.length - 1; i >= 0; i--) {
    const h = history[i]!;
    if (h.module === module && h.to === to && h.outcome === 'succeeded' && h.sha256 && h.source) {
      return { version: to, sha256: h.sha256, integrity: h.integrity, storeDir: h.source };
    }
  }
  return undefined;
}

/** A version some ring lock pins, for a module install or upgrade brings in. */
export interface Pinned {
  module: string;
  ring: string;
  entry: LockEntry;
}

export interface DependencyCheck {
  /** What `--with-deps` installs first, dependencies before dependents (empty without it). */
  installs: Pinned[];
  /** Missing dependencies a ring lock pins a matching version of: what `--with-deps` would install. */
  installable: Pinned[];
  /** Why the change is refused, each as its chain (`a needs b ^1.0.0 → b is not installed`); empty when it may go. */
  problems: string[];
  /** Installed modules the change would break, each with its chain. */
  breaks: string[];
  /** What could not be checked (dependencies unknown: the lock entry records none), as the plan notes it. */
  notes: string[];
}

/**
 * Checks the dependencies of `module` at `entry` against what is installed, exactly as the plan checks a ring: the
 * installed modules with `module` at its new version (and, with `withDeps`, its missing dependencies at versions a
 * ring lock pins) go through the same compatibility evaluation, worded for a target. Refused: the module (or a
 * dependency it brings) incompatible with the platform or blocked by a missing, out-of-range or itself blocked
 * dependency; an installed module that was fine and would no longer be (a dependent whose range the new version
 * leaves). `quarantined` says why a version may not be installed here, as the plan's quarantine does.
 */
export function checkDependencies(input: {
  module: string;
  entry: LockEntry;
  state: DeployedState;
  platform: string;
  locks: readonly PinSource[];
  withDeps: boolean;
  quarantined?: (module: string, entry: LockEntry) => string | undefined;
}): DependencyCheck {
  const { module, entry, state, platform, locks } = input;
  const installed = Object.values(state.modules);
  const compat = (name: string, e: InstalledVersion | LockEntry): CompatModule => ({
    name,
    version: e.version,
    platform: e.compatibility?.platform,
    dependencies: e.dependencies,
  });

  // The missing dependencies, transitively, at a version a ring lock pins (the target's ring first).
  const installable = new Map<string, Pinned>();
  const queue: Array<Record<string, string> | undefined> = [entry.dependencies];
  while (queue.length > 0) {
    const deps = queue.shift();
    for (const [dep, range] of Object.entries(deps ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (dep === module || Object.hasOwn(state.modules, dep) || installable.has(dep)) continue;
      const pin = pinMatching(locks, dep, range);
      if (!pin) continue;
      installable.set(dep, pin);
      queue.push(pin.entry.dependencies);
    }
  }
  const brought = input.withDeps ? installable : new Map<string, Pinned>();

  const preBlocked = new Map<string, string>();
  for (const p of brought.values()) {
    const why = input.quarantined?.(p.module, p.entry);
    if (why !== undefined) preBlocked.set(p.module, why);
  }
  const after = evaluateCompat(
    [
      ...installed.filter((d) => d.name !== module).map((d) => compat(d.name, d.active)),
      compat(module, entry),
      ...[...brought.values()].map((p) => compat(p.module, p.entry)),
    ],
    platform,
    preBlocked,
    'installed',
  );
  const before = new Map(
    evaluateCompat(
      installed.map((d) => compat(d.name, d.active)),
      platform,
      undefined,
      'installed',
    ).map((r) => [r.name, r]),
  );
  const problems: string[] = [];
  const breaks: string[] = [];
  const bad = (s: string) => s === 'incompatible' || s === 'blocked';
  const chainOf = (r: (typeof after)[number]) =>
    r.status === 'incompatible' ? r.reason! : (r.chain ?? [r.reason!]).join(' → ');
  // The requested module first: its chain usually covers what a dependency it brings says.
  for (const r of [...after].sort((a, b) => (a.name === module ? -1 : b.name === module ? 1 : 0))) {
    if (!bad(r.status)) continue;
    if (r.name === module || brought.has(r.name)) {
      const c = chainOf(r);
      if (!problems.some((p) => p.endsWith(c))) problems.push(c);
    } else if (!bad(before.get(r.name)?.status ?? 'ok')) breaks.push(`${r.name} ${r.version}: ${chainOf(r)}`);
  }

  const order = dependencyOrder(
    new Map([...brought.values()].map((p) => [p.module, Object.keys(p.entry.dependencies ?? {})])),
  );
  return {
    installs: order.map((n) => brought.get(n)!),
    installable: [...installable.values()],
    problems,
    breaks,
    notes:
      entry.dependencies === undefined
        ? [`dependencies of ${module} ${entry.version} unknown (the lock entry records none): not checked`]
        : [],
  };
}

/** The pin of `module` matching `range`: the first lock (the target's ring comes first) whose pin satisfies it. */
function pinMatching(locks: readonly PinSource[], module: string, range: string): Pinned | undefined {
  for (const l of locks) {
    const e = lockEntry(l.lock, module);
    if (e && satisfies(e.version, range)) return { module, ring: l.ring, entry: e };
  }
  return undefined;
}
