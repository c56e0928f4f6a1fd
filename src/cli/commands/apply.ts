// ringlock apply: make the target match a ring's lock — recover any interrupted operation, plan, confirm, apply.
import { createInterface } from 'node:readline/promises';
import { applyPlan, type EngineEvent, type ModuleResult, recover } from '../../apply/engine.js';
import { settleRecoveredModules } from '../../apply/settle.js';
import { ExitCode, InputError } from '../../errors.js';
import { planToJson } from '../../plan/format.js';
import { acquireWriterLock } from '../../state/writer-lock.js';
import { openWorkspace, ringFromOption, stringOpt } from '../common.js';
import { formatPlan } from '../format-plan.js';
import { type Io, json, paint, table } from '../output.js';
import { resolveRuntime } from '../runtime.js';
import { resolveRegistry } from '../runtime-registry.js';
import { onStop } from '../signals.js';
import type { CommandContext } from '../spec.js';
import { computePlan, intOpt, msOpt } from './plan.js';

export async function run(ctx: CommandContext): Promise<number> {
  const ws = openWorkspace(ctx);
  const ring = ringFromOption(ws, ctx);
  const rt = resolveRuntime(ctx, ws);
  const { registry, cache } = resolveRegistry(ctx, ws, rt);
  const dryRun = ctx.options['dry-run'] === true;
  const hookTimeoutMs = msOpt(ctx, 'hook-timeout', 600_000);
  const lockTimeoutMs = msOpt(ctx, 'lock-timeout', 30_000);
  const concurrency = intOpt(ctx, 'concurrency', 4, 1, 32);
  const lockDoc = ws.readLock(ring.name);
  if (!lockDoc)
    throw new InputError('lock/not-found', `ring "${ring.name}" has no lock`, {
      file: ws.display(ws.lockPath(ring.name)),
    });
  if (!dryRun && ctx.options.yes !== true && !(process.stdin.isTTY && ctx.io.tty)) {
    throw new InputError(
      'cli/confirm',
      'apply changes the target: pass --yes to apply without a prompt (or --dry-run to only plan)',
      {
        expected: '--yes',
      },
    );
  }
  const writer = dryRun
    ? undefined
    : await acquireWriterLock(rt.store.dir, `ringlock apply --ring ${ring.name}`, lockTimeoutMs);
  const stopHandlers = writer ? onStop(() => writer.release()) : undefined;
  try {
    const recovered = dryRun ? undefined : recover(rt, rt.actor);
    if (recovered && !ctx.json)
      ctx.io.err(`${paint(ctx.io, 'yellow', 'recovered')}: ${recovered.module} — ${recovered.error}\n`);
    const plan = await computePlan(ctx, ws, ring.name, lockDoc.lock, rt);
    // A failure the lock no longer asks about is cleared (as the daemon does): `list` shows the module active again.
    if (!dryRun) settleRecoveredModules(rt.store, plan);
    const changes = plan.actions.filter((a) => a.kind !== 'noop');
    if (!ctx.json) ctx.io.out(formatPlan(plan, ctx.io));
    if (dryRun || changes.every((a) => a.kind === 'blocked')) {
      if (ctx.json) ctx.io.out(json({ ok: true, dryRun, ...planToJson(plan), results: [] }));
      return changes.some((a) => a.kind === 'blocked') ? ExitCode.CheckFailed : ExitCode.Ok;
    }
    if (ctx.options.yes !== true && !(await confirm(ctx.io))) {
      ctx.io.out('nothing applied\n');
      return ExitCode.Ok;
    }
    const results = await applyPlan(
      plan,
      lockDoc.lock,
      { target: rt.target, store: rt.store, registry, cache, onEvent: progress(ctx) },
      {
        ring: ring.name,
        actor: rt.actor,
        platform: lockDoc.lock.platform,
        skipHooks: ctx.options['skip-hooks'] === true,
        hookTimeoutMs,
        health: rt.health,
        moduleEnv: rt.moduleEnv,
        keepVersions: rt.keepVersions,
        concurrency,
        adopt: ctx.options.adopt === true,
      },
    );
    const code = exitFor(results);
    if (ctx.json) ctx.io.out(json({ ok: code === ExitCode.Ok, ...planToJson(plan), results }));
    else printResults(ctx.io, results);
    return code;
  } finally {
    stopHandlers?.();
    writer?.release();
  }
}

export function exitFor(results: ModuleResult[]): number {
  if (results.some((r) => r.outcome === 'failed' || r.outcome === 'rolled_back'))
    return ExitCode.OperationFailed;
  if (results.some((r) => r.outcome === 'blocked')) return ExitCode.CheckFailed;
  return ExitCode.Ok;
}

export function printResults(io: Io, results: ModuleResult[]): void {
  const done = results.filter((r) => r.outcome !== 'noop');
  if (done.length === 0) return;
  const mark = (o: string) =>
    paint(io, o === 'succeeded' ? 'green' : o === 'blocked' || o === 'rolled_back' ? 'yellow' : 'red', o);
  io.out(
    `\n${table(
      ['MODULE', 'ACTION', 'FROM', 'TO', 'OUTCOME', 'DETAIL'],
      done.map((r) => [r.module, r.action, r.from ?? '-', r.to ?? '-', mark(r.outcome), r.error ?? '']),
      io,
    )}`,
  );
  const n = (o: string) => results.filter((r) => r.outcome === o).length;
  io.out(
    `${n('succeeded')} applied, ${n('failed')} failed, ${n('rolled_back')} rolled back, ${n('blocked')} blocked, ${n('noop')} unchanged\n`,
  );
}

/** One line per step on a terminal (stderr); nothing otherwise. */
export function progress(ctx: CommandContext): ((e: EngineEvent) => void) | undefined {
  if (ctx.json || !ctx.io.progress) return undefined;
  return (e) => {
    if (e.type === 'module-start')
      ctx.io.err(`${e.action} ${e.module}${e.to ? ` ${e.from ? `${e.from} → ` : ''}${e.to}` : ''}\n`);
    else if (e.type === 'step') ctx.io.err(`  ${e.step}…\n`);
    else if (e.type === 'module-done') ctx.io.err(`  ${e.outcome}${e.error ? `: ${e.error}` : ''}\n`);
  };
}

async function confirm(io: Io): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question('Apply these changes? [y/N] ');
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
    void io;
  }
}

export { stringOpt };
