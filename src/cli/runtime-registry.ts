// The artifact registry and download cache a command uses (src/runtime/registry.ts, given the command's input).
import type { ArtifactCache } from '../artifacts/cache.js';
import type { ArtifactRegistry } from '../artifacts/registry/types.js';
import { resolveRegistry as resolveRegistryOf } from '../runtime/registry.js';
import { type ConfigBase, type Runtime, runtimeInput } from './runtime.js';
import type { CommandContext } from './spec.js';

export function resolveRegistry(
  ctx: CommandContext,
  ws: ConfigBase | undefined,
  rt: Runtime,
): { registry: ArtifactRegistry; cache: ArtifactCache } {
  return resolveRegistryOf(runtimeInput(ctx), ws, rt);
}
