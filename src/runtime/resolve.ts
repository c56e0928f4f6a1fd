// Resolves where a caller acts: target, state store and health settings, from ringlock.yaml, overridden by
// environment variables, overridden by flags (flags win).
import { userInfo } from 'node:os';
import { InputError } from '../errors.js';
import { parseDuration } from '../model/duration.js';
import { FileStateStore } from '../state/file-store.js';
import { DEFAULT_RETAIN_MS } from '../state/retention.js';
import { FilesystemTarget } from '../targets/filesystem.js';
import type { TargetMode } from '../targets/types.js';
import { pick, rel } from './input.js';
import { operatorPolicy } from './operator.js';
import type { ConfigBase, Runtime, RuntimeInput } from './types.js';

/** The target and state a caller acts on. `ws` may be undefined for callers that need no ringlock.yaml. */
export function resolveRuntime(input: RuntimeInput, ws: ConfigBase | undefined): Runtime {
  const cfg = ws?.cfg.config;
  const base = ws?.root ?? input.cwd;
  const t = (cfg?.target ?? {}) as {
    path?: string;
    mode?: TargetMode;
    keepVersions?: number;
    retainRemoved?: string;
    prune?: boolean;
  };
  const targetFlag = pick(input, 'target', 'RINGLOCK_TARGET');
  const targetDir =
    targetFlag !== undefined ? rel(targetFlag, input.cwd) : rel(t.path ?? '.ringlock/target', base);
  const target = new FilesystemTarget(targetDir, t.mode ?? 'symlink');
  const stateFlag = pick(input, 'state', 'RINGLOCK_STATE');
  const s = (cfg?.state ?? {}) as { path?: string };
  const stateDir =
    stateFlag !== undefined ? rel(stateFlag, input.cwd) : s.path ? rel(s.path, base) : target.stateDir;
  const h = (cfg?.health ?? {}) as {
    baseUrl?: string;
    url?: string;
    command?: string | string[];
    timeout?: string;
    interval?: string;
  };
  const healthUrl = pick(input, 'health-url', 'RINGLOCK_HEALTH_URL') ?? h.baseUrl;
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
  const policy = operatorPolicy(input);
  return {
    target,
    store: new FileStateStore(stateDir),
    stateDir,
    health: {
      baseUrl: healthUrl,
      url: h.url,
      command: h.command,
      timeoutMs: h.timeout ? parseDuration(h.timeout) : 60_000,
      intervalMs: h.interval ? parseDuration(h.interval) : 2_000,
    },
    keepVersions: t.keepVersions ?? 5,
    retainRemovedMs: t.retainRemoved !== undefined ? parseDuration(t.retainRemoved) : DEFAULT_RETAIN_MS,
    prune: t.prune ?? false,
    actor: input.env.RINGLOCK_ACTOR ?? `cli:${user}`,
    policy,
    moduleEnv: policy.moduleEnv,
    hookRunners: policy.hooks,
  };
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
