// The reconcile loop of one ring: fetch the ring's lock from git, validate it, observe the target, plan, apply — on a
// schedule and at once on a webhook. Never two runs at once; a newer commit wins at the next safe point of a run in
// progress; git or lock failures keep the last good state; failing modules back off; everything shows in status().
// This file schedules and runs the loop; follow.ts reads git, pass.ts runs one attempt, bookkeeping.ts reports.

import { killRunningHooks } from '../apply/hooks.js';
import type { LoadedConfig } from '../model/config.js';
import { Publication } from '../publish/publication.js';
import { Bookkeeping } from './bookkeeping.js';
import { ConfigFollower } from './follow.js';
import { Leadership } from './leadership.js';
import { DaemonPass } from './pass.js';
import { every, type Schedule } from './schedule.js';
import { type DaemonStatus, type RunStatus, statusOf } from './status.js';
import type { DaemonOptions } from './types.js';

export type {
  CommitRuntime,
  DaemonOptions,
  DeploymentReporter,
  EventSink,
  NotificationName,
} from './types.js';

const DEFAULT_SCHEDULE = '*/30 * * * * *';
const DEFAULT_FULL_REHASH = '0 */6 * * *';

export class Daemon {
  private readonly o: DaemonOptions;
  private running?: Promise<void>;
  private pending?: { trigger: string; full: boolean };
  private stopping = false;
  private schedules: Schedule[] = [];
  private gitRetry?: NodeJS.Timeout;
  private scheduleKey = '';
  private readonly st: RunStatus = { phase: 'starting', ready: false, drift: new Map(), blocked: 0 };
  private readonly follow: ConfigFollower;
  private readonly books: Bookkeeping;
  /** What the ring has active, as last published (the read API answers from it). */
  readonly publication = new Publication();
  private readonly pass: DaemonPass;
  /** With a shared state store: this replica's leadership (a standby until it holds the ring's writer lease). */
  private readonly leadership?: Leadership;
  private lostReason?: string;
  private onLost?: (reason: string) => void;
  /** Resolves with the reason when this replica lost its writer lease: the caller stops and exits 3. */
  readonly lost: Promise<string>;

  constructor(o: DaemonOptions) {
    this.o = o;
    this.follow = new ConfigFollower(o, {
      stopping: () => this.stopping,
      running: () => this.pass.control,
      onConfig: (config) => this.reschedule(config),
      retryIn: (ms) => this.retryIn(ms),
    });
    this.books = new Bookkeeping(o, this.st, this.follow);
    this.pass = new DaemonPass({
      o,
      st: this.st,
      follow: this.follow,
      books: this.books,
      stopping: () => this.stopping,
      superseded: () => {
        this.pending ??= { trigger: 'superseded', full: false };
      },
      refreshGauge: () => this.refreshModuleGauge(),
      publication: this.publication,
      writer: o.replica ? (holder, timeoutMs) => this.leadership!.writer(holder, timeoutMs) : undefined,
    });
    this.lost = new Promise((r) => {
      this.onLost = r;
    });
    if (o.replica) {
      this.st.phase = 'standby';
      this.leadership = new Leadership({
        store: this.follow.runtime.rt.store,
        holder: o.replica,
        logger: o.logger,
        metrics: o.metrics,
        onLeader: () => this.lead(),
        onLost: (reason) => this.lose(reason),
        onWake: (commit) => {
          o.logger.info({ commit }, 'webhook relayed by a standby');
          this.trigger('webhook');
        },
      });
    }
    this.st.appliedCommit = this.follow.runtime.rt.store.read().lockCommit;
  }

  /** Starts the schedules and the first run; with a shared store, once this replica holds the ring's writer lease. */
  start(): void {
    if (this.leadership) void this.leadership.campaign();
    else this.lead();
  }

  private lead(): void {
    if (this.stopping) return;
    if (this.st.phase === 'standby') {
      this.st.phase = 'starting';
      // What the ring runs now: the last leader's record, until this replica's first run.
      try {
        this.st.appliedCommit = this.follow.runtime.rt.store.read().lockCommit;
      } catch {
        // The run that follows reports the store's error.
      }
    }
    this.reschedule(undefined);
    this.trigger('start');
  }

  /** The writer lease is gone: no new work, the run in progress stops at its next safe point (its writes are refused). */
  private lose(reason: string): void {
    if (this.lostReason !== undefined) return;
    this.lostReason = reason;
    this.stopping = true;
    this.st.phase = 'stopping';
    for (const s of this.schedules) s.stop();
    this.schedules = [];
    clearTimeout(this.gitRetry);
    this.pass.control?.poke();
    // A hook still running belongs to an operation another replica now owns: it must not go on beside the new leader's.
    killRunningHooks();
    this.onLost?.(reason);
  }

  /**
   * Asks for a run. While one runs, the request is coalesced into one follow-up run, and git is fetched at once so a
   * newer commit can supersede the run in progress at its next safe point.
   */
  trigger(trigger: string, opts: { full?: boolean } = {}): void {
    if (this.stopping) return;
    if (this.leadership && this.leadership.role !== 'leader') {
      // A standby does not reconcile: what asks for a run (a webhook, the API) is handed on to the leader.
      if (trigger === 'webhook' || trigger === 'api') this.leadership.relay();
      return;
    }
    if (opts.full) this.pass.fullDue = true;
    if (this.running) {
      this.pending = { trigger, full: (this.pending?.full ?? false) || (opts.full ?? false) };
      this.follow.requestPeek(trigger !== 'schedule');
      return;
    }
    this.running = this.loop(trigger).finally(() => {
      this.running = undefined;
    });
  }

