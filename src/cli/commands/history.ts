// ringlock history [module]: the audit history of operations on the target.
import { ExitCode, InputError } from '../../errors.js';
import { openWorkspace } from '../../source/workspace-dir.js';
import { stringOpt } from '../common.js';
import { json, paint, table } from '../output.js';
import { maybeWorkspace, resolveRuntime } from '../runtime.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const ws = maybeWorkspace(ctx, (cwd) => openWorkspace(cwd));
  const rt = resolveRuntime(ctx, ws);
  const module = ctx.positionals[0];
  const limitText = stringOpt(ctx, 'limit');
  const limit = limitText === undefined ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1)
    throw new InputError('cli/limit', `--limit ${limitText}: not a positive integer`, {
      expected: 'e.g. --limit 20',
    });
  const all = rt.store.history().filter((h) => module === undefined || h.module === module);
  const records = all.slice(-limit);
  if (ctx.json) {
    ctx.io.out(
      json({ ok: true, target: rt.target.root, module: module ?? null, total: all.length, records }),
    );
    return ExitCode.Ok;
  }
  const io = ctx.io;
  if (records.length === 0) {
    io.out(module ? `no operations on ${module} recorded\n` : 'no operations recorded\n');
    return ExitCode.Ok;
  }
  const outcome = (o: string) =>
    paint(io, o === 'succeeded' ? 'green' : o === 'failed' ? 'red' : 'yellow', o);
  const rows = records.map((h) => [
    h.finishedAt,
    h.module,
    h.op,
    `${h.from ?? '-'} → ${h.to ?? '-'}`,
    outcome(h.outcome),
    h.actor,
    h.error ?? '',
  ]);
  io.out(table(['FINISHED', 'MODULE', 'OP', 'FROM → TO', 'OUTCOME', 'ACTOR', 'ERROR'], rows, io));
  if (all.length > records.length)
    io.out(`(${all.length - records.length} earlier records; --limit to see more)\n`);
  return ExitCode.Ok;
}
