// A plan as data: its counts, its one-line summary, and the object `--json` prints (the table is cli/format-plan.ts).
import type { ActionKind, Plan, PlanAction } from './types.js';

export type PlanSummary = Record<ActionKind, number>;

export function summarize(plan: Plan): PlanSummary {
  const s: PlanSummary = {
    install: 0,
    upgrade: 0,
    rollback: 0,
    reinstall: 0,
    remove: 0,
    blocked: 0,
    noop: 0,
  };
  for (const a of plan.actions) s[a.kind]++;
  return s;
}

/** "3 to install, 1 to upgrade, 1 blocked, 20 unchanged"; modules kept only because prune is off are counted apart. */
export function summaryLine(plan: Plan): string {
  const s = summarize(plan);
  const kept = plan.actions.filter((a) => a.kind === 'noop' && a.unmanaged).length;
  const parts: string[] = [];
  if (s.install) parts.push(`${s.install} to install`);
  if (s.upgrade) parts.push(`${s.upgrade} to upgrade`);
  if (s.rollback) parts.push(`${s.rollback} to roll back`);
  if (s.reinstall) parts.push(`${s.reinstall} to reinstall`);
  if (s.remove) parts.push(`${s.remove} to remove`);
  if (s.blocked) parts.push(`${s.blocked} blocked`);
  if (s.noop - kept) parts.push(`${s.noop - kept} unchanged`);
  if (kept) parts.push(`${kept} not in the lock (kept: prune is off)`);
  return parts.length > 0
    ? parts.join(', ')
    : 'nothing to do: the lock names no modules and none are deployed';
}

/** The plan as `--json` prints it: the actions in order, the counts, and any warnings. */
export function planToJson(plan: Plan): {
  ring: string;
  platform: string;
  summary: PlanSummary;
  actions: PlanAction[];
  warnings: string[];
} {
  return {
    ring: plan.ring,
    platform: plan.platform,
    summary: summarize(plan),
    actions: plan.actions.map((a) => ({ ...a })),
    warnings: [...(plan.warnings ?? [])],
  };
}
