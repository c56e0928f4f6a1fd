// The artifact registry and download cache a command uses: ringlock.yaml, then RINGLOCK_REGISTRY, then --registry.
import { isAbsolute, join, resolve } from 'node:path';
import { ArtifactCache } from '../artifacts/cache.js';
import { createRegistry, parseByteSize, registryFromUrl } from '../artifacts/registry/index.js';
import type { ArtifactRegistry } from '../artifacts/registry/types.js';
import { parseDuration } from '../model/duration.js';
import { type ConfigBase, pick, type Runtime } from './runtime.js';
import type { CommandContext } from './spec.js';

export function resolveRegistry(
  ctx: CommandContext,
  ws: ConfigBase | undefined,
  rt: Runtime,
): { registry: ArtifactRegistry; cache: ArtifactCache } {
  const cfg = ws?.cfg.config;
  const base = ws?.root ?? ctx.cwd;
  const rel = (p: string, from: string) => (isAbsolute(p) ? p : resolve(from, p));
  const r = (cfg?.registry ?? {}) as {
    type?: 'file' | 'http';
    path?: string;
    url?: string;
    tokenEnv?: string;
    timeout?: string;
    retries?: number;
    maxSize?: string;
    deadline?: string;
    cacheDir?: string;
  };
  // Limits apply to whichever registry is used, the one given by flag included.
  const limits = {
    maxSize: r.maxSize ? parseByteSize(r.maxSize) : undefined,
    deadlineMs: r.deadline ? parseDuration(r.deadline) : undefined,
  };
  const registryFlag = pick(ctx, 'registry', 'RINGLOCK_REGISTRY');
  let registry: ArtifactRegistry;
  if (registryFlag !== undefined) {
    registry = registryFromUrl(registryFlag, ctx.cwd, limits);
  } else {
    registry = createRegistry(
      {
        type: r.type ?? 'file',
        path: r.path ?? '.ringlock/registry',
        url: r.url,
        tokenEnv: r.tokenEnv,
        timeoutMs: r.timeout ? parseDuration(r.timeout) : undefined,
        retries: r.retries,
        ...limits,
      },
      base,
    );
  }
  return {
    registry,
    cache: new ArtifactCache(r.cacheDir ? rel(r.cacheDir, base) : join(rt.store.dir, 'cache')),
  };
}
