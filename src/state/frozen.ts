// State entries are values shared between reads: a read gets its own top level (modules, quarantine, blocked) and
// frozen entries, so editing one in place instead of replacing it throws.
import type { DeployedState } from './types.js';

/** Freezes every module entry, quarantine record and blocked record of `state` (deeply). */
export function freezeEntries(state: DeployedState): void {
  for (const m of Object.values(state.modules)) deepFreeze(m);
  for (const q of state.quarantine) deepFreeze(q);
  for (const b of Object.values(state.blocked ?? {})) deepFreeze(b);
}

function deepFreeze(v: unknown): void {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const x of Object.values(v)) deepFreeze(x);
}

/** A copy the caller may change at the top level; the entries are shared. */
export function copyState(s: DeployedState): DeployedState {
  const copy = { ...s, modules: { ...s.modules }, quarantine: [...s.quarantine] };
  if (s.blocked) copy.blocked = { ...s.blocked };
  return copy;
}
