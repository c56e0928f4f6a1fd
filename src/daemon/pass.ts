// One attempt of the daemon: fetch, then one reconcile pass (src/reconcile) with the daemon's hooks — full re-hash on
// schedule, backoff and self-heal, suspension, supersede by a newer commit, logs — and the attempt's record.
import type { ModuleResult } from '../apply/engine.js';
import { InternalError } from '../errors.js';
import type { Publication } from '../publish/publication.js';
import { reconcile } from '../reconcile/reconcile.js';
import type { PassReport } from '../reconcile/types.js';
import type { StateStore, Suspension, WriterLease } from '../state/types.js';
import type { Bookkeeping } from './bookkeeping.js';
import type { Desired } from './desired.js';
import type { ConfigFollower } from './follow.js';
import { RunControl } from './run-control.js';
import { type Attempt, type AttemptOutcome, type RunStatus, summarize, toStatusError } from './status.js';
import type { DaemonOptions } from './types.js';

const now = () => new Date().toISOString();

export interface PassContext {
  o: DaemonOptions;
  st: RunStatus;
  follow: ConfigFollower;
  books: Bookkeeping;
  stopping(): boolean;
  /** A superseded run asks for one more run. */
  superseded(): void;
  /** Refreshes the modules gauge from /status. */
  refreshGauge(): void;
  /** What the ring has active, published after every pass (and what the read API answers from). */
  publication: Publication;
  /** A leader's passes reuse the writer lease it holds (a shared store); absent: each pass takes the lease. */
  writer?: (holder: string, timeoutMs: number) => Promise<WriterLease>;
}

export class DaemonPass {
  /** The control of the apply run in progress. */
  control?: RunControl;
  /** The next drift check hashes every active tree. */
  fullDue = true;

  constructor(private readonly c: PassContext) {}

  async tick(trigger: string, forceFetch: boolean): Promise<void> {
    const { st, follow } = this.c;
    const log = this.c.o.logger;
    const t0 = Date.now();
    const startedAt = now();
    st.phase = 'reconciling';
    let outcome: AttemptOutcome = 'noop';
    let results: ModuleResult[] = [];
    let commit: string | undefined;
    try {
      await follow.fetch(forceFetch);
      const desired = follow.desired;
      // The commit this attempt judged: the invalid head when that is what it refused.
      const refused = follow.invalid && follow.invalid.commit === follow.head ? follow.invalid : undefined;
      commit = refused ? refused.commit : desired?.commit;
      if (refused) outcome = 'invalid';
      else if (!desired) outcome = 'git-error';
      else ({ outcome, results } = await this.reconcile(desired, trigger));
      if (outcome !== 'git-error' && outcome !== 'invalid' && outcome !== 'locked') st.ready = true;
      if (follow.git.lastError && outcome === 'noop') outcome = 'git-error';
      st.lastRunError = undefined;
    } catch (e) {
      outcome = 'failed';
      st.lastRunError = toStatusError(e, commit);
      log.error({ err: e, code: st.lastRunError.code }, `reconcile failed: ${st.lastRunError.message}`);
      follow.runtime.notifier?.emit('reconcile.failed', {
        commit,
        reason: 'error',
        error: st.lastRunError,
      });
    } finally {
      this.finish({ t0, startedAt, trigger, commit, outcome, results });
    }
  }

  private finish(r: {
    t0: number;
    startedAt: string;
    trigger: string;
    commit?: string;
    outcome: AttemptOutcome;
    results: ModuleResult[];
  }): void {
    const { o, st } = this.c;
    const durationMs = Date.now() - r.t0;
    const failed = r.results.filter((x) => x.outcome === 'failed' || x.outcome === 'rolled_back').length;
    const attempt: Attempt = {
      startedAt: r.startedAt,
      finishedAt: now(),
      durationMs,
      trigger: r.trigger,
      commit: r.commit,
      outcome: r.outcome,
      applied: r.results.filter((x) => x.outcome === 'succeeded').length,
      failed,
    };
    st.lastAttempt = attempt;
    if (r.outcome === 'succeeded' || r.outcome === 'noop') {
      st.lastSuccess = attempt;
      o.metrics.lastSuccess.set(Math.floor(Date.now() / 1000));
    }
    o.metrics.reconciles.inc({ outcome: r.outcome });
    o.metrics.reconcileSeconds.observe(durationMs / 1000);
    o.metrics.ready.set(st.ready ? 1 : 0);
    st.phase = this.c.stopping() ? 'stopping' : 'idle';
    const level = r.outcome === 'noop' ? 'debug' : r.outcome === 'succeeded' ? 'info' : 'warn';
    o.logger[level]({ ...attempt }, `reconcile ${r.outcome}`);
  }

