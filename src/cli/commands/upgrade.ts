// ringlock upgrade <module> --to <version>: move an installed module to a newer version a ring lock pins.
import { InputError } from '../../errors.js';
import { stringOpt } from '../common.js';
import { runImperative } from '../imperative.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const to = stringOpt(ctx, 'to');
  if (!to)
    throw new InputError('cli/usage', 'upgrade: --to <version> is required', { expected: '--to 1.0.1' });
  return runImperative(ctx, 'upgrade', ctx.positionals[0]!, to);
}
