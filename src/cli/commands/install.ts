// ringlock install <module>@<version>: install a version a ring lock pins (refused when another version is installed).
import { InputError } from '../../errors.js';
import { runImperative, splitSpec } from '../imperative.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const [module, version] = splitSpec(ctx.positionals[0]!);
  if (!version)
    throw new InputError('cli/usage', `install ${module}: give the version as ${module}@<version>`, {
      expected: `${module}@1.0.0`,
    });
  return runImperative(ctx, 'install', module, version);
}
