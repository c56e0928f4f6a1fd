// The lifecycle hooks of one module's operation: the platform-wide ones (before the switch, after it, before a
// removal) halt the operation when they fail; the per-tenant ones (onEnable, onDisable) run once per tenant of the ring
// and a failure is reported, never halting. Every hook that runs is reported in the module's result.
import { RinglockError } from '../../errors.js';
import type { ModuleManifest } from '../../model/types.js';
import { readManifestInDir } from '../../source/manifest-file.js';
import { crashPoint } from '../crash.js';
import { type HookContext, type HookName, type HookOptions, hookFor, runHook } from '../hooks.js';
import type { ModuleContext } from './context.js';

/** Where a hook comes from: the version's tree in the store and its manifest. */
export interface HookTree {
  version: string;
  abs: string;
  manifest: ModuleManifest;
}

function context(ctx: ModuleContext, tree: HookTree, toVersion: string, tenant?: string): HookContext {
  const { action: a, deps, opts, current, base } = ctx;
  const { store } = deps;
  // A hook changes the platform: only while this process surely holds the ring (a shared store's lease).
  store.assertWriter?.();
  return {
    module: a.module,
    operation: a.kind,
    fromVersion: current?.active.version ?? null,
    toVersion,
    sourcePath: tree.abs,
    manifest: tree.manifest,
    operationId: base.id,
    ring: opts.ring,
    commit: opts.lockCommit,
    actor: opts.actor,
    ...(tenant !== undefined ? { tenant } : {}),
    onSpawn: (pgid) => {
      const j = store.readJournal();
      if (j) store.writeJournal({ ...j, hookPgid: pgid });
    },
    // The history record (switched in or failed) carries what each hook did.
    onResult: (r) => {
      base.hooks = [...(base.hooks ?? []), r];
    },
  };
}

/** Runs a platform-wide hook from `tree`; a failure throws (the operation halts), and is reported either way. */
export async function platformHook(
  ctx: ModuleContext,
  hook: HookName,
  tree: HookTree,
  toVersion: string,
): Promise<void> {
  const { action: a, deps, opts } = ctx;
  if (opts.skipHooks || tree.manifest.lifecycle?.[hook] === undefined) return;
  deps.onEvent?.({ type: 'step', module: a.module, step: 'hook' });
  try {
    const r = await runHook(hook, context(ctx, tree, toVersion), hookOptions(ctx));
    ctx.hooks.push({ hook, outcome: 'succeeded', durationMs: r.durationMs });
  } catch (e) {
    ctx.hooks.push({ hook, outcome: 'failed', error: message(e), durationMs: 0 });
    throw e;
  }
}

/** onEnable or onDisable once per tenant of the ring (or of `only`); failures are reported and do not halt. */
export async function tenantHooks(
  ctx: ModuleContext,
  hook: 'onEnable' | 'onDisable',
  tree: HookTree,
  only?: readonly string[],
): Promise<void> {
  const { opts } = ctx;
  const tenants = only ?? opts.tenants ?? [];
  if (opts.skipHooks || tenants.length === 0 || tree.manifest.lifecycle?.[hook] === undefined) return;
  ctx.deps.onEvent?.({ type: 'step', module: ctx.action.module, step: 'hook' });
  for (const tenant of tenants) {
    // Outside the try: a lost lease ends the operation, it is not one tenant's failed hook.
    const hc = context(ctx, tree, tree.version, tenant);
    try {
      const r = await runHook(hook, hc, hookOptions(ctx));
      ctx.hooks.push({ hook, tenant, outcome: 'succeeded', durationMs: r.durationMs });
    } catch (e) {
      ctx.hooks.push({ hook, tenant, outcome: 'failed', error: message(e), durationMs: 0 });
    }
  }
}

/**
 * The tenants a module going off (disabled or removed) was enabled for: the ring's tenants as the state recorded them
 * when last applied, not tenants assigned in this run (they never got onEnable).
 */
export function enabledTenants(ctx: ModuleContext): readonly string[] {
  return ctx.state.tenants ?? ctx.opts.tenants ?? [];
}

/**
 * The hook before the switch: the new version's onInstall or onUpgrade from its own tree; for a downgrade, the NEWER
 * version's onDowngrade from its tree (it knows what it changed) — the one active now.
 */
export async function preSwitchHook(ctx: ModuleContext, staged: HookTree): Promise<void> {
  const { action: a, current } = ctx;
  // Enabling brings back the version that was installed: nothing is installed or upgraded.
  if (a.kind === 'enable') return;
  const op = a.kind === 'reinstall' ? 'upgrade' : a.kind;
  const hook = hookFor(op);
  if (hook === 'onDowngrade') {
    const newer = current ? storedTree(ctx, current.active.storeDir, current.active.version) : undefined;
    // The newer tree is gone from the store (removed by hand): there is no onDowngrade left to run.
    if (newer) await platformHook(ctx, hook, newer, staged.version);
  } else await platformHook(ctx, hook, staged, staged.version);
  crashPoint('after-hook');
}

/** A stored version's tree and manifest; undefined when it is not there (or its manifest is unreadable). */
export function storedTree(ctx: ModuleContext, storeDir: string, version: string): HookTree | undefined {
  const { target } = ctx.deps;
  if (!target.hasStore(storeDir)) return undefined;
  const abs = target.abs(storeDir);
  try {
    return {
      version,
      abs,
      manifest: readManifestInDir(abs, storeDir).manifest,
    };
  } catch {
    return undefined;
  }
}

function hookOptions(ctx: ModuleContext): HookOptions {
  const { opts } = ctx;
  return { timeoutMs: opts.hookTimeoutMs, moduleEnv: opts.moduleEnv, runners: opts.hookRunners };
}

function message(e: unknown): string {
  return e instanceof RinglockError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
}
