// What the daemon keeps and tells around a pass: drift for /status, the backoff of failing modules (and the work it
// holds back), notifications, and the deployment reported to GitHub.
import type { ModuleResult } from '../apply/engine.js';
import { lockEntry } from '../model/lock.js';
import type { Plan, PlanAction } from '../plan/types.js';
import type { NewBlock } from '../state/blocked.js';
import type { DeployedState } from '../state/types.js';
import type { Desired } from './desired.js';
import type { ConfigFollower } from './follow.js';
import { backoff } from './schedule.js';
import { type RunStatus, summarize } from './status.js';
import type { DaemonOptions, EventSink, NotificationName } from './types.js';

/**
 * The event a module's successful operation sends: by what it did to the module (its result's `lifecycle`) first — a
 * disabled module enabled again at a newer version is planned as an upgrade, yet it was enabled — then by its action.
 * A rollback the lock asks for (an older pin) is an upgrade to it, as before. The plan's `disable` and `enable`
 * actions (a lock entry's `enabled`) switch a module off and on again; `remove` is a prune.
 */
const LIFECYCLE_EVENTS: Readonly<Record<string, NotificationName>> = {
  disabled: 'module.disabled',
  enabled: 'module.enabled',
  removed: 'module.removed',
};
const SUCCESS_EVENTS: Readonly<Record<string, NotificationName>> = {
  install: 'module.installed',
  upgrade: 'module.upgraded',
  reinstall: 'module.upgraded',
  rollback: 'module.upgraded',
  remove: 'module.removed',
  disable: 'module.disabled',
  enable: 'module.enabled',
};

function successEvent(r: ModuleResult): NotificationName | undefined {
  if (r.lifecycle && Object.hasOwn(LIFECYCLE_EVENTS, r.lifecycle)) return LIFECYCLE_EVENTS[r.lifecycle];
  return Object.hasOwn(SUCCESS_EVENTS, r.action) ? SUCCESS_EVENTS[r.action] : undefined;
}

/** A hook as events show it. */
const hookView = (h: NonNullable<ModuleResult['hooks']>[number]) => ({
  hook: h.hook,
  tenant: h.tenant,
  outcome: h.outcome,
  durationMs: h.durationMs,
  error: h.error,
});

export class Bookkeeping {
  private readonly moduleBackoff = new Map<
    string,
    { key: string; failures: number; at: number; error: string }
  >();
  private lastDriftKey = '';
  private reportedCommit?: string;
  /** The lock last marked applied (its JSON), to tell whether a newly applied commit changed it. */
  private appliedLock?: string;

  constructor(
    private readonly o: DaemonOptions,
    private readonly st: RunStatus,
    private readonly follow: Pick<ConfigFollower, 'runtime' | 'desired' | 'selfHeal'>,
  ) {}

  /** A pass planned: keep the plan and drift (out-of-band imperative changes included) for /status, report drift. */
  planned(
    p: Plan,
    deployed: DeployedState,
    drift: Map<string, string>,
    notifier: EventSink | undefined,
    commit: string,
  ): void {
    this.st.plan = p;
    this.st.drift = new Map(drift);
    for (const a of p.actions) {
      const d = Object.hasOwn(deployed.modules, a.module) ? deployed.modules[a.module] : undefined;
      if (d?.origin === 'imperative' && a.kind !== 'noop' && !drift.has(a.module))
        this.st.drift.set(
          a.module,
          `changed out of band (imperative ${d.active.version}; the lock pins ${a.to ?? 'nothing'})`,
        );
    }
    this.reportDrift(notifier, commit);
    this.o.metrics.drift.set(this.st.drift.size);
    this.st.blocked = p.actions.filter((a) => a.kind === 'blocked').length;
  }

  /** The plan minus what must wait: modules backing off after a failure, and — without self-heal — out-of-band changes. */
  selectWork(p: Plan, deployed: Record<string, { origin: string } | undefined>): Plan {
    const heal = this.follow.selfHeal();
    // A backoff belongs to one pin: once the lock names something else (or drops the module) it is forgotten.
    for (const [m, b] of this.moduleBackoff) {
      const a = p.actions.find((x) => x.module === m);
      if (!a || a.unmanaged || b.key !== `${a.to}#${a.sha256}`) this.moduleBackoff.delete(m);
    }
    const actions = p.actions.map((a): PlanAction => {
      if (a.kind === 'noop' || a.kind === 'blocked') return a;
      const b = this.moduleBackoff.get(a.module);
      if (b && b.key === `${a.to}#${a.sha256}` && Date.now() < b.at) {
        return {
          ...a,
          kind: 'blocked',
          reason: `failed ${b.failures}× (${b.error}); next try at ${new Date(b.at).toISOString()}`,
        };
      }
      const outOfBand = this.st.drift.has(a.module) || deployed[a.module]?.origin === 'imperative';
      // Without self-heal, repairs of out-of-band changes wait; what a new commit asks for is still applied.
      if (
        !heal &&
        outOfBand &&
        (a.kind === 'reinstall' || this.st.appliedCommit === this.follow.desired?.commit)
      )
        return { ...a, kind: 'blocked', reason: 'out-of-band change; selfHeal is off, reported only' };
      return a;
    });
    return { ...p, actions };
  }

