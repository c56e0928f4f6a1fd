// What the commands that apply (apply, install, upgrade, rollback) show of the engine's work: progress lines on a
// terminal, the results table, and the exit code the results mean.
import type { EngineEvent, ModuleResult } from '../apply/engine.js';
import { ExitCode } from '../errors.js';
import { type Io, paint, table } from './output.js';
import type { CommandContext } from './spec.js';

export function exitFor(results: ModuleResult[]): number {
  if (results.some((r) => r.outcome === 'failed' || r.outcome === 'rolled_back'))
    return ExitCode.OperationFailed;
  if (results.some((r) => r.outcome === 'blocked')) return ExitCode.CheckFailed;
  return ExitCode.Ok;
}

export function printResults(io: Io, results: ModuleResult[]): void {
  // A failed per-tenant hook does not fail its module: it is said here.
  for (const r of results)
    for (const h of r.hooks ?? [])
      if (h.outcome === 'failed')
        io.err(
          `${paint(io, 'yellow', 'warning')}: ${r.module}: ${h.hook}${h.tenant ? ` (tenant ${h.tenant})` : ''} failed: ${h.error}\n`,
        );
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
  for (const r of done)
    for (const w of r.warnings ?? []) io.out(`${paint(io, 'yellow', 'warning')}: ${r.module}: ${w}\n`);
  const n = (o: string) => results.filter((r) => r.outcome === o).length;
  io.out(
    `${n('succeeded')} applied, ${n('failed')} failed, ${n('rolled_back')} rolled back, ${n('blocked')} blocked, ${n('noop')} unchanged\n`,
  );
}

/** One line per step on a terminal (stderr); otherwise only the warnings (housekeeping that failed), to stderr. */
export function progress(ctx: CommandContext): (e: EngineEvent) => void {
  const warn = (e: EngineEvent) => {
    if (e.type === 'warning') ctx.io.err(`warning: ${e.message}\n`);
  };
  if (ctx.json || !ctx.io.progress) return warn;
  return (e) => {
    if (e.type === 'module-start')
      ctx.io.err(`${e.action} ${e.module}${e.to ? ` ${e.from ? `${e.from} → ` : ''}${e.to}` : ''}\n`);
    else if (e.type === 'step') ctx.io.err(`  ${e.step}…\n`);
    else if (e.type === 'module-done') ctx.io.err(`  ${e.outcome}${e.error ? `: ${e.error}` : ''}\n`);
    else warn(e);
  };
}
