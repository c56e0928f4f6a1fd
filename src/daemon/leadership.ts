// One writer among replicas (a shared state store): the daemon waits as a standby to lead its ring (a lease of its
// own, `leader/<ring>`), leads while it holds it — each pass takes the ring's writer lease — and hands it back at
// shutdown. A lost lease is the end of this
// process (the caller exits 3; Kubernetes restarts it as a standby): the store's fence refuses its writes anyway.
import { OperationFailed } from '../errors.js';
import type { LeaseInfo, StateStore, WriterLease } from '../state/types.js';
import type { Logger } from './logger.js';
import type { DaemonMetrics } from './metrics.js';

export type Role = 'standby' | 'leader';

/** What /status tells of leadership. */
export interface LeadershipView {
  role: Role;
  /** This replica's name as a lease holder. */
  replica: string;
  /** Who leads now, as the store tells it (undefined: nobody holds the lease). */
  leader?: LeaseInfo;
}

export interface LeadershipOptions {
  store: StateStore;
  holder: string;
  logger: Logger;
  metrics: DaemonMetrics;
  /** This replica now leads: start following git. */
  onLeader(): void;
  /** The lease is gone (or could not be waited for): stop at once. */
  onLost(reason: string): void;
  /** A webhook relayed by a standby (leader only). */
  onWake(commit: string | undefined): void;
}

export class Leadership {
  role: Role = 'standby';
  private lease?: WriterLease;
  private closed = false;
  /** The lost-lease handlers of the passes in progress (each pass registers its own; dropped when it ends). */
  private readonly passHandlers = new Set<(reason: string) => void>();

  constructor(private readonly o: LeadershipOptions) {
    o.metrics.leader.set(0);
  }

  /** Waits as a standby for the lease, then leads. Never throws: a failure ends in onLost. */
  async campaign(): Promise<void> {
    const { store, holder, logger, metrics } = this.o;
    const before = this.leader();
    logger.info(
      { holder, leader: before?.holder, token: before?.token, since: before?.since },
      `standby: waiting for ${before?.holder ?? 'the free lease'}`,
    );
    let lease: WriterLease;
    try {
      lease = store.acquireLeadership
        ? await store.acquireLeadership(holder, Number.POSITIVE_INFINITY)
        : await store.acquireWriter(holder, Number.POSITIVE_INFINITY);
    } catch (e) {
      if (this.closed) return;
      const reason = `waiting to lead the ring failed: ${(e as Error).message}`;
      logger.error({ err: e, holder }, `${reason}; stopping`);
      this.o.onLost(reason);
      return;
    }
    if (this.closed) {
      lease.release();
      return;
    }
    this.lease = lease;
    this.role = 'leader';
    lease.onLost?.((reason) => this.lost(reason));
    metrics.leader.set(1);
    metrics.takeovers.inc();
    const now = this.leader();
    logger.info(
      { holder, token: now?.token, previous: before?.holder, previousToken: before?.token },
      'became leader',
    );
    try {
      await store.onWake?.((commit) => {
        if (this.role === 'leader') this.o.onWake(commit);
      });
    } catch (e) {
      logger.warn(
        { err: e },
        'cannot listen for webhooks relayed by a standby: this leader follows its schedule and its own webhooks only',
      );
    }
    if (this.role === 'leader' && !this.closed) this.o.onLeader();
  }

  private lost(reason: string): void {
    if (this.role !== 'leader') return;
    this.role = 'standby';
    this.lease = undefined;
    this.o.metrics.leader.set(0);
    this.o.logger.error({ reason, holder: this.o.holder }, `lost the lease: ${reason}; stopping`);
    for (const h of this.passHandlers) h(reason);
    this.o.onLost(reason);
  }

  /**
   * A pass's writer lease. With a store that leads by a lease of its own (PostgreSQL: `leader/<ring>`), the pass takes
   * the ring's writer lease like any writer, so a `ringlock retry` or `install` still gets its turn between passes; a
   * writer lease lost mid-pass ends this replica's leadership too. Otherwise the pass shares the lease this replica
   * leads by (its release leaves that lease held).
   */
  async writer(holder: string, timeoutMs: number): Promise<WriterLease> {
    if (!this.lease || this.role !== 'leader')
      throw new OperationFailed('state/lease-lost', `${this.o.holder} does not lead the ring`);
    const mine = new Set<(reason: string) => void>();
    const own = this.o.store.acquireLeadership
      ? await this.o.store.acquireWriter(holder, timeoutMs)
      : undefined;
    own?.onLost?.((reason) => this.lost(reason));
    return {
      release: () => {
        for (const h of mine) this.passHandlers.delete(h);
        own?.release();
      },
      onLost: (h) => {
        mine.add(h);
        this.passHandlers.add(h);
      },
    };
  }

  /** A standby hands a verified webhook on to the leader. */
  relay(commit?: string): void {
    try {
      this.o.store.wake?.(commit);
      this.o.logger.info({ commit, leader: this.leader()?.holder }, 'webhook relayed to the leader');
    } catch (e) {
      this.o.logger.warn(
        { err: e },
        'relaying the webhook to the leader failed: it finds the commit at its next tick',
      );
    }
  }

  /** Hands the lease back (shutdown, after the operation in flight): a standby takes over at its next look. */
  release(): void {
    this.closed = true;
    const lease = this.lease;
    this.lease = undefined;
    if (!lease) return;
    this.role = 'standby';
    this.o.metrics.leader.set(0);
    lease.release();
    this.o.logger.info({ holder: this.o.holder }, 'released the writer lease');
  }

  private leader(): LeaseInfo | undefined {
    try {
      return this.o.store.leaseInfo?.();
    } catch {
      return undefined;
    }
  }

  view(): LeadershipView {
    return { role: this.role, replica: this.o.holder, leader: this.leader() };
  }
}