  /** A run asked for while the last one ran (read through a method: the loop reassigns the field). */
  private pendingTrigger(): string | undefined {
    return this.pending?.trigger;
  }

  /** Resolves when no run is in progress (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(trigger: string): Promise<void> {
    let next: string | undefined = trigger;
    while (next !== undefined && !this.stopping) {
      this.pending = undefined;
      await this.pass.tick(next, next !== 'schedule');
      next = this.pendingTrigger();
    }
  }

  /** After a failed fetch: one tick when its backoff ends, so a sparse schedule does not leave the ring waiting. */
  private retryIn(ms: number): void {
    if (this.stopping) return;
    clearTimeout(this.gitRetry);
    this.gitRetry = setTimeout(() => this.trigger('git-retry'), ms + 10);
    this.gitRetry.unref();
  }

  /**
   * Stops taking work, lets the module operation in flight finish (a waiting health check included), and returns
   * within `timeoutMs`: at 3/4 of it a health check still waiting is cut short and the old version put back, and a
   * running hook is killed (its module then fails before the switch, the old version stays).
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.st.phase = 'stopping';
    for (const s of this.schedules) s.stop();
    this.schedules = [];
    clearTimeout(this.gitRetry);
    this.pass.control?.poke();
    const hurry = setTimeout(() => {
      const control = this.pass.control;
      if (control) {
        control.hurry = true;
        control.poke();
      }
      killRunningHooks();
    }, timeoutMs * 0.75);
    let deadline: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.idle(), new Promise((r) => (deadline = setTimeout(r, timeoutMs)))]);
    } finally {
      clearTimeout(hurry);
      clearTimeout(deadline);
    }
    await this.follow.runtime.notifier?.flush(Math.max(500, timeoutMs * 0.1));
    await this.o.source.close();
    await Publication.close(this.follow.runtime.publishers ?? []);
    // The operation in flight is finished: the standby may take over at once.
    this.leadership?.release();
    await this.follow.runtime.rt.store.close?.();
  }

  /** Schedules follow the config of each new commit (flags and env win). */
  private reschedule(config: LoadedConfig | undefined): void {
    const s = (config?.config.schedule ?? {}) as { reconcile?: string; fullRehash?: string };
    const reconcile = this.o.schedule ?? s.reconcile ?? DEFAULT_SCHEDULE;
    const full = this.o.fullRehash ?? s.fullRehash ?? DEFAULT_FULL_REHASH;
    if (this.stopping || `${reconcile}|${full}` === this.scheduleKey) return;
    try {
      const next = [
        every(reconcile, 'schedule.reconcile', () => this.trigger('schedule')),
        every(full, 'schedule.fullRehash', () => this.trigger('full-rehash', { full: true })),
      ];
      for (const old of this.schedules) old.stop();
      this.schedules = next;
      this.scheduleKey = `${reconcile}|${full}`;
      this.o.logger.info({ reconcile, fullRehash: full }, 'schedule');
    } catch (e) {
      this.o.logger.error({ err: e }, 'schedule refused; keeping the previous one');
    }
  }

  private refreshModuleGauge(): void {
    const counts = new Map<string, number>();
    for (const v of this.status().modules) counts.set(v.state, (counts.get(v.state) ?? 0) + 1);
    this.o.metrics.modules.replace([...counts].map(([state, value]) => ({ labels: { state }, value })));
  }

  /** With a shared store both replicas are ready once connected: a standby is ready to take over. */
  get ready(): boolean {
    return this.st.ready || this.leadership !== undefined;
  }

  /** A pass of this process left the target matching the lock (a restart waits for its own first pass). */
  get synced(): boolean {
    return this.st.synced === true;
  }

  private suspension() {
    try {
      return this.follow.runtime.rt.store.suspension();
    } catch {
      // A shared store out of reach: /status still answers; the run's error says why.
      return undefined;
    }
  }

  status(): DaemonStatus {
    const { rt } = this.follow.runtime;
    let deployed = { stateVersion: 1 as const, modules: {}, quarantine: [] } as ReturnType<
      typeof rt.store.read
    >;
    try {
      deployed = rt.store.read();
    } catch {
      // A corrupt state shows up as the run's error.
    }
    const status = statusOf({
      where: {
        ring: this.o.ring,
        repo: this.o.repo,
        branch: this.o.branch,
        path: this.o.path,
        lockPath: this.follow.desired?.lockFile,
        gitDriver: this.o.source.driver,
      },
      run: this.st,
      git: this.follow.git,
      desiredCommit: this.follow.head,
      invalid: this.follow.invalid,
      deployed,
      suspended: this.suspension(),
      retry: this.books.retryView(),
    });
    const publish = this.publication.statuses();
    if (publish.length > 0) status.publish = publish;
    if (!this.leadership) return status;
    const view = this.leadership.view();
    // A standby applies nothing itself: what the ring runs is what the leader last recorded.
    const applied = view.role === 'standby' ? { appliedCommit: deployed.lockCommit } : {};
    return { ...status, ready: this.ready, ...applied, ...view };
  }
}
