// ringlock history [module]: the audit history of operations on the target.
import { ExitCode, InputError } from '../../errors.js';
import { openWorkspace } from '../../source/workspace-dir.js';
import type { HistoryRecord } from '../../state/types.js';
import { stringOpt } from '../common.js';
import { json, paint, table } from '../output.js';
import { maybeWorkspace, resolveRuntime } from '../runtime.js';
import type { CommandContext } from '../spec.js';

/** Lines of a changelog section shown per record: the --json output has them all. */
const EXCERPT_LINES = 5;

/** What a record says beyond its row: the reason, the changelog excerpt, the hooks it ran. */
function details(h: HistoryRecord): string[] {
  const out: string[] = [];
  if (h.reason) out.push(`reason: ${h.reason}`);
  for (const s of h.changelog ?? []) {
    out.push(`${s.version}${s.date ? ` (${s.date})` : ''}:`);
    const body = s.body.split('\n').filter((l) => l.trim() !== '');
    for (const l of body.slice(0, EXCERPT_LINES)) out.push(`  ${l}`);
    if (body.length > EXCERPT_LINES) out.push(`  … ${body.length - EXCERPT_LINES} more line(s) (--json)`);
  }
  for (const k of h.hooks ?? []) {
    const how = k.timedOut ? 'timed out' : k.signal ? `signal ${k.signal}` : `exit ${k.exit ?? '-'}`;
    const last = k.output.trim().split('\n').pop() ?? '';
    out.push(`hook ${k.hook}: ${how}, ${k.durationMs} ms${last ? ` — ${last}` : ''}`);
  }
  return out;
}

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
  for (const h of records) {
    const lines = details(h);
    if (lines.length === 0) continue;
    io.out(`\n${paint(io, 'bold', `${h.module} ${h.from ?? '-'} → ${h.to ?? '-'}`)} (${h.finishedAt})\n`);
    for (const l of lines) io.out(`  ${l}\n`);
  }
  if (all.length > records.length)
    io.out(`(${all.length - records.length} earlier records; --limit to see more)\n`);
  return ExitCode.Ok;
}
