// The reconcile engine: runs a plan against a target, one module at a time in plan order, so that the target always
// has exactly one complete, verified version active per module and the state store never says otherwise.
// Per module: fetch → verify → extract → content check → compatibility → hook → journal → switch → health → record.
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { ArtifactCache } from '../artifacts/cache.js';
import type { ArtifactRef, ArtifactRegistry } from '../artifacts/registry/types.js';
import { OperationFailed, RinglockError } from '../errors.js';
import { hashTree } from '../hash/tree-hash.js';
import { parseDuration } from '../model/duration.js';
import { lockEntry } from '../model/lock.js';
import { MANIFEST_FILE } from '../model/manifest.js';
import { satisfies } from '../model/semantics.js';
import type { LockEntry, ModuleManifest, RingLock } from '../model/types.js';
import { unmanagedReason } from '../plan/plan.js';
import type { Plan, PlanAction } from '../plan/types.js';
import { readManifest } from '../source/manifest-file.js';
import type { HistoryRecord, Outcome, StateStore } from '../state/file-store.js';
import type { DeployedModule, DeployedState, InstalledVersion } from '../state/types.js';
import type { FilesystemTarget } from '../targets/filesystem.js';
import { crashPoint } from './crash.js';
import { ExtractPool } from './extract-pool.js';
import { healthSpecFor, waitHealthy } from './health.js';
import { hookFor, killOrphanHook, runHook } from './hooks.js';
import type { ModuleEnvOptions } from './module-env.js';

export interface EngineDeps {
  target: FilesystemTarget;
  store: StateStore;
  registry: ArtifactRegistry;
  cache: ArtifactCache;
  /** Progress and structured events (the CLI prints them, the daemon logs them). */
  onEvent?: (e: EngineEvent) => void;
  /** The daemon's way to say "a newer desired state arrived": the run stops at the next safe point. */
  supersede?: Supersede;
}

/**
 * A newer commit arrived while a run was in progress. Safe points: before each module's work (the rest of the run is
 * skipped), and a health check that is waiting (cut short, and the old version put back, when the newer state no longer
 * wants the version being checked — it would otherwise hold the newer state back for the whole health timeout).
 */
export interface Supersede {
  signal: AbortSignal;
  /** Whether a waiting health check of this entry may run to its end (the newer state still pins exactly it). */
  stillWanted(module: string, entry: LockEntry): boolean;
  /** Dispatches 'change' when stillWanted's answers may have changed (an even newer commit, a shutdown deadline). */
  changed?: EventTarget;
}

export type EngineEvent =
  | { type: 'module-start'; module: string; action: PlanAction['kind']; from?: string; to?: string }
  | {
      type: 'step';
      module: string;
      step: 'fetch' | 'extract' | 'verify' | 'hook' | 'switch' | 'health' | 'rollback';
    }
  | { type: 'module-done'; module: string; outcome: ModuleOutcome; error?: string }
  | { type: 'superseded'; skipped: string[] };

export interface EngineOptions {
  ring: string;
  actor: string;
  lockCommit?: string;
  platform: string;
  skipHooks: boolean;
  hookTimeoutMs: number;
  health: {
    baseUrl?: string;
    url?: string;
    command?: string | string[];
    timeoutMs: number;
    intervalMs: number;
  };
  keepVersions: number;
  /** Downloads that may run ahead of the module being applied. */
  concurrency: number;
  /** Move what ringlock did not create at a module's path into `.ringlock/adopted/` instead of blocking (`--adopt`). */
  adopt?: boolean;
  origin?: 'lock' | 'imperative';
  /** What the operator adds to the minimal environment of hooks and health commands. */
  moduleEnv?: ModuleEnvOptions;
}

export type ModuleOutcome = Outcome | 'noop' | 'blocked';

export interface ModuleResult {
  module: string;
  action: PlanAction['kind'];
  from?: string;
  to?: string;
  outcome: ModuleOutcome;
  code?: string;
  error?: string;
}

const now = () => new Date().toISOString();

