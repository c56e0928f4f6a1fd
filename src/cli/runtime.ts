// Resolves where a command acts: target, state store, registry, cache and health settings, from ringlock.yaml,
// overridden by environment variables, overridden by flags (flags win).
import { userInfo } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { LoadedConfig } from '../model/config.js';
import { parseDuration } from '../model/duration.js';
import { FileStateStore } from '../state/file-store.js';
import { FilesystemTarget, type TargetMode } from '../targets/filesystem.js';
import type { ModuleEnvPolicy, TrustPolicy } from '../trust/policy.js';
import { operatorPolicy } from './operator.js';
import type { CommandContext } from './spec.js';

/** Where settings come from: a workspace on disk (CLI), or ringlock.yaml read at a git commit (daemon). */
export interface ConfigBase {
  /** Relative paths in the config resolve against this directory. */
  root: string;
  /** The parsed ringlock.yaml: its values, and its document to name the line of a refused one. */
  cfg: Pick<LoadedConfig, 'config' | 'doc'>;
}

export interface Runtime {
  target: FilesystemTarget;
  store: FileStateStore;
  health: {
    baseUrl?: string;
    url?: string;
    command?: string | string[];
    timeoutMs: number;
    intervalMs: number;
  };
  keepVersions: number;
  prune: boolean;
  actor: string;
  /** What the operator allows (never read from the repository). */
  policy: TrustPolicy;
  /** What module code gets on top of the minimal environment: the operator's choice. */
  moduleEnv: ModuleEnvPolicy;
}

export function pick(ctx: CommandContext, flag: string, env: string): string | undefined {
  const v = ctx.options[flag];
  if (typeof v === 'string') return v;
  const e = process.env[env];
  return e !== undefined && e !== '' ? e : undefined;
}

/** The target and state a command acts on. `ws` may be undefined for commands that need no ringlock.yaml. */
export function resolveRuntime(ctx: CommandContext, ws: ConfigBase | undefined): Runtime {
  const cfg = ws?.cfg.config;
  const base = ws?.root ?? ctx.cwd;
  const rel = (p: string, from: string) => (isAbsolute(p) ? p : resolve(from, p));
  const t = (cfg?.target ?? {}) as {
    path?: string;
    mode?: TargetMode;
    keepVersions?: number;
    prune?: boolean;
  };
  const targetFlag = pick(ctx, 'target', 'RINGLOCK_TARGET');
  const targetDir =
    targetFlag !== undefined ? rel(targetFlag, ctx.cwd) : rel(t.path ?? '.ringlock/target', base);
  const target = new FilesystemTarget(targetDir, t.mode ?? 'symlink');
  const stateFlag = pick(ctx, 'state', 'RINGLOCK_STATE');
  const s = (cfg?.state ?? {}) as { path?: string };
  const stateDir =
    stateFlag !== undefined ? rel(stateFlag, ctx.cwd) : s.path ? rel(s.path, base) : target.stateDir;
  const h = (cfg?.health ?? {}) as {
    baseUrl?: string;
    url?: string;
    command?: string | string[];
    timeout?: string;
    interval?: string;
  };
  const healthUrl = pick(ctx, 'health-url', 'RINGLOCK_HEALTH_URL') ?? h.baseUrl;
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
  const policy = operatorPolicy(ctx);
  return {
    target,
    store: new FileStateStore(stateDir),
    health: {
      baseUrl: healthUrl,
      url: h.url,
      command: h.command,
      timeoutMs: h.timeout ? parseDuration(h.timeout) : 60_000,
      intervalMs: h.interval ? parseDuration(h.interval) : 2_000,
    },
    keepVersions: t.keepVersions ?? 5,
    prune: t.prune ?? false,
    actor: process.env.RINGLOCK_ACTOR ?? `cli:${user}`,
    policy,
    moduleEnv: policy.moduleEnv,
  };
}

/** The workspace when there is a ringlock.yaml; commands that act on a target can run without one when --target is given. */
export function maybeWorkspace<W>(ctx: CommandContext, open: (cwd: string) => W): W | undefined {
  try {
    return open(ctx.cwd);
  } catch (e) {
    if (
      e instanceof InputError &&
      e.code === 'config/not-found' &&
      pick(ctx, 'target', 'RINGLOCK_TARGET') !== undefined
    )
      return undefined;
    throw e;
  }
}
