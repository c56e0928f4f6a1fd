// ringlock state schema [--apply]: the PostgreSQL store's schema version, and its migrations applied by an operator.
import { ExitCode } from '../../errors.js';
import { schemaStatus } from '../../state/postgres/admin.js';
import { dbAddress, pgOptionsFromEnv } from '../../state/postgres/options.js';
import { json } from '../output.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const o = { ...pgOptionsFromEnv(process.env, undefined), applicationName: 'ringlock:schema' };
  const apply = ctx.options.apply === true;
  const s = await schemaStatus(o, apply);
  if (ctx.json) {
    ctx.io.out(json({ ok: true, database: dbAddress(o.url), ...s }));
    return ExitCode.Ok;
  }
  const io = ctx.io;
  if (s.applied !== undefined)
    io.out(
      s.applied.length > 0
        ? `schema ${s.schema}: applied migration${s.applied.length > 1 ? 's' : ''} ${s.applied.join(', ')}\n`
        : `schema ${s.schema}: nothing to apply\n`,
    );
  const where = `schema ${s.schema} at ${dbAddress(o.url)}`;
  if (s.version === 0) io.out(`${where}: no ringlock tables yet (latest version ${s.latest})\n`);
  else if (s.version > s.latest)
    io.out(
      `${where}: version ${s.version}, newer than this ringlock knows (${s.latest}): upgrade ringlock\n`,
    );
  else
    io.out(
      `${where}: version ${s.version} (latest ${s.latest})${s.pending.length === 0 ? ', up to date' : ''}\n`,
    );
  for (const m of s.pending) io.out(`  pending ${m.version}: ${m.name}\n`);
  if (s.pending.length > 0)
    io.out('apply them with "ringlock state schema --apply" (as a role that may CREATE)\n');
  return ExitCode.Ok;
}