  /**
   * The pass's results: events (with the hooks each operation ran), backoff, the log and the hook metric. `operations`
   * maps a module to the id of the history record its operation appended this pass: the events' `operationId`, so an
   * event and its record correlate.
   */
  afterApply(
    results: ModuleResult[],
    desired: Desired,
    trigger: string,
    operations: ReadonlyMap<string, string> = new Map(),
  ): void {
    const notifier = this.follow.runtime.notifier;
    const log = this.o.logger;
    for (const r of results) {
      const entry = lockEntry(desired.lock, r.module);
      this.reportHooks(r, desired.commit);
      const data = {
        module: r.module,
        action: r.action,
        from: r.from,
        to: r.to,
        commit: desired.commit,
        trigger,
        error: r.error,
        operationId: operations.get(r.module),
        hooks: r.hooks?.length ? r.hooks.map(hookView) : undefined,
      };
      if (r.outcome === 'succeeded') {
        this.moduleBackoff.delete(r.module);
        const event = successEvent(r);
        if (event) notifier?.emit(event, data);
        log.info(data, `${r.module} ${r.action} succeeded`);
      } else if (r.outcome === 'rolled_back') {
        this.moduleBackoff.delete(r.module);
        notifier?.emit('module.rolled_back', data);
        log.warn(data, `${r.module} rolled back${r.error ? `: ${r.error}` : ''}`);
      } else if (r.outcome === 'failed') {
        const key = `${r.to}#${entry?.sha256}`;
        const prev = this.moduleBackoff.get(r.module);
        const failures = prev?.key === key ? prev.failures + 1 : 1;
        const at = Date.now() + backoff(failures, 5_000, this.o.maxBackoffMs);
        this.moduleBackoff.set(r.module, { key, failures, at, error: r.error ?? 'failed' });
        notifier?.emit('module.failed', {
          ...data,
          code: r.code,
          failures,
          retryAt: new Date(at).toISOString(),
        });
        log.error({ ...data, code: r.code, failures }, `${r.module} failed: ${r.error}`);
      } else if (r.outcome === 'superseded') {
        log.info(data, `${r.module}: ${r.error}`);
      }
    }
    if (results.some((r) => r.outcome === 'failed' || r.outcome === 'rolled_back'))
      notifier?.emit('reconcile.failed', {
        commit: desired.commit,
        reason: 'modules',
        summary: summarize(results),
      });
  }

  /**
   * Every hook a result ran goes to `ringlock_hook_runs_total`; each failed one is a warning naming the module, hook,
   * tenant and error — a failed per-tenant hook does not fail its module, and a tenant change's result is a noop.
   */
  private reportHooks(r: ModuleResult, commit: string): void {
    for (const h of r.hooks ?? []) {
      this.o.metrics.hookRuns.inc({ hook: h.hook, outcome: h.outcome });
      if (h.outcome !== 'failed') continue;
      this.o.logger.warn(
        { module: r.module, hook: h.hook, tenant: h.tenant, error: h.error, commit },
        `${r.module}: hook ${h.hook}${h.tenant ? ` for tenant ${h.tenant}` : ''} failed${h.error ? `: ${h.error}` : ''}`,
      );
    }
  }

  /** Blocks the pass recorded as not yet announced: one `module.blocked` each (the state remembers it was sent). */
  announceBlocked(blocks: NewBlock[], commit: string): void {
    for (const b of blocks) {
      const data = {
        module: b.module,
        to: b.version,
        reason: b.reason,
        chain: b.chain ?? [b.reason],
        code: b.code,
        since: b.since,
        commit,
      };
      this.follow.runtime.notifier?.emit('module.blocked', data);
      this.o.logger.warn(data, `${b.module} blocked: ${b.reason}`);
    }
  }

  hasFailures(): boolean {
    return this.moduleBackoff.size > 0;
  }

  /** Module → when it is tried again, and why it waits (for /status). */
  retryView(): Map<string, { at: number; error: string }> {
    return new Map([...this.moduleBackoff].map(([m, b]) => [m, { at: b.at, error: b.error }]));
  }

  markApplied(commit: string, state: 'success'): void {
    // The lock commit moves only when the lock applied differs from the one applied before (any unrelated commit keeps it).
    const d = this.follow.desired;
    const lock = d?.commit === commit ? JSON.stringify(d.lock) : undefined;
    if (lock === undefined || lock !== this.appliedLock) this.st.appliedLockCommit = commit;
    this.appliedLock = lock;
    this.st.appliedCommit = commit;
    this.st.synced = true;
    this.reportDeployment(commit, state, `ring ${this.o.ring} runs ${commit.slice(0, 12)}`);
  }

  reportDeployment(commit: string, state: 'in_progress' | 'success' | 'failure', description: string): void {
    const deployments = this.follow.runtime.deployments;
    const key = `${commit}:${state}`;
    if (this.reportedCommit === key || !deployments) return;
    this.reportedCommit = key;
    deployments
      .report({ sha: commit, environment: this.o.ring, state, description })
      .catch((e: unknown) =>
        this.o.logger.warn({ err: e, commit }, 'reporting the deployment to GitHub failed'),
      );
  }

  private reportDrift(notifier: EventSink | undefined, commit: string): void {
    const key = JSON.stringify([...this.st.drift].sort());
    if (key === this.lastDriftKey) return;
    this.lastDriftKey = key;
    if (this.st.drift.size === 0) return;
    const modules = [...this.st.drift].map(([module, reason]) => ({ module, reason }));
    const selfHeal = this.follow.selfHeal();
    this.o.logger.warn({ drift: modules, selfHeal }, `drift detected in ${modules.length} module(s)`);
    notifier?.emit('drift.detected', { commit, modules, selfHeal });
  }
}
