// ringlock apply: make the target match a ring's lock — recover any interrupted operation, plan, confirm, apply.
import { ExitCode, InputError } from '../../errors.js';
import { markUnpublished, planToJson, publishHint } from '../../plan/format.js';
import type { PublishStatus } from '../../publish/types.js';
import { reconcile } from '../../reconcile/reconcile.js';
import { openWorkspace, ringFromOption, ringTenants } from '../common.js';
import { ask, requireConsent } from '../confirm.js';
import { formatPlan } from '../format-plan.js';
import { exitFor, printResults, progress } from '../format-results.js';
import { intOpt, msOpt, planOptions, reasonOpt } from '../options.js';
import { json, paint } from '../output.js';
import { activePublishing } from '../publish-active.js';
import { resolveRuntime } from '../runtime.js';
import { resolveRegistry } from '../runtime-registry.js';
import { onStop } from '../signals.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const ws = openWorkspace(ctx);
  const ring = ringFromOption(ws, ctx);
  const rt = resolveRuntime(ctx, ws);
  const { registry, cache } = resolveRegistry(ctx, ws, rt);
  const dryRun = ctx.options['dry-run'] === true;
  const hookTimeoutMs = msOpt(ctx, 'hook-timeout', 600_000);
  const lockTimeoutMs = msOpt(ctx, 'lock-timeout', 30_000);
  const concurrency = intOpt(ctx, 'concurrency', 4, 1, 32);
  const reason = reasonOpt(ctx);
  const lockDoc = ws.readLock(ring.name);
  if (!lockDoc)
    throw new InputError('lock/not-found', `ring "${ring.name}" has no lock`, {
      file: ws.display(ws.lockPath(ring.name)),
    });
  if (!dryRun) requireConsent(ctx, 'apply changes the target', '--dry-run to only plan');
  const publishing = dryRun ? undefined : activePublishing(ctx, rt, ring.name);
  let publish: PublishStatus[] | undefined;
  const report = await reconcile(
    { ...rt, registry, cache },
    { lock: lockDoc.lock },
    {
      ring: ring.name,
      holder: `ringlock apply --ring ${ring.name}`,
      lockTimeoutMs,
      dryRun,
      ...planOptions(ctx),
      tenants: ringTenants(ws, ring.name),
      skipHooks: ctx.options['skip-hooks'] === true,
      hookTimeoutMs,
      concurrency,
      reason,
    },
    {
      onLocked: (writer) => onStop(() => writer.release()),
      onRecovered: (recovered) => {
        if (!ctx.json)
          ctx.io.err(`${paint(ctx.io, 'yellow', 'recovered')}: ${recovered.module} — ${recovered.error}\n`);
      },
      onPlanned: (plan) => {
        if (!ctx.json) ctx.io.out(formatPlan(markUnpublished(plan), ctx.io));
      },
      confirm: ctx.options.yes === true ? undefined : () => ask(ctx.io, 'Apply these changes?'),
      onEvent: progress(ctx),
      // The target was reached (even if the pass failed or was declined): what is active now is published.
      onPassed: async () => {
        publish = await publishing?.publish({ ring: ring.name, tenants: ws.tenants() });
      },
    },
  ).finally(() => publishing?.close());
  const published = publish ? { publish } : {};
  const plan = markUnpublished(report.plan);
  // A module the lock pins without an artifact fails in the fetch with "no integrity given": say what to do.
  const hints = new Map(plan.actions.filter((a) => a.needsPublish).map((a) => [a.module, publishHint(a)]));
  const results = report.results.map((r) =>
    r.outcome === 'failed' && hints.has(r.module)
      ? { ...r, error: `${r.error ?? 'failed'}; needs publish: ${hints.get(r.module)}` }
      : r,
  );
  if (report.outcome === 'planned' || report.outcome === 'noop') {
    if (ctx.json) ctx.io.out(json({ ok: true, dryRun, ...planToJson(plan), results: [], ...published }));
    return plan.actions.some((a) => a.kind === 'blocked') ? ExitCode.CheckFailed : ExitCode.Ok;
  }
  if (report.outcome === 'declined') {
    ctx.io.out('nothing applied\n');
    return ExitCode.Ok;
  }
  const code = exitFor(results);
  if (ctx.json) ctx.io.out(json({ ok: code === ExitCode.Ok, ...planToJson(plan), results, ...published }));
  else printResults(ctx.io, results);
  return code;
}
