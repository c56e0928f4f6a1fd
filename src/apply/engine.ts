// The reconcile engine: runs a plan against a target, one module at a time in plan order, so that the target always
// has exactly one complete, verified version active per module and the state store never says otherwise.
// Per module: fetch → verify → extract → content check → compatibility → hook → journal → switch → health → record
// (preparation in steps/prepare.ts runs ahead; the rest is apply-module.ts). Depends on the DeployTarget and
// StateStore seams only.
import { availableParallelism } from 'node:os';
import type { ArtifactRef } from '../artifacts/registry/types.js';
import { lockEntry } from '../model/lock.js';
import type { LockEntry, RingLock } from '../model/types.js';
import type { Plan, PlanAction } from '../plan/types.js';
import { applyModule } from './apply-module.js';
import type { EngineDeps, EngineOptions, ModuleResult } from './engine-types.js';
import { ExtractPool } from './extract-pool.js';
import { checkHookRunners } from './hook-check.js';
import { ensureStored } from './steps/prepare.js';
import { applyTenantChange } from './tenant-changes.js';

export type { EngineEvent, EngineOptions, ModuleResult, Supersede } from './engine-types.js';

export async function applyPlan(
  plan: Plan,
  lock: RingLock,
  deps: EngineDeps,
  opts: EngineOptions,
): Promise<ModuleResult[]> {
  // What needs a tree in the store: not a removal, not a disable (their trees are the ones already there).
  const work = plan.actions.filter(
    (a) => a.kind !== 'noop' && a.kind !== 'blocked' && a.kind !== 'remove' && a.kind !== 'disable',
  );
  // Extraction and hashing run on worker threads when there is more than one module to prepare.
  const pool = new ExtractPool(work.length > 1 ? Math.min(availableParallelism(), work.length) : 0);
  try {
    return await runPlan(plan, lock, deps, opts, work, pool);
  } finally {
    await pool.close();
  }
}

async function runPlan(
  plan: Plan,
  lock: RingLock,
  deps: EngineDeps,
  opts: EngineOptions,
  work: PlanAction[],
  pool: ExtractPool,
): Promise<ModuleResult[]> {
  const { cache, registry } = deps;
  // Preparation — fetch, verify, extract, content check, into the store — runs ahead of the switches, a few modules at
  // a time (gunzip and file I/O overlap); each module waits only for its own. A prepared tree is complete and verified
  // but not active, so a crash during preparation leaves nothing to undo. Switches stay one at a time, in plan order.
  const prepared = new Map<string, Promise<string>>();
  const prepare = (a: PlanAction): Promise<string> => {
    const entry = lockEntry(lock, a.module)!;
    const preferred = deps.target.storeDirFor(a.module, entry.version, entry.sha256);
    return ensureStored(a, entry, preferred, deps, () => cache.get(refFor(a.module, entry), registry), pool);
  };
  let running = 0;
  const queue = [...work];
  const pump = () => {
    while (running < opts.concurrency && queue.length > 0) {
      const a = queue.shift()!;
      running++;
      const p = prepare(a);
      p.catch(() => {}).finally(() => {
        running--;
        pump();
      });
      prepared.set(a.module, p);
    }
  };
  pump();
  // Every hook the run will start must be runnable before the first one runs or anything is switched: the first module
  // to get there waits for every preparation (trees in the store, not active) and checks them all, once.
  let gated: Promise<void> | undefined;
  const checkAll = async () => {
    if (opts.skipHooks) return;
    const ready = new Map<string, string>();
    for (const a of work) {
      const i = queue.indexOf(a);
      if (i >= 0) {
        queue.splice(i, 1);
        prepared.set(a.module, prepare(a));
      }
      const rel = await prepared.get(a.module)!.catch(() => undefined);
      if (rel !== undefined) ready.set(a.module, rel);
    }
    // Removals and disables run hooks from their active trees; with a tenant change, so does every unchanged module.
    const others = plan.actions.filter(
      (a) => a.kind === 'remove' || a.kind === 'disable' || (plan.tenants !== undefined && a.kind === 'noop'),
    );
    checkHookRunners([...work, ...others], ready, deps, opts, plan.tenants);
  };
  const gate = () => {
    gated ??= checkAll();
    return gated;
  };
  try {
    const results = await switchInOrder(
      plan,
      lock,
      deps,
      opts,
      prepared,
      prepare,
      () => queue.splice(0),
      gate,
    );
    if (!plan.tenants || deps.supersede?.signal.aborted) return results;
    // A run with nothing but a tenant change checks its hooks here (refused: nothing changed, the set not recorded).
    await gate();
    // One result per module: a tenant change's hooks go on the module's (unchanged) result.
    const byTenant = new Map(
      (await applyTenantChange(plan.tenants, results, deps, opts)).map((r) => [r.module, r]),
    );
    const merged = results.map((r) => {
      const t = byTenant.get(r.module);
      if (!t || r.outcome !== 'noop') return r;
      byTenant.delete(r.module);
      return { ...r, hooks: t.hooks, tenants: t.tenants };
    });
    return [...merged, ...byTenant.values()];
  } finally {
    // No preparation may outlive the run: the next one could otherwise race it for the same store dir. Only then is
    // the trash emptied: a preparation still running (for a module a failure blocked) would leave its staging dir.
    await Promise.allSettled(prepared.values());
    for (const message of deps.target.emptyTrash()) deps.onEvent?.({ type: 'warning', message });
  }
}