  /** One pass with a valid desired state: writer lock, recovery, observe, plan, apply (unless suspended). */
  private async reconcile(
    desired: Desired,
    trigger: string,
  ): Promise<{ outcome: AttemptOutcome; results: ModuleResult[] }> {
    const { o, follow, books } = this.c;
    const log = o.logger;
    const { rt, registry, cache, notifier } = follow.runtime;
    let held = false;
    const seen: { suspension?: Suspension } = {};
    // The id of the history record each module's operation appends during apply: its events carry it.
    const operations = new Map<string, string>();
    let concluded: { outcome: AttemptOutcome; results: ModuleResult[] } | undefined;
    try {
      const report = await reconcile(
        {
          ...rt,
          store: recordingStore(rt.store, operations, this.c.writer),
          registry,
          cache,
          actor: 'daemon',
        },
        desired,
        // The daemon never adopts: what ringlock did not create at a module's path is reported blocked, and left alone.
        {
          ring: o.ring,
          holder: `ringlock daemon --ring ${o.ring}`,
          lockTimeoutMs: 2_000,
          quickDrift: () => !this.fullDue,
          lockCommit: desired.commit,
          reason: desired.subject,
          tenants: desired.tenants,
          tenantMap: desired.tenantMap,
          ...(desired.committedAt !== undefined
            ? { lockOrder: { at: desired.committedAt, commit: desired.commit } }
            : {}),
          skipHooks: o.skipHooks,
          hookTimeoutMs: o.hookTimeoutMs,
          concurrency: o.concurrency,
        },
        {
          onLockBusy: (e) => log.warn({}, `${e.message}; trying again next tick`),
          onLocked: () => {
            held = true;
            return undefined;
          },
          onRecovered: (r) => log.warn({ module: r.module }, `recovered: ${r.error}`),
          onDriftChecked: (_drift, quick) => {
            if (!quick) this.fullDue = false;
          },
          onSettled: (m) =>
            log.info({ module: m }, `${m}: the lock pins the deployed version again; its failure is cleared`),
          onPlanned: (p, { deployed, drift }) => books.planned(p, deployed, drift, notifier, desired.commit),
          onBlocked: (blocks) => books.announceBlocked(blocks, desired.commit),
          suspended: () => {
            seen.suspension = rt.store.suspension();
            o.metrics.suspended.set(seen.suspension ? 1 : 0);
            return seen.suspension !== undefined;
          },
          select: (p, deployed) => books.selectWork(p, deployed.modules),
          beforeApply: () => {
            operations.clear();
            return this.startApply(desired);
          },
          afterApply: () => {
            this.control = undefined;
          },
          onEvent: (e) => {
            if (e.type === 'module-start')
              log.info(
                { module: e.module, action: e.action, from: e.from, to: e.to },
                `${e.action} ${e.module}`,
              );
            else if (e.type === 'step') log.debug({ module: e.module, step: e.step }, e.step);
            // Housekeeping that failed (trash, pruning): never an outcome, always in the log; retried next pass.
            else if (e.type === 'warning') log.warn({}, e.message);
          },
          // Still holding the writer lease, as before the pass was shared: no other writer starts before these.
          onPassed: async (report: PassReport) => {
            concluded = this.conclude(report, desired, trigger, seen.suspension, operations);
            await this.publish(desired, report.outcome === 'suspended');
          },
        },
      );
      if (report.outcome === 'locked') return { outcome: 'locked', results: [] };
      if (!concluded) throw new InternalError('daemon/pass', 'the pass ended without its report');
      return concluded;
    } finally {
      if (held) this.c.refreshGauge();
    }
  }

