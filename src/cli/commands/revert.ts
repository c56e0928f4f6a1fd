// ringlock revert: roll a module back to an earlier pin of a ring, by pull request (see src/promote/revert.ts).
import { CheckFailed, ExitCode, InputError } from '../../errors.js';
import { revert } from '../../promote/revert.js';
import { json, paint } from '../output.js';
import type { CommandContext } from '../spec.js';
import { parseRequest } from './promote.js';
import { describeOutcome, openSession } from './publish-common.js';

export async function run(ctx: CommandContext): Promise<number> {
  const o = ctx.options;
  const { module } = parseRequest(ctx.positionals[0]!);
  if (typeof o.ring !== 'string')
    throw new InputError('cli/ring', 'which ring? give --ring', { expected: '--ring stable' });
  if (typeof o.reason !== 'string' || o.reason.trim() === '')
    throw new InputError('cli/reason', 'say why with --reason', {
      expected: '--reason "checkout errors since 1.5.0"',
    });
  if (
    o.to !== undefined &&
    (typeof o.to !== 'string' || !/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(o.to))
  )
    throw new InputError('cli/to', `--to ${String(o.to)}: not a version`, { expected: '--to 1.4.2' });
  const session = await openSession(ctx);
  try {
    const r = await revert(session, {
      module,
      ring: o.ring,
      reason: o.reason.trim(),
      ...(typeof o.to === 'string' ? { to: o.to } : {}),
    });
    if (r.status === 'refused') {
      const err = new CheckFailed(
        'revert/refused',
        `rolling ${module} back in ${r.ring} would break the ring`,
        {
          details: r.errors.map((f) => ({
            severity: 'error',
            rule: f.rule,
            message: f.message,
            ...(f.expected ? { expected: f.expected } : {}),
          })),
        },
      );
      if (ctx.json) ctx.io.out(json({ ok: false, status: 'refused', ring: r.ring, errors: r.errors }));
      else
        for (const d of err.diagnostics())
          ctx.io.err(
            `${paint(ctx.io, 'red', 'refused')}: ${d.message}\n${d.expected ? `  expected: ${d.expected}\n` : ''}`,
          );
      return ExitCode.CheckFailed;
    }
    if (ctx.json) ctx.io.out(json({ ok: true, ...r }));
    else ctx.io.out(`${r.title}\n${describeOutcome(ctx, r, r.body)}`);
    return ExitCode.Ok;
  } finally {
    session.close();
  }
}
