// The CLI's door to the composition root (src/runtime/): a command's working directory, flags and environment,
// handed over as a RuntimeInput. Flags win over environment variables, which win over ringlock.yaml.
import { pick as pickInput } from '../runtime/input.js';
import {
  maybeWorkspace as maybeWorkspaceOf,
  resolveRuntime as resolveRuntimeOf,
} from '../runtime/resolve.js';
import type { ConfigBase, Runtime, RuntimeInput } from '../runtime/types.js';
import type { CommandContext } from './spec.js';

export type { ConfigBase, Runtime, RuntimeInput };

const inputs = new WeakMap<CommandContext, RuntimeInput>();

/** The same input object for the same command, so what is read once per input (the operator policy) is read once per command. */
export function runtimeInput(ctx: CommandContext): RuntimeInput {
  let input = inputs.get(ctx);
  if (!input) {
    input = { cwd: ctx.cwd, options: ctx.options, env: process.env };
    inputs.set(ctx, input);
  }
  return input;
}

export function pick(ctx: CommandContext, flag: string, env: string): string | undefined {
  return pickInput(runtimeInput(ctx), flag, env);
}

/** The target and state a command acts on. `ws` may be undefined for commands that need no ringlock.yaml. */
export function resolveRuntime(ctx: CommandContext, ws: ConfigBase | undefined): Runtime {
  return resolveRuntimeOf(runtimeInput(ctx), ws);
}

/** The workspace when there is a ringlock.yaml; commands that act on a target can run without one when --target is given. */
export function maybeWorkspace<W>(ctx: CommandContext, open: (cwd: string) => W): W | undefined {
  return maybeWorkspaceOf(runtimeInput(ctx), open);
}
