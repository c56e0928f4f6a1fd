// Imperative operations (install, upgrade, rollback) as operators know them, expressed as one-action plans so they
// go through the same verified, journaled path as apply. What they install is always a version some ring lock pins
// (or one already verified in the store): an imperative command never installs bytes nobody vouched for.
import { InputError } from '../errors.js';
import { lockEntry } from '../model/lock.js';
import { compareVersions } from '../model/semantics.js';
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
