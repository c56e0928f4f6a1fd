// The reconcile loop of one ring: fetch the ring's lock from git, validate it, observe the target, plan, apply — on a
// schedule and at once on a webhook. Never two runs at once; a newer commit wins at the next safe point of a run in
// progress; git or lock failures keep the last good state; failing modules back off; everything shows in status().

import { detectConflicts, detectDrift } from '../apply/drift.js';
import { applyPlan, type ModuleResult, recover, type Supersede } from '../apply/engine.js';
import { killRunningHooks } from '../apply/hooks.js';
import { settleRecoveredModules } from '../apply/settle.js';
import type { ArtifactCache } from '../artifacts/cache.js';
import type { ArtifactRegistry } from '../artifacts/registry/types.js';
import { InputError } from '../errors.js';
import type { GitSource } from '../git/types.js';
import type { LoadedConfig } from '../model/config.js';
import { lockEntry } from '../model/lock.js';
import type { LockEntry } from '../model/types.js';
import { plan as planPure } from '../plan/plan.js';
import type { Plan, PlanAction } from '../plan/types.js';
import type { Runtime } from '../runtime/types.js';
import { acquireWriterLock } from '../state/writer-lock.js';
import { Coalesced } from './coalesce.js';
import { type Desired, readDesired } from './desired.js';
import type { Logger } from './logger.js';
import type { DaemonMetrics } from './metrics.js';
import type { NotificationEventName } from './notify.js';
import { every, type Schedule } from './schedule.js';
import {
  type Attempt,
  type AttemptOutcome,
  type DaemonStatus,
  degraded,
  moduleViews,
  type StatusError,
  summarize,
  toStatusError,
} from './status.js';
import { readSuspension } from './suspend.js';

export type NotificationName = NotificationEventName;

export interface EventSink {
  emit(event: NotificationName, data: Record<string, unknown>): void;
  flush(timeoutMs: number): Promise<void>;
}

export interface DeploymentReporter {
  report(input: {
    sha: string;
    environment: string;
    state: 'in_progress' | 'success' | 'failure';
    description: string;
  }): Promise<void>;
}

/** Per-commit settings: resolved again whenever ringlock.yaml at the new commit differs. */
export interface CommitRuntime {
  rt: Runtime;
  registry: ArtifactRegistry;
  cache: ArtifactCache;
  notifier?: EventSink;
  deployments?: DeploymentReporter;
}

export interface DaemonOptions {
  ring: string;
  /** The repository URL without credentials (for status and logs). */
  repo: string;
  branch: string;
  path: string;
  source: GitSource;
  logger: Logger;
  metrics: DaemonMetrics;
  /** Builds the runtime for a commit's config (undefined before any config was read: flags and env only). */
  runtimeFor(config: LoadedConfig | undefined): CommitRuntime;
  skipHooks: boolean;
  hookTimeoutMs: number;
  concurrency: number;
  /** Overrides of the config's schedule section (flags / env). */
  schedule?: string;
  fullRehash?: string;
  selfHeal?: boolean;
  /** Cap of the exponential backoff of git fetches and failing modules. */
  maxBackoffMs: number;
}

const DEFAULT_SCHEDULE = '*/30 * * * * *';
const DEFAULT_FULL_REHASH = '0 */6 * * *';
const now = () => new Date().toISOString();
const sameEntry = (a: LockEntry | undefined, b: LockEntry) =>
  a !== undefined && a.version === b.version && a.sha256 === b.sha256 && a.integrity === b.integrity;
const backoff = (n: number, baseMs: number, capMs: number) =>
  Math.min(capMs, baseMs * 2 ** Math.max(0, n - 1)) * (0.8 + Math.random() * 0.4);

