// Resolves where a caller acts: target, state store and health settings, from ringlock.yaml, overridden by
// environment variables, overridden by flags (flags win).
import { userInfo } from 'node:os';
import { InputError } from '../errors.js';
import { parseDuration } from '../model/duration.js';
import { FileStateStore } from '../state/file-store.js';
import { pgOptionsFromEnv } from '../state/postgres/options.js';
import { PostgresStateStore } from '../state/postgres/store.js';
import { DEFAULT_RETAIN_MS } from '../state/retention.js';
import { FilesystemTarget } from '../targets/filesystem.js';
import type { TargetMode } from '../targets/types.js';
import { pick, rel } from './input.js';
import { operatorPolicy } from './operator.js';
import { pointerTarget, wantsPointer } from './pointer.js';
import { hookRunnersFor } from './runners.js';
import type { ConfigBase, Runtime, RuntimeInput } from './types.js';

/** The target and state a caller acts on. `ws` may be undefined for callers that need no ringlock.yaml. */
export function resolveRuntime(input: RuntimeInput, ws: ConfigBase | undefined): Runtime {
  const cfg = ws?.cfg.config;
  const base = ws?.root ?? input.cwd;
  const t = (cfg?.target ?? {}) as {
    type?: string;
    path?: string;
    mode?: TargetMode;
    keepVersions?: number;
    retainRemoved?: string;
    prune?: boolean;
  };
  const targetFlag = pick(input, 'target', 'RINGLOCK_TARGET');
  const targetDir =
    targetFlag !== undefined ? rel(targetFlag, input.cwd) : rel(t.path ?? '.ringlock/target', base);
  const policy = operatorPolicy(input);
  const pointer = wantsPointer(input, t.type);
  const target = pointer
    ? pointerTarget(input, ws, targetDir, policy)
    : new FilesystemTarget(targetDir, t.mode ?? 'symlink');
  const stateFlag = pick(input, 'state', 'RINGLOCK_STATE');
  const s = (cfg?.state ?? {}) as { type?: 'file' | 'postgres'; path?: string };
  const stateDir =
    stateFlag !== undefined ? rel(stateFlag, input.cwd) : s.path ? rel(s.path, base) : target.stateDir;
  const h = (cfg?.health ?? {}) as {
    baseUrl?: string;
    url?: string;
    command?: string | string[];
    timeout?: string;
    interval?: string;
  };
  // On a pointer target health goes through the platform at the operator's base URL only: ringlock.yaml (the
  // repository) cannot send the probe elsewhere.
  const healthUrl =
    pick(input, 'health-url', 'RINGLOCK_HEALTH_URL') ?? (pointer ? policy.pointer?.healthBaseUrl : h.baseUrl);
  if (healthUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(healthUrl)) {
    throw new InputError('cli/health-url', `--health-url ${healthUrl}: not an http(s) URL`, {
      expected: 'http://host:port/',
    });
  }
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (containers): keep "unknown".
  }
  const retention = pointer ? policy.pointer?.retention : undefined;
  return {
    target,
    store: stateStore(input, s.type, stateDir, cfg?.rings),
    stateDir,
    health: {
      baseUrl: healthUrl,
      url: h.url,
      command: h.command,
      timeoutMs: h.timeout ? parseDuration(h.timeout) : 60_000,
      intervalMs: h.interval ? parseDuration(h.interval) : 2_000,
    },
    keepVersions: retention?.keep ?? t.keepVersions ?? 5,
    retainRemovedMs:
      retention?.deactivated !== undefined
        ? parseDuration(retention.deactivated)
        : t.retainRemoved !== undefined
          ? parseDuration(t.retainRemoved)
          : DEFAULT_RETAIN_MS,
    prune: t.prune ?? false,
    actor: input.env.RINGLOCK_ACTOR ?? `cli:${user}`,
    policy,
    moduleEnv: policy.moduleEnv,
    // Built when first asked — at the start of apply, the imperative commands, plan and the daemon (a runner's secret
    // unset refuses them, exit 2) — so list, history or publish need no hook runner's secret.
    get hookRunners() {
      return hookRunnersFor(policy.hooks, input.env);
    },
  };
}

/**
 * The file store (default), or PostgreSQL when RINGLOCK_STATE_TYPE (the operator's) or ringlock.yaml's `state.type`
 * says so; its URL and settings come from the environment only (state/postgres/options.ts). Keyed by ring: --ring,
 * else RING_NAME, else the config's only ring.
 */
function stateStore(
  input: RuntimeInput,
  configured: 'file' | 'postgres' | undefined,
  stateDir: string,
  rings: readonly { name: string }[] | undefined,
) {
  const env = input.env.RINGLOCK_STATE_TYPE;
  if (env !== undefined && env !== '' && env !== 'file' && env !== 'postgres')
    throw new InputError('cli/env', `RINGLOCK_STATE_TYPE=${env.slice(0, 40)}: not a state store type`, {
      expected: 'file or postgres',
    });
  const type = env || configured || 'file';
  if (type === 'file') return new FileStateStore(stateDir);
  const flag = input.options.ring;
  const ring =
    (typeof flag === 'string' ? flag : undefined) ??
    (input.env.RING_NAME || undefined) ??
    (rings?.length === 1 ? rings[0]!.name : undefined);
  return new PostgresStateStore({ ...pgOptionsFromEnv(input.env, ring), fileStateDir: stateDir });
}

/** The workspace when there is a ringlock.yaml; a caller that acts on a target can run without one when --target is given. */
export function maybeWorkspace<W>(input: RuntimeInput, open: (cwd: string) => W): W | undefined {
  try {
    return open(input.cwd);
  } catch (e) {
    if (
      e instanceof InputError &&
      e.code === 'config/not-found' &&
      pick(input, 'target', 'RINGLOCK_TARGET') !== undefined
    )
      return undefined;
    throw e;
  }
}
