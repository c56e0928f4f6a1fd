// The PostgreSQL state store (`state.type: postgres`): the same seam as the file store, one ring's state in a schema
// other tools can read. Calls go to a worker thread (bridge.ts) and wait for it, so they are synchronous like the
// file store's. Writes need the ring's writer lease (fenced by its token); the steps that write several things at
// once (state, history, journal) do it in one transaction (transaction()).

import { OperationFailed } from '../../errors.js';
import { refuseFileInFlight } from '../file-in-flight.js';
import { copyState, freezeEntries } from '../frozen.js';
import type {
  DeployedState,
  HistoryRecord,
  JournalEntry,
  LeaseInfo,
  StateStore,
  Suspension,
  WriterLease,
} from '../types.js';
import { PgBridge } from './bridge.js';
import type { PgBatch } from './ops.js';
import { assertRing, dbAddress, type PgStoreOptions } from './options.js';

export class PostgresStateStore implements StateStore {
  readonly kind = 'postgres';
  private bridgeOf?: PgBridge;
  /** The state this process holds the lease for and last wrote or read: only the lease holder writes it. */
  private cached?: DeployedState;
  private batch?: PgBatch;
  /** The journal as this lease holder last read or wrote it (only the holder writes it): null when there is none. */
  private journal?: JournalEntry | null;
  private leased = false;
  private readonly lostHandlers = new Set<(reason: string) => void>();
  private readonly leaderLostHandlers = new Set<(reason: string) => void>();
  private readonly wakeHandlers = new Set<(commit: string | undefined) => void>();

  constructor(readonly options: PgStoreOptions) {}

  describe(): string {
    return `postgres ${dbAddress(this.options.url)} schema ${this.options.schema} ring ${this.options.ring}`;
  }

  private get bridge(): PgBridge {
    if (!this.bridgeOf) {
      assertRing(this.options);
      const b = new PgBridge(this.options);
      b.onLost = (reason, role) => {
        if (role === 'leader') {
          for (const h of this.leaderLostHandlers) h(reason);
          return;
        }
        this.leased = false;
        this.cached = undefined;
        this.journal = undefined;
        for (const h of this.lostHandlers) h(reason);
      };
      b.onWake = (commit) => {
        for (const h of this.wakeHandlers) h(commit);
      };
      this.bridgeOf = b;
    }
    return this.bridgeOf;
  }

  /** Connects and migrates now (the daemon's start), instead of at the first use. */
  open(): void {
    this.bridge.call('init');
  }

  read(): DeployedState {
    if (this.batch?.state) return copyState(this.batch.state);
    if (this.leased && this.cached) return copyState(this.cached);
    const s = this.bridge.call<DeployedState>('read');
    freezeEntries(s);
    if (this.leased) this.cached = s;
    return copyState(s);
  }

  private commit(b: PgBatch): void {
    if (this.batch) {
      if (b.state) this.batch.state = b.state;
      if (b.records) this.batch.records = [...(this.batch.records ?? []), ...b.records];
      if (b.journal !== undefined) {
        this.batch.journal = b.journal;
        this.batch.durable = b.durable;
      }
      return;
    }
    this.send(b);
  }

  private send(b: PgBatch): void {
    try {
      this.bridge.call('commit', b);
      if (this.leased && b.journal !== undefined) this.journal = b.journal;
    } catch (e) {
      this.cached = undefined;
      this.journal = undefined;
      throw e;
    }
  }

  write(state: DeployedState): void {
    const kept = copyState(state);
    freezeEntries(kept);
    this.commit({ state: kept });
    if (this.leased) this.cached = kept;
  }

  append(record: HistoryRecord): void {
    this.commit({ records: [record] });
  }

  history(filter?: { module?: string }): HistoryRecord[] {
    const stored = this.bridge.call<HistoryRecord[]>('history', filter?.module);
    const pending = (this.batch?.records ?? []).filter(
      (r) => filter?.module === undefined || r.module === filter.module,
    );
    return pending.length > 0 ? [...stored, ...pending] : stored;
  }

  readJournal(): JournalEntry | undefined {
    if (this.batch && this.batch.journal !== undefined) return this.batch.journal ?? undefined;
    if (this.leased && this.journal !== undefined) return this.journal ?? undefined;
    const j = this.bridge.call<JournalEntry | undefined>('readJournal');
    if (this.leased) this.journal = j ?? null;
    return j;
  }

  writeJournal(entry: JournalEntry, durable = true): void {
    this.commit({ journal: entry, durable });
  }

