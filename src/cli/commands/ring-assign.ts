// ringlock ring assign: move a tenant to a ring, by pull request (see src/promote/tenants.ts).
import { ExitCode, InputError } from '../../errors.js';
import { assignTenant } from '../../promote/tenants.js';
import { json } from '../output.js';
import type { CommandContext } from '../spec.js';
import { describeOutcome, openSession } from './publish-common.js';

export async function run(ctx: CommandContext): Promise<number> {
  const [tenant, ring] = ctx.positionals as [string, string];
  const reason = ctx.options.reason;
  if (typeof reason !== 'string' || reason.trim() === '')
    throw new InputError('cli/reason', 'say why with --reason', {
      expected: '--reason "GA contract signed"',
    });
  const session = await openSession(ctx);
  try {
    const r = await assignTenant(session, { tenant, ring, reason: reason.trim() });
    if (ctx.json) ctx.io.out(json({ ok: true, ...r }));
    else if (r.status === 'already-assigned')
      ctx.io.out(`tenant ${r.tenant} is already in ring ${r.ring}: nothing to do\n`);
    else ctx.io.out(`${r.title}\n${describeOutcome(ctx, r, r.body)}`);
    return ExitCode.Ok;
  } finally {
    session.close();
  }
}