/** Finishes or undoes an operation a crash interrupted, so the active link and the state agree before new work starts. */
export function recover(
  deps: Pick<EngineDeps, 'target' | 'store'>,
  actor: string,
): HistoryRecord | undefined {
  const { target, store } = deps;
  store.removeStaleTemps();
  const j = store.readJournal();
  let record: HistoryRecord | undefined;
  if (j) {
    if (j.hookPgid !== undefined) killOrphanHook(j.hookPgid, j.id);
    const state = store.read();
    if (
      j.quarantine &&
      !state.quarantine.some((q) => q.module === j.quarantine!.module && q.version === j.quarantine!.version)
    ) {
      // The new version had failed its health check when the process stopped: keep it from going live again.
      state.quarantine.push(j.quarantine);
      store.write(state);
    }
    const recorded = state.modules[j.module]?.active.storeDir;
    const kept = state.modules[j.module]?.active.version;
    if (j.record.op === 'adopt') {
      // One rename: either it happened (the backup exists; make sure the history says so) or nothing changed.
      if (
        j.record.backup !== undefined &&
        target.exists(j.record.backup) &&
        !store.history().some((h) => h.id === j.record.id)
      )
        store.append(j.record);
    } else if (j.phase === 'switching' && recorded === j.to) {
      // The state was written (for a removal: the module is gone from it): the operation completed; make sure its
      // audit record is there too and the disk matches.
      if (!store.history().some((h) => h.id === j.record.id)) store.append(j.record);
      target.activate(j.module, j.to, true);
    } else {
      // The state still names the old version: put the disk back to it. Before the switch nothing was changed there,
      // and whatever is at the path now is left alone.
      if (j.phase === 'switching') target.activate(j.module, recorded, true);
      const what =
        j.phase === 'installing' ? `${kept ?? 'no version'} stays` : `restored ${kept ?? 'no version'}`;
      record = {
        id: randomUUID(),
        ring: j.record.ring,
        module: j.module,
        op: 'recover',
        from: j.record.to,
        to: kept,
        actor,
        startedAt: now(),
        finishedAt: now(),
        outcome: 'recovered',
        error: `interrupted during ${j.record.op}${j.phase === 'installing' ? ' before the switch' : ''} (the process stopped); ${what}`,
      };
      store.append(record);
    }
    store.clearJournal();
  }
  target.emptyTrash();
  return record;
}

