// ringlock rollback <module> [--to <version>]: switch back to an earlier version straight from the store.
import { stringOpt } from '../common.js';
import { runImperative } from '../imperative.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  return runImperative(ctx, 'rollback', ctx.positionals[0]!, stringOpt(ctx, 'to'));
}