async function switchInOrder(
  plan: Plan,
  lock: RingLock,
  deps: EngineDeps,
  opts: EngineOptions,
  prepared: Map<string, Promise<string>>,
  prepare: (a: PlanAction) => Promise<string>,
  dropQueued: () => void,
  gate: () => Promise<void>,
): Promise<ModuleResult[]> {
  const results: ModuleResult[] = [];
  // A module whose dependency failed in this run is not switched: it would start against a dependency that is missing
  // or older than it needs.
  const failedNow = new Set<string>();
  const skipped: string[] = [];
  for (const a of plan.actions) {
    if (deps.supersede?.signal.aborted && a.kind !== 'noop' && a.kind !== 'blocked') {
      // Safe point: nothing of this module has started. The newer desired state is planned afresh next.
      if (skipped.length === 0) dropQueued();
      skipped.push(a.module);
      results.push({
        module: a.module,
        action: a.kind,
        from: a.from,
        to: a.to,
        outcome: 'skipped',
        error: 'superseded by a newer commit before it started',
      });
      continue;
    }
    if (a.kind === 'noop' || a.kind === 'blocked') {
      results.push({
        module: a.module,
        action: a.kind,
        from: a.from,
        to: a.to,
        outcome: a.kind,
        error: a.reason,
      });
      continue;
    }
    const broken = Object.keys(lockEntry(lock, a.module)?.dependencies ?? {}).find((d) => failedNow.has(d));
    if (broken !== undefined && a.kind !== 'remove' && a.kind !== 'disable') {
      failedNow.add(a.module);
      const why = `dependency ${broken} failed in this run; ${a.from ? `keeps ${a.from}` : 'stays uninstalled'}`;
      results.push({
        module: a.module,
        action: a.kind,
        from: a.from,
        to: a.to,
        outcome: 'blocked',
        error: why,
      });
      deps.onEvent?.({ type: 'module-done', module: a.module, outcome: 'blocked', error: why });
      continue;
    }
    deps.onEvent?.({ type: 'module-start', module: a.module, action: a.kind, from: a.from, to: a.to });
    const r = await applyModule(a, lock, deps, opts, () => prepared.get(a.module) ?? prepare(a), gate);
    deps.onEvent?.({ type: 'module-done', module: a.module, outcome: r.outcome, error: r.error });
    if (
      r.outcome === 'failed' ||
      r.outcome === 'rolled_back' ||
      r.outcome === 'superseded' ||
      r.outcome === 'blocked'
    )
      failedNow.add(a.module);
    results.push(r);
  }
  if (skipped.length > 0) deps.onEvent?.({ type: 'superseded', skipped });
  return results;
}

export function refFor(module: string, e: LockEntry): ArtifactRef {
  return {
    module,
    version: e.version,
    artifact: e.artifact,
    integrity: e.integrity ?? '',
    size: e.artifact_size,
    ...(e.digest !== undefined ? { digest: e.digest } : {}),
  };
}
