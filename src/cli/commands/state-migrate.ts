// ringlock state migrate --from file:<dir> --to postgres: a target's file state copied into the PostgreSQL store.
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { ExitCode, InputError } from '../../errors.js';
import { migrateFileState } from '../../state/migrate-files.js';
import { pgOptionsFromEnv } from '../../state/postgres/options.js';
import { stringOpt } from '../common.js';
import { json } from '../output.js';
import type { CommandContext } from '../spec.js';

function user(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export async function run(ctx: CommandContext): Promise<number> {
  const from = stringOpt(ctx, 'from');
  const to = stringOpt(ctx, 'to');
  if (from === undefined || !from.startsWith('file:') || from.length === 'file:'.length)
    throw new InputError('cli/from', `--from ${from ?? '(missing)'}: not a file state`, {
      expected: "--from file:<the target's state dir (.ringlock) or the target>",
    });
  if (to !== 'postgres')
    throw new InputError('cli/to', `--to ${to ?? '(missing)'}: not a store to migrate to`, {
      expected: '--to postgres',
    });
  const flag = stringOpt(ctx, 'ring');
  const ring = flag ?? (process.env.RING_NAME || undefined);
  // The URL and settings first: without them nothing is read, locked or written.
  const pg = pgOptionsFromEnv(process.env, ring);
  const r = await migrateFileState({
    dir: resolve(ctx.cwd, from.slice('file:'.length)),
    ring,
    pg,
    force: ctx.options.force === true,
    holder: `ringlock state migrate (${process.env.RINGLOCK_ACTOR ?? `cli:${user()}`}, pid ${process.pid})`,
    lockTimeoutMs: 0,
  });
  if (ctx.json) {
    ctx.io.out(json({ ok: true, ...r }));
    return ExitCode.Ok;
  }
  const io = ctx.io;
  io.out(
    `${r.alreadyMigrated ? 'already migrated' : 'migrated'}: ${r.stateDir} (given as the ${r.given === 'target' ? 'target' : 'state dir'}) → ring ${r.ring} in PostgreSQL\n`,
  );
  io.out(
    `  ${'history'.padEnd(16)}${r.records.file} records in the file, ${r.records.database} in the database (${r.records.new} new, ${r.records.already} already there)${r.records.skippedTornLine ? '; a torn last line skipped' : ''}\n`,
  );
  io.out(
    `  ${'state'.padEnd(16)}${r.state}: ${r.modules.file} modules in state.json, ${r.modules.database} in deployed_modules; quarantine ${r.quarantine.file}/${r.quarantine.database}\n`,
  );
  io.out(`  ${'module_versions'.padEnd(16)}${r.moduleVersions} rows for the ring\n`);
  if (r.suspension !== 'none')
    io.out(`  ${'suspension'.padEnd(16)}${r.suspension === 'copied' ? 'copied' : 'already there'}\n`);
  if (!r.alreadyMigrated)
    io.out(`next: run the ring with RINGLOCK_STATE_TYPE=postgres; the file state stays as it was\n`);
  return ExitCode.Ok;
}