/** The control of one run: aborted when something newer is known; see Supersede. */
class RunControl {
  constructor(readonly commit: string) {}
  readonly ac = new AbortController();
  readonly changed = new EventTarget();
  newer?: Desired;
  /** Shutdown deadline close: waiting health checks stop and put the old version back. */
  hurry = false;
  readonly supersede: Supersede = {
    signal: this.ac.signal,
    changed: this.changed,
    stillWanted: (m, e) =>
      !this.hurry && (this.newer === undefined || sameEntry(lockEntry(this.newer.lock, m), e)),
  };
  poke(): void {
    if (!this.ac.signal.aborted) this.ac.abort();
    this.changed.dispatchEvent(new Event('change'));
  }
}

export class Daemon {
  private readonly o: DaemonOptions;
  private readonly log: Logger;
  private running?: Promise<void>;
  private pending?: { trigger: string; full: boolean };
  private control?: RunControl;
  private stopping = false;
  private gitChain: Promise<unknown> = Promise.resolve();
  /** Fetches during a run, one at a time (a burst of triggers must not queue a fetch each). */
  private readonly peeks = new Coalesced<boolean>(
    (force) => this.peek(force),
    (a, b) => a === true || b,
    () => this.stopping,
  );
  private git = {
    failures: 0,
    nextAt: 0,
    lastFetchMs: undefined as number | undefined,
    lastError: undefined as StatusError | undefined,
  };
  private head?: string;
  private desired?: Desired;
  private invalid?: StatusError;
  private runtime: CommitRuntime;
  private runtimeKey = '';
  private schedules: Schedule[] = [];
  private scheduleKey = '';
  private fullDue = true;
  private moduleBackoff = new Map<string, { key: string; failures: number; at: number; error: string }>();
  private lastDriftKey = '';
  private reportedCommit?: string;
  private st: {
    phase: DaemonStatus['phase'];
    ready: boolean;
    appliedCommit?: string;
    lastAttempt?: Attempt;
    lastSuccess?: Attempt;
    lastRunError?: StatusError;
    plan?: Plan;
    drift: Map<string, string>;
    blocked: number;
  } = { phase: 'starting', ready: false, drift: new Map(), blocked: 0 };

  constructor(o: DaemonOptions) {
    this.o = o;
    this.log = o.logger;
    this.runtime = o.runtimeFor(undefined);
    this.st.appliedCommit = this.runtime.rt.store.read().lockCommit;
  }

  get stateDir(): string {
    return this.runtime.rt.store.dir;
  }

  /** Starts the schedules and the first run. */
  start(): void {
    this.reschedule(undefined);
    this.trigger('start');
  }

