// ringlock resume: lift a suspension; the ring's daemon applies again at its next tick.
import { ExitCode } from '../../errors.js';
import { json } from '../output.js';
import type { CommandContext } from '../spec.js';
import { target } from './suspend.js';

export async function run(ctx: CommandContext): Promise<number> {
  const { ring, rt } = target(ctx);
  const was = rt.store.resume();
  if (ctx.json) ctx.io.out(json({ ok: true, ring, wasSuspended: was }));
  else
    ctx.io.out(
      was
        ? `ring ${ring} resumed: its daemon applies again at its next tick\n`
        : `ring ${ring} was not suspended\n`,
    );
  return ExitCode.Ok;
}
