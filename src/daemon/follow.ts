// Follows the ring's branch: fetches git (one operation at a time, backing off while it fails), reads and validates
// the desired state at each new commit, adopts that commit's settings, and lets a newer commit supersede a run.
import { InputError } from '../errors.js';
import type { LoadedConfig } from '../model/config.js';
import { Coalesced } from './coalesce.js';
import { type Desired, readDesired } from './desired.js';
import type { RunControl } from './run-control.js';
import { backoff } from './schedule.js';
import { type GitStatus, type StatusError, toStatusError } from './status.js';
import type { CommitRuntime, DaemonOptions } from './types.js';

export interface FollowHooks {
  stopping(): boolean;
  /** The control of the apply run in progress, if any. */
  running(): RunControl | undefined;
  /** A new commit's config was adopted (the daemon reschedules). */
  onConfig(config: LoadedConfig): void;
  /** A fetch failed: try again in `ms` (the backoff), not only at the next scheduled tick. */
  retryIn(ms: number): void;
}

export class ConfigFollower {
  readonly git: GitStatus = { failures: 0, nextAt: 0, lastFetchMs: undefined, lastError: undefined };
  /** The branch's tip at the last fetch. */
  head?: string;
  /** The newest valid desired state. */
  desired?: Desired;
  /** Why the head's desired state was refused. */
  invalid?: StatusError;
  runtime: CommitRuntime;
  private runtimeKey = '';
  private gitChain: Promise<unknown> = Promise.resolve();
  /** Fetches during a run, one at a time (a burst of triggers must not queue a fetch each). */
  private readonly peeks: Coalesced<boolean>;

  constructor(
    private readonly o: DaemonOptions,
    private readonly hooks: FollowHooks,
  ) {
    this.peeks = new Coalesced<boolean>(
      (force) => this.peek(force),
      (a, b) => a === true || b,
      () => this.hooks.stopping(),
    );
    this.runtime = o.runtimeFor(undefined);
  }

  /** Fetches and reads the newest desired state (serialized: one git operation at a time). */
  fetch(force: boolean): Promise<void> {
    const log = this.o.logger;
    const run = async () => {
      if (!force && Date.now() < this.git.nextAt) return;
      const t0 = Date.now();
      let commit: string;
      let subject: string | undefined;
      let committedAt: number | undefined;
      try {
        const r = await this.o.source.sync();
        commit = r.commit;
        subject = r.subject;
        committedAt = r.committedAt;
        this.git.lastFetchMs = r.fetchMs;
        this.o.metrics.gitFetchSeconds.observe(r.fetchMs / 1000);
        if (this.git.failures > 0) log.info({ commit, after: this.git.failures }, 'git reachable again');
        this.git.failures = 0;
        this.git.nextAt = 0;
        this.git.lastError = undefined;
        if (r.forced)
          log.warn({ commit, previous: r.previous }, 'branch was force-pushed; following the new tip');
      } catch (e) {
        this.git.failures++;
        const wait = backoff(this.git.failures, 2_000, this.o.maxBackoffMs);
        this.git.nextAt = Date.now() + wait;
        this.git.lastError = toStatusError(e, undefined);
        this.o.metrics.gitFailures.inc({ code: this.git.lastError.code });
        this.o.metrics.gitFetchSeconds.observe((Date.now() - t0) / 1000);
        log.warn(
          { code: this.git.lastError.code, failures: this.git.failures, retryInMs: Math.round(wait) },
          `git fetch failed: ${this.git.lastError.message}`,
        );
        this.hooks.retryIn(wait);
        return;
      }
      this.head = commit;
      if (this.invalid && this.invalid.commit !== commit) this.invalid = undefined;
      if (this.desired?.commit === commit || this.invalid?.commit === commit) return;
      try {
        const d = await readDesired(this.o.source, commit, this.o.path, this.o.ring);
        // Settings first: a config the operator's policy refuses makes the commit invalid, never half-adopted.
        this.adopt(d.config);
        this.desired = {
          ...d,
          ...(subject !== undefined ? { subject } : {}),
          ...(committedAt !== undefined ? { committedAt } : {}),
        };
        this.invalid = undefined;
        log.info(
          { commit, lockFile: d.lockFile, modules: Object.keys(d.lock.modules).length },
          'new desired state',
        );
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        this.invalid = toStatusError(e, commit);
        log.error(
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

  /** During a run: fetch now (coalesced); a valid newer commit supersedes the run at its next safe point. */
  requestPeek(force: boolean): void {
    this.peeks.request(force);
  }

  private async peek(force: boolean): Promise<void> {
    try {
      await this.fetch(force);
    } catch (e) {
      this.o.logger.error({ err: e }, 'reading the newer desired state failed');
      return;
    }
    const c = this.hooks.running();
    if (c && this.desired && this.desired.commit !== c.commit && c.newer?.commit !== this.desired.commit) {
      c.newer = this.desired;
      this.o.logger.info(
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
    this.hooks.onConfig(config);
  }

  /** Whether out-of-band changes are repaired (flag, else the desired config's schedule.selfHeal, else yes). */
  selfHeal(): boolean {
    const s = this.desired?.config.config.schedule as { selfHeal?: boolean } | undefined;
    return this.o.selfHeal ?? s?.selfHeal ?? true;
  }
}
