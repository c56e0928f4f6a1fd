// ringlock plan: what apply would do to the target for a ring's lock (no changes made).
import { manifestAt, refuseUnrunnable, unrunnableHooks } from '../../apply/hook-check.js';
import { ExitCode, InputError } from '../../errors.js';
import { markUnpublished, planToJson } from '../../plan/format.js';
import { observeAndPlan } from '../../reconcile/observe.js';
import { openWorkspace, ringFromOption, ringTenants } from '../common.js';
import { formatPlan } from '../format-plan.js';
import { planOptions } from '../options.js';
import { json } from '../output.js';
import { resolveRuntime } from '../runtime.js';
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
  const tenants = ringTenants(ws, ring.name);
  const observed = await observeAndPlan(rt, lockDoc.lock, { ...planOptions(ctx), tenants });
  const p = markUnpublished(observed.plan);
  // A hook no runner of the operator config can run refuses the plan as it would refuse apply: the version's manifest
  // from the module's source when that is the version planned, the active version's from the store.
  if (ctx.options['skip-hooks'] !== true) {
    let sources: ReturnType<typeof ws.modules> = new Map();
    try {
      sources = ws.modules();
    } catch {
      // Sources that do not read are `verify`'s to report; the plan checks what it can.
    }
    refuseUnrunnable(
      unrunnableHooks(
        p.actions,
        (a) => {
          const src = sources.get(a.module);
          return src && src.manifest.version === a.to ? src.manifest : undefined;
        },
        (a) => {
          const cur = observed.deployed.modules[a.module]?.active;
          const manifest = manifestAt(rt, cur?.storeDir);
          return cur && manifest ? { version: cur.version, manifest } : undefined;
        },
        { skipHooks: false, tenants, hookRunners: rt.hookRunners },
        {
          previousTenants: observed.deployed.tenants ?? tenants,
          tenantChange: p.tenants,
          disabled: (m) => observed.deployed.modules[m]?.status === 'disabled',
        },
      ),
    );
  }
  if (ctx.json) ctx.io.out(json({ ok: true, ...planToJson(p) }));
  else ctx.io.out(formatPlan(p, ctx.io, { verbose: ctx.options.verbose === true }));
  // Opt-in, so scripts that read a plan (exit 0) keep working; 1 is the README's "drift found".
  const differs =
    p.actions.some((a) => a.kind !== 'noop') ||
    (p.tenants !== undefined && p.tenants.assigned.length + p.tenants.left.length > 0);
  return ctx.options['exit-code'] === true && differs ? ExitCode.CheckFailed : ExitCode.Ok;
}