  clearJournal(): void {
    this.commit({ journal: null });
  }

  /** Several writes as one transaction: all of them are stored, or none (a crash or error inside stores nothing). */
  transaction<T>(fn: () => T): T {
    if (this.batch) return fn();
    this.batch = {};
    let b: PgBatch;
    try {
      const v = fn();
      b = this.batch;
      this.batch = undefined;
      if (b.state || b.records || b.journal !== undefined) this.send(b);
      return v;
    } catch (e) {
      this.batch = undefined;
      this.cached = undefined;
      this.journal = undefined;
      throw e;
    }
  }

  /**
   * Before each change to the target: refuses (`state/lease-lost`) unless this process holds the writer lease and has
   * renewed it recently enough that nobody can have taken it over — the target is shared, and only the state's
   * writes are fenced by the database.
   */
  assertWriter(): void {
    if (this.bridge.call<boolean>('current')) return;
    throw new OperationFailed(
      'state/lease-lost',
      `ring "${this.options.ring}": this process no longer holds the writer lease (lost, or not renewed in time); it changes nothing more`,
    );
  }

  /** Nothing half-written is left in a database by a killed writer: its transaction was rolled back. */
  removeStaleTemps(): void {}

  async acquireWriter(holder: string, timeoutMs: number): Promise<WriterLease> {
    // A target that ran on files with an operation cut short: that operation is recovered from the files first.
    if (this.options.fileStateDir) refuseFileInFlight(this.options.fileStateDir, 'a writer');
    await this.bridge.callAsync('acquire', holder, timeoutMs);
    this.leased = true;
    this.cached = undefined;
    this.journal = undefined;
    let released = false;
    const handlers: ((reason: string) => void)[] = [];
    const onLost = (reason: string) => {
      for (const h of handlers) h(reason);
    };
    this.lostHandlers.add(onLost);
    return {
      release: () => {
        if (released) return;
        released = true;
        this.lostHandlers.delete(onLost);
        this.leased = false;
        this.cached = undefined;
        this.journal = undefined;
        try {
          this.bridge.call('release');
        } catch {
          // The database is gone: the lease expires by itself, and the closed connection frees it at once.
        }
      },
      onLost: (h) => {
        handlers.push(h);
      },
    };
  }

  /**
   * Waits until this process leads the ring (`timeoutMs`: Infinity for a standby). The leader follows git and applies,
   * taking the writer lease for each pass like any writer; leading is a lease of its own (`leader/<ring>`), so a
   * manual `ringlock retry` or `apply` still gets its turn between passes.
   */
  async acquireLeadership(holder: string, timeoutMs: number): Promise<WriterLease> {
    await this.bridge.callAsync('lead', holder, timeoutMs);
    let released = false;
    const handlers: ((reason: string) => void)[] = [];
    const onLost = (reason: string) => {
      for (const h of handlers) h(reason);
    };
    this.leaderLostHandlers.add(onLost);
    return {
      release: () => {
        if (released) return;
        released = true;
        this.leaderLostHandlers.delete(onLost);
        try {
          this.bridge.call('unlead');
        } catch {
          // The database is gone: the leadership expires by itself.
        }
      },
      onLost: (h) => {
        handlers.push(h);
      },
    };
  }

  suspension(): Suspension | undefined {
    return this.bridge.call<Suspension | undefined>('suspension');
  }

  suspend(s: Suspension): void {
    this.bridge.call('suspend', s);
  }

  resume(): boolean {
    return this.bridge.call<boolean>('suspend', null);
  }

  /** Copies history records from another store, each once (by id); returns how many were new. */
  importRecords(records: HistoryRecord[]): number {
    return this.bridge.call<number>('import', records);
  }

  /** Wakes the ring's leader (a webhook that reached a standby). */
  wake(commit?: string): void {
    this.bridge.call('wake', commit);
  }

  /** Who holds the ring's writer lease now (the leases row); undefined when nobody does. */
  leaseInfo(): LeaseInfo | undefined {
    return this.bridge.call<LeaseInfo | undefined>('leaseInfo') ?? undefined;
  }

  /** Calls `h` on each wake() of this ring from any process (the leader LISTENs on the change feed from now on). */
  async onWake(h: (commit: string | undefined) => void): Promise<void> {
    this.wakeHandlers.add(h);
    await this.bridge.callAsync('listen');
  }

  async close(): Promise<void> {
    const b = this.bridgeOf;
    this.bridgeOf = undefined;
    await b?.close();
  }
}
