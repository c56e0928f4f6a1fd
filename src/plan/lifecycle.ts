// The lifecycle parts of a plan (pure): a disable another module still needs is held back, and the ring's tenants are
// compared with those the state recorded.
import type { RingLock } from '../model/types.js';
import type { DeployedState } from '../state/types.js';
import type { PlanAction, TenantChange } from './types.js';

/**
 * The ring's tenants against those the state recorded. A state that recorded none yet (a target applied before tenants
 * were tracked) takes the set as it is, running no hooks for tenants that were there all along.
 */
export function tenantChange(
  deployed: DeployedState,
  tenants: readonly string[] | undefined,
): TenantChange | undefined {
  if (tenants === undefined) return undefined;
  const set = [...new Set(tenants)].sort();
  const before = deployed.tenants;
  // Never recorded: the set is only recorded (an empty one too, so that the next assignment is seen as one).
  if (before === undefined) return { assigned: [], left: [], set };
  const assigned = set.filter((t) => !before.includes(t));
  const left = before.filter((t) => !set.includes(t));
  if (assigned.length === 0 && left.length === 0) return undefined;
  // Nothing is on to run a hook: the set is only recorded.
  const on = Object.values(deployed.modules).some((m) => m.status !== 'disabled');
  return on ? { assigned, left, set } : { assigned: [], left: [], set };
}

/**
 * A module another module still needs (one that stays on) is not switched off: its disable becomes `blocked`, naming
 * who needs it, and it stays enabled.
 */
export function holdNeededDisables(
  actions: PlanAction[],
  wanted: RingLock['modules'],
  deployed: DeployedState,
): void {
  const on = new Map<string, Record<string, string>>();
  for (const a of actions) {
    if (a.kind === 'disable' || wanted[a.module]?.enabled === false) continue;
    const d = Object.hasOwn(deployed.modules, a.module) ? deployed.modules[a.module] : undefined;
    const deps =
      a.kind === 'noop' || a.kind === 'blocked' ? d?.active.dependencies : wanted[a.module]?.dependencies;
    if (a.kind !== 'blocked' || d) on.set(`${a.module} ${a.kind === 'blocked' ? a.from : a.to}`, deps ?? {});
  }
  for (const [i, a] of actions.entries()) {
    if (a.kind !== 'disable') continue;
    const by = [...on].filter(([, deps]) => Object.hasOwn(deps, a.module)).map(([label]) => label);
    if (by.length === 0) continue;
    const { notes, ...rest } = a;
    actions[i] = {
      ...rest,
      kind: 'blocked',
      reason: `disabled in the lock, but ${by.join(', ')} ${by.length === 1 ? 'stays' : 'stay'} enabled and ${by.length === 1 ? 'needs' : 'need'} it; keeps it enabled`,
      chain: [`${by[0]} stays enabled and needs ${a.module}`],
      ...(notes ? { notes } : {}),
    };
  }
}
