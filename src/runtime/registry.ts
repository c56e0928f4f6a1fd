// The artifact registry and download cache a caller uses: ringlock.yaml, then the operator config's registry, then
// RINGLOCK_REGISTRY, then --registry. A registry the repository names gets a token only at a host the operator allowed.
import { join } from 'node:path';
import { ArtifactCache } from '../artifacts/cache.js';
import { createRegistry, parseByteSize, registryFromUrl } from '../artifacts/registry/index.js';
import { parseOciUrl } from '../artifacts/registry/oci-ref.js';
import type { ArtifactRegistry } from '../artifacts/registry/types.js';
import { parseDuration } from '../model/duration.js';
import { destinationAllowed, requireAllowed } from '../trust/policy.js';
import { pick, rel } from './input.js';
import type { ConfigBase, Runtime, RuntimeInput } from './types.js';

export function resolveRegistry(
  input: RuntimeInput,
  ws: ConfigBase | undefined,
  rt: Runtime,
): { registry: ArtifactRegistry; cache: ArtifactCache } {
  const cfg = ws?.cfg.config;
  const base = ws?.root ?? input.cwd;
  const r = (cfg?.registry ?? {}) as {
    type?: 'file' | 'http' | 'oci';
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
  const registryFlag = pick(input, 'registry', 'RINGLOCK_REGISTRY');
  const knobs = {
    timeoutMs: r.timeout ? parseDuration(r.timeout) : undefined,
    retries: r.retries,
    ...limits,
  };
  const operator = rt.policy.registry;
  // An OCI registry's token service may be on another host: the token goes there only when the operator bound it there.
  const credentialsAllowed = (tokenEnv: string | undefined) => (url: string) =>
    tokenEnv !== undefined && destinationAllowed(rt.policy, url, tokenEnv);
  let registry: ArtifactRegistry;
  if (registryFlag !== undefined) {
    // The operator named the registry; its token, if any, is the operator's too.
    const tokenEnv = input.env.RINGLOCK_REGISTRY_TOKEN ? 'RINGLOCK_REGISTRY_TOKEN' : undefined;
    registry = registryFromUrl(registryFlag, input.cwd, {
      ...knobs,
      tokenEnv,
      credentialsAllowed: credentialsAllowed(tokenEnv),
    });
  } else if (operator) {
    registry = registryFromUrl(operator.url, input.cwd, {
      ...knobs,
      tokenEnv: operator.tokenEnv,
      insecure: operator.insecure,
      credentialsAllowed: credentialsAllowed(operator.tokenEnv),
    });
  } else {
    if (ws && (r.type === 'http' || r.type === 'oci') && r.url && r.tokenEnv) {
      requireAllowed(
        rt.policy,
        { url: trustUrl(r.url), doc: ws.cfg.doc, pointer: '/registry/url' },
        `the registry token ($${r.tokenEnv})`,
        r.tokenEnv,
        'a registry the operator names: --registry / RINGLOCK_REGISTRY (token in RINGLOCK_REGISTRY_TOKEN) or registry in the operator config',
      );
    }
    registry = createRegistry(
      {
        type: r.type ?? 'file',
        path: r.path ?? '.ringlock/registry',
        url: r.url,
        tokenEnv: r.tokenEnv,
        credentialsAllowed: credentialsAllowed(r.tokenEnv),
        ...knobs,
      },
      base,
    );
  }
  return {
    registry,
    // Inside the state dir (the default) every directory of the cache is checked to be a real one.
    cache: r.cacheDir
      ? new ArtifactCache(rel(r.cacheDir, base))
      : new ArtifactCache(join(rt.stateDir, 'cache'), rt.stateDir),
  };
}

/** An oci:// URL as the endpoint its credentials go to (https, or http for a loopback host), for the trust checks. */
function trustUrl(url: string): string {
  if (!/^oci:\/\//i.test(url)) return url;
  try {
    const loc = parseOciUrl(url);
    return `${loc.protocol}//${loc.host}/`;
  } catch {
    return url;
  }
}