export async function applyPlan(
  plan: Plan,
  lock: RingLock,
  deps: EngineDeps,
  opts: EngineOptions,
): Promise<ModuleResult[]> {
  const work = plan.actions.filter((a) => a.kind !== 'noop' && a.kind !== 'blocked' && a.kind !== 'remove');
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
  try {
    return await switchInOrder(plan, lock, deps, opts, prepared, prepare, () => queue.splice(0));
  } finally {
    // No preparation may outlive the run: the next one could otherwise race it for the same store dir. Only then is
    // the trash emptied: a preparation still running (for a module a failure blocked) would leave its staging dir.
    await Promise.allSettled(prepared.values());
    deps.target.emptyTrash();
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
    if (broken !== undefined && a.kind !== 'remove') {
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
    const r = await applyOne(a, lock, deps, opts, () => prepared.get(a.module) ?? prepare(a));
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
  };
}

async function applyOne(
  a: PlanAction,
  lock: RingLock,
  deps: EngineDeps,
  opts: EngineOptions,
  prepared: () => Promise<string>,
): Promise<ModuleResult> {
  const { target, store } = deps;
  const startedAt = now();
  const state = store.read();
  const current = state.modules[a.module];
  // The module's path is ringlock's once the state records it or this operation has switched it in itself.
  let switched = false;
  const base: HistoryRecord = {
    id: randomUUID(),
    ring: opts.ring,
    module: a.module,
    op: a.kind === 'noop' || a.kind === 'blocked' ? 'install' : a.kind,
    from: current?.active.version,
    to: a.to,
    actor: opts.actor,
    lockCommit: opts.lockCommit,
    startedAt,
    finishedAt: startedAt,
    outcome: 'succeeded',
  };
  const result = (outcome: ModuleOutcome, err?: RinglockError): ModuleResult => ({
    module: a.module,
    action: a.kind,
    from: current?.active.version,
    to: a.to,
    outcome,
    code: err?.code,
    error: err?.message,
  });
  try {
    if (a.kind === 'remove') return result(await removeModule(a, state, current, base, deps));
    const entry = lockEntry(lock, a.module)!;
    // The plan said so already; this also covers callers that plan without looking (and paths taken over since).
    const found = target.inspect(a.module, current !== undefined);
    if (found.kind === 'unmanaged') {
      if (!opts.adopt) {
        const why = new OperationFailed(
          'target/unmanaged-path',
          `${unmanagedReason(found.what)}; ${current ? `keeps ${current.active.version}` : 'stays uninstalled'}`,
        );
        return result('blocked', why);
      }
      adoptPath(a.module, deps, opts);
    }
    // Visible as "installing" (ringlock list) and recoverable from here on.
    store.writeJournal(
      {
        id: base.id,
        phase: 'installing',
        module: a.module,
        from: current?.active.storeDir,
        record: base,
      },
      false,
    );
    const rel = await prepared();
    Object.assign(base, {
      integrity: entry.integrity,
      sha256: entry.sha256,
      source: rel,
      size: entry.size_bytes,
    });
    const storeAbs = target.abs(rel);
    const manifest = readManifest(join(storeAbs, MANIFEST_FILE), `${rel}/${MANIFEST_FILE}`).manifest;
    const constraint = manifest.compatibility?.platform;
    if (constraint !== undefined && !satisfies(opts.platform, constraint)) {
      throw new OperationFailed(
        'compat/platform',
        `${a.module} ${entry.version} needs platform ${constraint}, the ring runs ${opts.platform}`,
      );
    }
    if (!opts.skipHooks) {
      deps.onEvent?.({ type: 'step', module: a.module, step: 'hook' });
      const op = a.kind === 'reinstall' ? 'upgrade' : a.kind;
      await runHook(
        hookFor(op),
        {
          module: a.module,
          operation: a.kind,
          fromVersion: current?.active.version ?? null,
          toVersion: entry.version,
          sourcePath: storeAbs,
          manifest,
          operationId: base.id,
          onSpawn: (pgid) => {
            const j = store.readJournal();
            if (j) store.writeJournal({ ...j, hookPgid: pgid });
          },
        },
        opts.hookTimeoutMs,
        opts.moduleEnv,
      );
      crashPoint('after-hook');
    }
    const installed: InstalledVersion = {
      version: entry.version,
      sha256: entry.sha256,
      integrity: entry.integrity,
      storeDir: rel,
      compatibility: manifest.compatibility,
      dependencies: manifest.dependencies ?? {},
    };
    const next = withModule(state, {
      name: a.module,
      active: installed,
      // A reinstall (same version) keeps the version before it as the one to roll back to.
      previous: current && current.active.version !== entry.version ? current.active : current?.previous,
      status: 'active',
      since: now(),
      origin: opts.origin ?? 'lock',
    });
    next.ring = opts.ring;
    if (opts.lockCommit) next.lockCommit = opts.lockCommit;
    const record: HistoryRecord = { ...base, finishedAt: startedAt };
    store.writeJournal({
      id: record.id,
      phase: 'switching',
      module: a.module,
      from: current?.active.storeDir,
      to: rel,
      record,
    });
    crashPoint('after-journal');
    deps.onEvent?.({ type: 'step', module: a.module, step: 'switch' });
    // A first install owns no path yet: whatever appeared there since the check above is refused, not replaced.
    target.activate(a.module, rel, current !== undefined);
    switched = true;
    crashPoint('after-switch');
    const spec = healthSpecFor(manifest, opts.health, parseDuration);
    if (spec) {
      deps.onEvent?.({ type: 'step', module: a.module, step: 'health' });
      const h = await waitHealthy(spec, storeAbs, unwantedSignal(deps.supersede, a.module, entry), {
        moduleEnv: opts.moduleEnv,
        context: {
          RINGLOCK_MODULE: a.module,
          RINGLOCK_TO_VERSION: entry.version,
          RINGLOCK_SOURCE_PATH: storeAbs,
        },
      });
      crashPoint('after-health');
      if (h.aborted) {
        const why = `superseded by a newer commit during its health check (${h.reason ?? 'not yet healthy'})`;
        return result(switchBack(a, state, current, installed, why, base, deps, false));
      }
      if (!h.healthy)
        return result(
          switchBack(
            a,
            state,
            current,
            installed,
            `health check failed: ${h.reason ?? 'unhealthy'}`,
            base,
            deps,
          ),
        );
    }
    record.finishedAt = now();
    store.write({
      ...next,
      modules: { ...next.modules, [a.module]: { ...next.modules[a.module]!, since: record.finishedAt } },
    });
    crashPoint('after-state');
    store.append(record);
    crashPoint('after-history');
    store.clearJournal();
    // A reinstall replaced a damaged tree: nothing links to it any more.
    if (
      a.kind === 'reinstall' &&
      current &&
      current.active.storeDir !== rel &&
      target.hasStore(current.active.storeDir)
    ) {
      target.discardStore(current.active.storeDir);
    }
    target.prune(a.module, opts.keepVersions, [
      rel,
      current?.active.storeDir,
      next.modules[a.module]?.previous?.storeDir,
    ]);
    return result('succeeded');
  } catch (e) {
    const err =
      e instanceof RinglockError
        ? e
        : new OperationFailed('apply/failed', e instanceof Error ? e.message : String(e), { cause: e });
    // Nothing was switched (every failure before the switch lands here): the old version stays active. Should the
    // failure have come after a switch, the link goes back to what the state records.
    if (store.readJournal()?.phase === 'switching') {
      try {
        target.activate(a.module, current?.active.storeDir, current !== undefined || switched);
      } catch {
        // Someone else's tree took the path meanwhile: it is left alone (the next plan shows the module blocked).
      }
    }
    store.clearJournal();
    const s = store.read();
    if (s.modules[a.module]) {
      s.modules[a.module] = {
        ...s.modules[a.module]!,
        status: 'failed',
        lastError: err.message,
        ...(a.to !== undefined ? { failedVersion: a.to } : {}),
      };
      store.write(s);
    }
    store.append({ ...base, finishedAt: now(), outcome: 'failed', error: `${err.code}: ${err.message}` });
    return result('failed', err);
  }
}

/**
 * Moves what ringlock did not create at the module's path into a dated backup (`--adopt`), as its own journaled
 * operation: a crash leaves it either in place or whole in the backup, with its history record.
 */
function adoptPath(module: string, deps: EngineDeps, opts: EngineOptions): void {
  const { target, store } = deps;
  const at = now();
  const record: HistoryRecord = {
    id: randomUUID(),
    ring: opts.ring,
    module,
    op: 'adopt',
    source: module,
    backup: target.adoptedPathFor(module, new Date(at)),
    actor: opts.actor,
    lockCommit: opts.lockCommit,
    startedAt: at,
    finishedAt: at,
    outcome: 'succeeded',
  };
  store.writeJournal({ id: record.id, phase: 'switching', module, record });
  target.adopt(module, record.backup!);
  store.append(record);
  store.clearJournal();
}

/** Makes sure the version's verified tree is in the store: reused when it is there and still hashes right, else fetched and extracted. */
async function ensureStored(
  a: PlanAction,
  entry: LockEntry,
  preferred: string,
  deps: EngineDeps,
  download: () => Promise<string>,
  pool: ExtractPool,
): Promise<string> {
  const { target } = deps;
  // The canonical dir, and copies made beside a damaged one: the first that still hashes right is used, so a tree
  // that is already here is never downloaded again (a rollback, a link switched by hand).
  for (const rel of target.storeCandidates(preferred)) {
    const h = await hashTree(target.abs(rel), rel).catch(() => undefined);
    if (h?.digest === entry.sha256) return rel;
  }
  // The canonical tree may be there but damaged, and may be the active one: never touch it, extract beside it.
  const rel = target.hasStore(preferred) ? `${preferred}.${randomUUID().slice(0, 8)}` : preferred;
  deps.onEvent?.({ type: 'step', module: a.module, step: 'fetch' });
  const artifact = await download();
  crashPoint('after-fetch');
  deps.onEvent?.({ type: 'step', module: a.module, step: 'extract' });
  const staging = target.newStagingDir(a.module);
  const digest = await pool.run(artifact, staging, `${a.module}@${entry.version}`);
  crashPoint('after-extract');
  deps.onEvent?.({ type: 'step', module: a.module, step: 'verify' });
  if (digest !== entry.sha256) {
    throw new OperationFailed(
      'artifact/content-mismatch',
      `the artifact of ${a.module} ${entry.version} unpacks to ${digest}, the lock pins ${entry.sha256}`,
    );
  }
  const m = readManifest(
    join(staging, MANIFEST_FILE),
    `${a.module}@${entry.version}/${MANIFEST_FILE}`,
  ).manifest;
  if (m.name !== a.module || m.version !== entry.version) {
    throw new OperationFailed(
      'artifact/wrong-module',
      `the artifact holds ${m.name} ${m.version}, expected ${a.module} ${entry.version}`,
    );
  }
  target.commitToStore(staging, rel);
  crashPoint('after-store');
  return rel;
}

/** Aborts when the supersede signal fires and the newer state no longer pins `entry` for `module`. */
function unwantedSignal(s: Supersede | undefined, module: string, entry: LockEntry): AbortSignal | undefined {
  if (!s) return undefined;
  const c = new AbortController();
  const check = () => {
    if (s.signal.aborted && !c.signal.aborted && !s.stillWanted(module, entry)) c.abort();
  };
  check();
  s.signal.addEventListener('abort', check, { once: true });
  s.changed?.addEventListener('change', check);
  c.signal.addEventListener('abort', () => s.changed?.removeEventListener('change', check), { once: true });
  return c.signal;
}

/**
 * Puts the version active before back (a failed first install is removed). `quarantine`: the new version failed its
 * health check here, so later plans block it instead of looping; a superseded check proved nothing, so it is not.
 */
function switchBack(
  a: PlanAction,
  state: DeployedState,
  current: DeployedModule | undefined,
  failed: InstalledVersion,
  reason: string,
  base: HistoryRecord,
  deps: EngineDeps,
  quarantine = true,
): Outcome {
  const { target, store } = deps;
  deps.onEvent?.({ type: 'step', module: a.module, step: 'rollback' });
  const q = quarantine
    ? {
        module: a.module,
        version: failed.version,
        integrity: failed.integrity,
        sha256: failed.sha256,
        reason,
        at: now(),
      }
    : undefined;
  const j = store.readJournal();
  if (j && q) store.writeJournal({ ...j, quarantine: q });
  target.activate(a.module, current?.active.storeDir, true);
  crashPoint('after-auto-rollback');
  const next: DeployedState = { ...state, modules: { ...state.modules }, quarantine: [...state.quarantine] };
  if (current)
    next.modules[a.module] = {
      ...current,
      status: q ? 'rolled_back' : current.status,
      ...(q ? { lastError: reason, failedVersion: failed.version } : {}),
    };
  else delete next.modules[a.module];
  if (q) {
    next.quarantine = next.quarantine.filter((x) => !(x.module === a.module && x.version === failed.version));
    next.quarantine.push(q);
  }
  store.write(next);
  const back = current ? `rolled back to ${current.active.version}` : 'removed';
  store.append({
    ...base,
    finishedAt: now(),
    outcome: q ? 'rolled_back' : 'superseded',
    error: `${reason}; ${back}${q ? '; quarantined' : ''}`,
  });
  store.clearJournal();
  return q ? 'rolled_back' : 'superseded';
}

async function removeModule(
  a: PlanAction,
  state: DeployedState,
  current: DeployedModule | undefined,
  base: HistoryRecord,
  deps: EngineDeps,
): Promise<Outcome> {
  const { target, store } = deps;
  if (!current) return 'skipped';
  const next: DeployedState = { ...state, modules: { ...state.modules } };
  delete next.modules[a.module];
  const record: HistoryRecord = { ...base, op: 'remove', to: undefined, finishedAt: now() };
  store.writeJournal({
    id: record.id,
    phase: 'switching',
    module: a.module,
    from: current.active.storeDir,
    to: undefined,
    record,
  });
  target.activate(a.module, undefined, true);
  store.write(next);
  store.append(record);
  store.clearJournal();
  return 'succeeded';
}

function withModule(state: DeployedState, m: DeployedModule): DeployedState {
  return { ...state, modules: { ...state.modules, [m.name]: m } };
}

export type { ModuleManifest };
