// ringlock plan: what apply would do to the target for a ring's lock (no changes made).
import { detectConflicts, detectDrift } from '../../apply/drift.js';
import { ExitCode, InputError } from '../../errors.js';
import { parseDuration } from '../../model/duration.js';
import { isSemver } from '../../model/semantics.js';
import type { RingLock } from '../../model/types.js';
import type { Workspace } from '../../model/workspace.js';
import { planToJson } from '../../plan/format.js';
import { plan as computePlanPure } from '../../plan/plan.js';
import type { Plan } from '../../plan/types.js';
import { openWorkspace, ringFromOption, stringOpt } from '../common.js';
import { formatPlan } from '../format-plan.js';
import { json } from '../output.js';
import { type Runtime, resolveRuntime } from '../runtime.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const ws = openWorkspace(ctx);
  const ring = ringFromOption(ws, ctx);
  const rt = resolveRuntime(ctx, ws);
  const lockDoc = ws.readLock(ring.name);
  if (!lockDoc)
    throw new InputError('lock/not-found', `ring "${ring.name}" has no lock`, {
      file: ws.display(ws.lockPath(ring.name)),
    });
  const p = await computePlan(ctx, ws, ring.name, lockDoc.lock, rt);
  if (ctx.json) ctx.io.out(json({ ok: true, ...planToJson(p) }));
  else ctx.io.out(formatPlan(p, ctx.io, { verbose: ctx.options.verbose === true }));
  return ExitCode.Ok;
}

/** Observes the target (state + drift) and plans the lock onto it. */
export async function computePlan(
  ctx: CommandContext,
  _ws: Workspace,
  _ring: string,
  lock: RingLock,
  rt: Runtime,
): Promise<Plan> {
  const deployed = rt.store.read();
  const drift = await detectDrift(rt.target, deployed, ctx.options['no-drift-check'] === true);
  const platform = stringOpt(ctx, 'platform');
  if (platform !== undefined && !isSemver(platform)) {
    throw new InputError('cli/platform', `--platform ${platform}: not a semantic version`, {
      expected: 'a version like 2.0.0',
    });
  }
  const conflicts = detectConflicts(rt.target, deployed, Object.keys(lock.modules));
  return computePlanPure({
    lock,
    deployed,
    drift,
    conflicts,
    policy: { prune: ctx.options.prune === true || rt.prune, platform, adopt: ctx.options.adopt === true },
  });
}

export function msOpt(ctx: CommandContext, name: string, fallback: number): number {
  const v = stringOpt(ctx, name);
  if (v === undefined) return fallback;
  if (!/^(?:0|(?:[0-9]+(?:ms|s|m|h|d|w))+)$/.test(v)) {
    throw new InputError('cli/duration', `--${name} ${v}: not a duration`, {
      expected: 'e.g. 30s, 5m, 1h30m',
    });
  }
  return parseDuration(v);
}

export function intOpt(
  ctx: CommandContext,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = stringOpt(ctx, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InputError('cli/number', `--${name} ${v}: not a whole number from ${min} to ${max}`, {
      expected: `${min}–${max}`,
    });
  }
  return n;
}