  /**
   * Asks for a run. While one runs, the request is coalesced into one follow-up run, and git is fetched at once so a
   * newer commit can supersede the run in progress at its next safe point.
   */
  trigger(trigger: string, opts: { full?: boolean } = {}): void {
    if (this.stopping) return;
    if (opts.full) this.fullDue = true;
    if (this.running) {
      this.pending = { trigger, full: (this.pending?.full ?? false) || (opts.full ?? false) };
      this.peeks.request(trigger !== 'schedule');
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
      await this.tick(next, next !== 'schedule');
      next = this.pendingTrigger();
    }
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
    this.control?.poke();
    const hurry = setTimeout(() => {
      if (this.control) {
        this.control.hurry = true;
        this.control.poke();
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
    await this.runtime.notifier?.flush(Math.max(500, timeoutMs * 0.1));
    await this.o.source.close();
  }

  /** Fetches and reads the newest desired state (serialized: one git operation at a time). */
  private fetch(force: boolean): Promise<void> {
    const run = async () => {
      if (!force && Date.now() < this.git.nextAt) return;
      const t0 = Date.now();
      let commit: string;
      try {
        const r = await this.o.source.sync();
        commit = r.commit;
        this.git.lastFetchMs = r.fetchMs;
        this.o.metrics.gitFetchSeconds.observe(r.fetchMs / 1000);
        if (this.git.failures > 0) this.log.info({ commit, after: this.git.failures }, 'git reachable again');
        this.git.failures = 0;
        this.git.nextAt = 0;
        this.git.lastError = undefined;
        if (r.forced)
          this.log.warn({ commit, previous: r.previous }, 'branch was force-pushed; following the new tip');
      } catch (e) {
        this.git.failures++;
        const wait = backoff(this.git.failures, 2_000, this.o.maxBackoffMs);
        this.git.nextAt = Date.now() + wait;
        this.git.lastError = toStatusError(e, undefined);
        this.o.metrics.gitFailures.inc({ code: this.git.lastError.code });
        this.o.metrics.gitFetchSeconds.observe((Date.now() - t0) / 1000);
        this.log.warn(
          { code: this.git.lastError.code, failures: this.git.failures, retryInMs: Math.round(wait) },
          `git fetch failed: ${this.git.lastError.message}`,
        );
        return;
      }
      this.head = commit;
      if (this.invalid && this.invalid.commit !== commit) this.invalid = undefined;
      if (this.desired?.commit === commit || this.invalid?.commit === commit) return;
      try {
        const d = await readDesired(this.o.source, commit, this.o.path, this.o.ring);
        // Settings first: a config the operator's policy refuses makes the commit invalid, never half-adopted.
        this.adopt(d.config);
        this.desired = d;
        this.invalid = undefined;
        this.log.info(
          { commit, lockFile: d.lockFile, modules: Object.keys(d.lock.modules).length },
          'new desired state',
        );
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        this.invalid = toStatusError(e, commit);
        this.log.error(
          {
            commit,
            code: e.code,
            file: e.file,
            line: e.line,
            column: e.column,
            diagnostics: e.diagnostics(),
          },
          `invalid desired state at ${commit.slice(0, 12)}: nothing is applied until a valid commit arrives`,
        );
        this.runtime.notifier?.emit('reconcile.failed', { commit, reason: 'invalid', error: this.invalid });
      }
    };
    // What the driver parsed to read this commit is not needed until the next fetch: an idle daemon keeps none of it.
    const runAndRelease = () => run().finally(() => this.o.source.releaseCaches());
    const p = this.gitChain.then(runAndRelease, runAndRelease);
    this.gitChain = p.catch(() => {});
    return p;
  }

  /** During a run: fetch now; a valid newer commit supersedes the run at its next safe point. */
  private async peek(force: boolean): Promise<void> {
    try {
      await this.fetch(force);
    } catch (e) {
      this.log.error({ err: e }, 'reading the newer desired state failed');
      return;
    }
    const c = this.control;
    if (c && this.desired && this.desired.commit !== c.commit && c.newer?.commit !== this.desired.commit) {
      c.newer = this.desired;
      this.log.info(
        { commit: this.desired.commit },
        'newer commit: the run in progress stops at its next safe point',
      );
      c.poke();
    }
  }

  /** Settings and schedules follow the config of each new commit. */
  private adopt(config: LoadedConfig): void {
    const key = JSON.stringify([
      config.config.registry,
      config.config.target,
      config.config.state,
      config.config.health,
      config.config.notifications,
    ]);
    if (key !== this.runtimeKey) {
      this.runtime = this.o.runtimeFor(config);
      this.runtimeKey = key;
    }
    this.reschedule(config);
  }

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
      this.log.info({ reconcile, fullRehash: full }, 'schedule');
    } catch (e) {
      this.log.error({ err: e }, 'schedule refused; keeping the previous one');
    }
  }

  private selfHeal(): boolean {
    const s = this.desired?.config.config.schedule as { selfHeal?: boolean } | undefined;
    return this.o.selfHeal ?? s?.selfHeal ?? true;
  }

  private async tick(trigger: string, forceFetch: boolean): Promise<void> {
    const t0 = Date.now();
    const startedAt = now();
    this.st.phase = 'reconciling';
    let outcome: AttemptOutcome = 'noop';
    let results: ModuleResult[] = [];
    let commit: string | undefined;
    try {
      await this.fetch(forceFetch);
      const desired = this.desired;
      // The commit this attempt judged: the invalid head when that is what it refused.
      const refused = this.invalid && this.invalid.commit === this.head ? this.invalid : undefined;
      commit = refused ? refused.commit : desired?.commit;
      if (refused) outcome = 'invalid';
      else if (!desired) outcome = 'git-error';
      else ({ outcome, results } = await this.reconcile(desired, trigger));
      if (outcome !== 'git-error' && outcome !== 'invalid' && outcome !== 'locked') this.st.ready = true;
      if (this.git.lastError && outcome === 'noop') outcome = 'git-error';
      this.st.lastRunError = undefined;
    } catch (e) {
      outcome = 'failed';
      this.st.lastRunError = toStatusError(e, commit);
      this.log.error(
        { err: e, code: this.st.lastRunError.code },
        `reconcile failed: ${this.st.lastRunError.message}`,
      );
      this.runtime.notifier?.emit('reconcile.failed', {
        commit,
        reason: 'error',
        error: this.st.lastRunError,
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
    this.st.lastAttempt = attempt;
    if (r.outcome === 'succeeded' || r.outcome === 'noop') {
      this.st.lastSuccess = attempt;
      this.o.metrics.lastSuccess.set(Math.floor(Date.now() / 1000));
    }
    this.o.metrics.reconciles.inc({ outcome: r.outcome });
    this.o.metrics.reconcileSeconds.observe(durationMs / 1000);
    this.o.metrics.ready.set(this.st.ready ? 1 : 0);
    this.st.phase = this.stopping ? 'stopping' : 'idle';
    const level = r.outcome === 'noop' ? 'debug' : r.outcome === 'succeeded' ? 'info' : 'warn';
    this.log[level]({ ...attempt }, `reconcile ${r.outcome}`);
  }

  /** One pass with a valid desired state: writer lock, recovery, observe, plan, apply (unless suspended). */
  private async reconcile(
    desired: Desired,
    trigger: string,
  ): Promise<{ outcome: AttemptOutcome; results: ModuleResult[] }> {
    const { rt, registry, cache, notifier } = this.runtime;
    let writer: { release(): void };
    try {
      writer = await acquireWriterLock(rt.store.dir, `ringlock daemon --ring ${this.o.ring}`, 2_000);
    } catch (e) {
      if (e instanceof InputError && e.code === 'target/locked') {
        this.log.warn({}, `${e.message}; trying again next tick`);
        return { outcome: 'locked', results: [] };
      }
      throw e;
    }
    try {
      const recovered = recover(rt, 'daemon');
      if (recovered) this.log.warn({ module: recovered.module }, `recovered: ${recovered.error}`);
      const deployed = rt.store.read();
      const full = this.fullDue;
      const drift = await detectDrift(rt.target, deployed, !full);
      if (full) this.fullDue = false;
      // The daemon never adopts: what ringlock did not create at a module's path is reported blocked, and left alone.
      const conflicts = detectConflicts(rt.target, deployed, Object.keys(desired.lock.modules));
      const p = planPure({ lock: desired.lock, deployed, drift, conflicts, policy: { prune: rt.prune } });
      for (const m of settleRecoveredModules(rt.store, p))
        this.log.info(
          { module: m },
          `${m}: the lock pins the deployed version again; its failure is cleared`,
        );
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
      this.reportDrift(notifier, desired.commit);
      this.o.metrics.drift.set(this.st.drift.size);
      this.st.blocked = p.actions.filter((a) => a.kind === 'blocked').length;
      const suspended = readSuspension(rt.store.dir);
      this.o.metrics.suspended.set(suspended ? 1 : 0);
      const work = this.selectWork(p, deployed.modules);
      if (work.actions.every((a) => a.kind === 'noop' || a.kind === 'blocked')) {
        if (!this.hasFailures()) this.markApplied(desired.commit, 'success');
        return { outcome: 'noop', results: [] };
      }
      if (suspended) {
        this.log.info(
          { reason: suspended.reason, pending: work.actions.filter((a) => a.kind !== 'noop').length },
          'suspended: nothing applied',
        );
        return { outcome: 'suspended', results: [] };
      }
      this.reportDeployment(desired.commit, 'in_progress', `applying ${desired.commit.slice(0, 12)}`);
      const control = new RunControl(desired.commit);
      this.control = control;
      // A shutdown or a newer commit that arrived while this run observed and planned: stop at the first safe point.
      if (this.stopping) control.poke();
      else if (this.desired && this.desired.commit !== desired.commit) {
        control.newer = this.desired;
        control.poke();
      }
      let results: ModuleResult[];
      try {
        results = await applyPlan(
          work,
          desired.lock,
          {
            target: rt.target,
            store: rt.store,
            registry,
            cache,
            supersede: control.supersede,
            onEvent: (e) => {
              if (e.type === 'module-start')
                this.log.info(
                  { module: e.module, action: e.action, from: e.from, to: e.to },
                  `${e.action} ${e.module}`,
                );
              else if (e.type === 'step') this.log.debug({ module: e.module, step: e.step }, e.step);
            },
          },
          {
            ring: this.o.ring,
            actor: 'daemon',
            lockCommit: desired.commit,
            platform: desired.lock.platform,
            skipHooks: this.o.skipHooks,
            hookTimeoutMs: this.o.hookTimeoutMs,
            health: rt.health,
            moduleEnv: rt.moduleEnv,
            keepVersions: rt.keepVersions,
            concurrency: this.o.concurrency,
          },
        );
      } finally {
        this.control = undefined;
      }
      this.afterApply(results, desired, trigger);
      const superseded = results.some(
        (r) => r.outcome === 'superseded' || (r.outcome === 'skipped' && /superseded/.test(r.error ?? '')),
      );
      const failed = results.some((r) => r.outcome === 'failed' || r.outcome === 'rolled_back');
      if (superseded) this.pending ??= { trigger: 'superseded', full: false };
      if (!failed && !superseded) this.markApplied(desired.commit, 'success');
      else if (failed) this.reportDeployment(desired.commit, 'failure', summarize(results));
      return { outcome: superseded ? 'superseded' : failed ? 'failed' : 'succeeded', results };
    } finally {
      writer.release();
      this.refreshModuleGauge();
    }
  }

  /** The plan minus what must wait: modules backing off after a failure, and — without self-heal — out-of-band changes. */
  private selectWork(p: Plan, deployed: Record<string, { origin: string } | undefined>): Plan {
    const heal = this.selfHeal();
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
      if (!heal && outOfBand && (a.kind === 'reinstall' || this.st.appliedCommit === this.desired?.commit))
        return { ...a, kind: 'blocked', reason: 'out-of-band change; selfHeal is off, reported only' };
      return a;
    });
    return { ...p, actions };
  }

  private afterApply(results: ModuleResult[], desired: Desired, trigger: string): void {
    const notifier = this.runtime.notifier;
    for (const r of results) {
      const entry = lockEntry(desired.lock, r.module);
      const data = {
        module: r.module,
        action: r.action,
        from: r.from,
        to: r.to,
        commit: desired.commit,
        trigger,
        error: r.error,
      };
      if (r.outcome === 'succeeded') {
        this.moduleBackoff.delete(r.module);
        if (r.action !== 'remove')
          notifier?.emit(r.action === 'install' ? 'module.installed' : 'module.upgraded', data);
        this.log.info(data, `${r.module} ${r.action} succeeded`);
      } else if (r.outcome === 'rolled_back') {
        this.moduleBackoff.delete(r.module);
        notifier?.emit('module.rolled_back', data);
        this.log.warn(data, `${r.module} rolled back: ${r.error}`);
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
        this.log.error({ ...data, code: r.code, failures }, `${r.module} failed: ${r.error}`);
      } else if (r.outcome === 'superseded') {
        this.log.info(data, `${r.module}: ${r.error}`);
      }
    }
    if (results.some((r) => r.outcome === 'failed' || r.outcome === 'rolled_back'))
      notifier?.emit('reconcile.failed', {
        commit: desired.commit,
        reason: 'modules',
        summary: summarize(results),
      });
  }

  private hasFailures(): boolean {
    return this.moduleBackoff.size > 0;
  }

  private markApplied(commit: string, state: 'success'): void {
    this.st.appliedCommit = commit;
    this.reportDeployment(commit, state, `ring ${this.o.ring} runs ${commit.slice(0, 12)}`);
  }

  private reportDeployment(
    commit: string,
    state: 'in_progress' | 'success' | 'failure',
    description: string,
  ): void {
    const key = `${commit}:${state}`;
    if (this.reportedCommit === key || !this.runtime.deployments) return;
    this.reportedCommit = key;
    this.runtime.deployments
      .report({ sha: commit, environment: this.o.ring, state, description })
      .catch((e: unknown) => this.log.warn({ err: e, commit }, 'reporting the deployment to GitHub failed'));
  }

  private reportDrift(notifier: EventSink | undefined, commit: string): void {
    const key = JSON.stringify([...this.st.drift].sort());
    if (key === this.lastDriftKey) return;
    this.lastDriftKey = key;
    if (this.st.drift.size === 0) return;
    const modules = [...this.st.drift].map(([module, reason]) => ({ module, reason }));
    this.log.warn(
      { drift: modules, selfHeal: this.selfHeal() },
      `drift detected in ${modules.length} module(s)`,
    );
    notifier?.emit('drift.detected', { commit, modules, selfHeal: this.selfHeal() });
  }

  private refreshModuleGauge(): void {
    const counts = new Map<string, number>();
    for (const v of this.status().modules) counts.set(v.state, (counts.get(v.state) ?? 0) + 1);
    this.o.metrics.modules.replace([...counts].map(([state, value]) => ({ labels: { state }, value })));
  }

  get ready(): boolean {
    return this.st.ready;
  }

  status(): DaemonStatus {
    const { rt } = this.runtime;
    let deployed = { stateVersion: 1 as const, modules: {}, quarantine: [] } as ReturnType<
      typeof rt.store.read
    >;
    try {
      deployed = rt.store.read();
    } catch {
      // A corrupt state shows up as the run's error.
    }
    const suspended = readSuspension(rt.store.dir);
    const retry = new Map([...this.moduleBackoff].map(([m, b]) => [m, { at: b.at, error: b.error }]));
    const lastError = this.invalid ?? this.st.lastRunError ?? this.git.lastError;
    const modules = moduleViews(this.st.plan, deployed, this.st.drift, retry);
    const degradedReason = degraded({
      invalid: this.invalid,
      git: this.git.lastError,
      run: this.st.lastRunError,
      modules,
      blocked: this.st.blocked,
    });
    return {
      ring: this.o.ring,
      repo: this.o.repo,
      branch: this.o.branch,
      path: this.o.path,
      lockPath: this.desired?.lockFile,
      gitDriver: this.o.source.driver,
      phase: this.st.phase,
      ready: this.st.ready,
      health: suspended ? 'suspended' : degradedReason ? 'degraded' : 'ok',
      degradedReason,
      desiredCommit: this.head,
      appliedCommit: this.st.appliedCommit,
      lastAttempt: this.st.lastAttempt,
      lastSuccess: this.st.lastSuccess,
      lastError,
      git: {
        failures: this.git.failures,
        nextAttemptAt: this.git.nextAt > Date.now() ? new Date(this.git.nextAt).toISOString() : undefined,
        lastFetchMs: this.git.lastFetchMs,
      },
      suspended,
      modules,
      drift: [...this.st.drift].map(([module, reason]) => ({ module, reason })),
      quarantined: deployed.quarantine,
    };
  }
}
