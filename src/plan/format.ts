// A plan as data: its counts, its one-line summary, and the object `--json` prints (the table is cli/format-plan.ts).
import type { ActionKind, Plan, PlanAction } from './types.js';

/** Counts per kind; `disable` and `enable` only appear when the plan has such actions. */
export type PlanSummary = Record<Exclude<ActionKind, 'disable' | 'enable'>, number> & {
  disable?: number;
  enable?: number;
};

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
  for (const a of plan.actions) s[a.kind] = (s[a.kind] ?? 0) + 1;
  return s;
}

const CHANGES = new Set<ActionKind>(['install', 'upgrade', 'rollback', 'reinstall']);

/**
 * Marks the changes apply cannot carry out because the lock pins no artifact for them (no `integrity`): the
 * version was never published, or its content changed after publishing without a version bump. Pure; the
 * commands that apply call it (the planner's own output stays about versions only).
 */
export function markUnpublished(plan: Plan): Plan {
  return {
    ...plan,
    actions: plan.actions.map((a) =>
      CHANGES.has(a.kind) && a.integrity === undefined && !a.unmanaged ? { ...a, needsPublish: true } : a,
    ),
  };
}

/** What a `needsPublish` action needs, in words (after "needs publish: "): publish the version, or bump it when it was published already. */
export function publishHint(a: PlanAction): string {
  return (
    `the lock pins no artifact for ${a.module} ${a.to} (run "ringlock publish ${a.module}"; ` +
    `if ${a.to} was published before its content changed, bump the version, then "ringlock lock" and publish)`
  );
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
  if (s.disable) parts.push(`${s.disable} to disable`);
  if (s.enable) parts.push(`${s.enable} to enable`);
  if (s.blocked) parts.push(`${s.blocked} blocked`);
  if (s.noop - kept) parts.push(`${s.noop - kept} unchanged`);
  if (kept) parts.push(`${kept} not in the lock (kept: prune is off)`);
  const unpublished = plan.actions.filter((a) => a.needsPublish).length;
  const t = plan.tenants;
  if (t && t.assigned.length > 0) parts.push(`tenants assigned: ${t.assigned.join(', ')} (onEnable)`);
  if (t && t.left.length > 0) parts.push(`tenants gone: ${t.left.join(', ')} (onDisable)`);
  if (parts.length === 0) return 'nothing to do: the lock names no modules and none are deployed';
  return (
    parts.join(', ') + (unpublished ? `; ${unpublished} need${unpublished === 1 ? 's' : ''} publish` : '')
  );
}

/** The plan as `--json` prints it: the actions in order, the counts, and any warnings. */
export function planToJson(plan: Plan): {
  ring: string;
  platform: string;
  summary: PlanSummary;
  actions: PlanAction[];
  warnings: string[];
  needsPublish?: string[];
  tenants?: Plan['tenants'];
} {
  const unpublished = plan.actions.filter((a) => a.needsPublish).map((a) => a.module);
  return {
    ring: plan.ring,
    platform: plan.platform,
    summary: summarize(plan),
    actions: plan.actions.map((a) => ({ ...a })),
    warnings: [...(plan.warnings ?? [])],
    ...(unpublished.length > 0 ? { needsPublish: unpublished } : {}),
    // A set that is only recorded (no tenant assigned or gone) is not shown.
    ...(plan.tenants && plan.tenants.assigned.length + plan.tenants.left.length > 0
      ? { tenants: plan.tenants }
      : {}),
  };
}