  /** What the daemon records of a finished pass: backoff, notifications, the deployment's state, the log. */
  private conclude(
    report: PassReport,
    desired: Desired,
    trigger: string,
    suspension: Suspension | undefined,
    operations: ReadonlyMap<string, string>,
  ): { outcome: AttemptOutcome; results: ModuleResult[] } {
    const { o, books } = this.c;
    if (report.outcome === 'noop') {
      if (!books.hasFailures()) books.markApplied(desired.commit, 'success');
      return { outcome: 'noop', results: [] };
    }
    if (report.outcome === 'suspended') {
      o.logger.info(
        {
          reason: suspension?.reason,
          pending: report.work.actions.filter((a) => a.kind !== 'noop').length,
        },
        'suspended: nothing applied',
      );
      return { outcome: 'suspended', results: [] };
    }
    if (report.outcome === 'planned' || report.outcome === 'declined')
      throw new InternalError('daemon/pass', `a daemon pass cannot end ${report.outcome}`);
    const { results } = report;
    // Warnings of an operation that stood (old versions not pruned, say): in the log, retried on a later pass.
    for (const r of results)
      for (const w of r.warnings ?? []) this.c.o.logger.warn({ module: r.module, commit: desired.commit }, w);
    books.afterApply(results, desired, trigger, operations);
    const superseded = report.outcome === 'superseded';
    const failed = results.some((r) => r.outcome === 'failed' || r.outcome === 'rolled_back');
    if (superseded) this.c.superseded();
    if (!failed && !superseded) books.markApplied(desired.commit, 'success');
    else if (failed) books.reportDeployment(desired.commit, 'failure', summarize(results));
    return { outcome: superseded ? 'superseded' : failed ? 'failed' : 'succeeded', results };
  }

  /**
   * Publishes what the ring has active now, still holding the lease. Never fails the pass: a publisher's error is
   * logged, shown in /status and tried again next pass. While suspended, a new tenants map waits like the hooks it runs.
   */
  private async publish(desired: Desired, suspended: boolean): Promise<void> {
    const { o, follow, publication } = this.c;
    const { rt, publishers } = follow.runtime;
    try {
      const before = publication.published?.snapshot;
      const statuses = await publication.publish(publishers ?? [], {
        ring: o.ring,
        commit: desired.commit,
        tenants: suspended && before ? before.tenants : desired.tenantMap,
        state: rt.store.read(),
        entryFor: rt.target.entryFor?.bind(rt.target),
      });
      for (const s of statuses)
        if (!s.ok)
          o.logger.warn(
            { publisher: s.name, generation: s.generation },
            `publish failed: ${s.error}; tried again next pass`,
          );
      const now = publication.published?.snapshot;
      if (now && now.generation !== before?.generation)
        o.logger.info(
          { generation: now.generation, modules: Object.keys(now.modules).length, commit: now.commit },
          'published the active modules',
        );
    } catch (e) {
      o.logger.warn({ err: e }, 'publish failed; tried again next pass');
    }
  }

  /** Apply starts: GitHub hears of it, and a shutdown or newer commit known already stops it at its first safe point. */
  private startApply(desired: Desired) {
    const { follow, books } = this.c;
    books.reportDeployment(desired.commit, 'in_progress', `applying ${desired.commit.slice(0, 12)}`);
    const control = new RunControl(desired.commit);
    this.control = control;
    // A shutdown or a newer commit that arrived while this run observed and planned: stop at the first safe point.
    if (this.c.stopping()) control.poke();
    else if (follow.desired && follow.desired.commit !== desired.commit) {
      control.newer = follow.desired;
      control.poke();
    }
    return control.supersede;
  }
}

/** The store, noting the id of each history record appended through it (module → its latest record's id). */
function recordingStore(
  store: StateStore,
  ids: Map<string, string>,
  writer?: (holder: string, timeoutMs: number) => Promise<WriterLease>,
): StateStore {
  return {
    kind: store.kind,
    describe: () => store.describe(),
    transaction: (fn) => store.transaction(fn),
    read: () => store.read(),
    write: (s) => store.write(s),
    append: (r) => {
      store.append(r);
      ids.set(r.module, r.id);
    },
    history: (filter) => store.history(filter),
    readJournal: () => store.readJournal(),
    writeJournal: (e, durable) => store.writeJournal(e, durable),
    clearJournal: () => store.clearJournal(),
    removeStaleTemps: () => store.removeStaleTemps(),
    // A shared store's guard before every change to the target: the daemon's runs need it most.
    ...(store.assertWriter ? { assertWriter: () => store.assertWriter?.() } : {}),
    acquireWriter: (holder, timeoutMs) =>
      writer ? writer(holder, timeoutMs) : store.acquireWriter(holder, timeoutMs),
    suspension: () => store.suspension(),
    suspend: (s) => store.suspend(s),
    resume: () => store.resume(),
  };
}
