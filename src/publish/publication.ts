// Publishing a ring's snapshot to every publisher the operator enabled, after a pass or an imperative command. A
// publisher that fails is reported (never failing what ran before it) and tried again next time even when nothing
// changed; one that holds the current content already is not written again. The daemon keeps one Publication for its
// life (the read API answers from its last snapshot); a CLI command makes one for its run. Every call to a publisher
// is bounded (PUBLISH_TIMEOUT_MS): a hung API server or Redis must not stall the pass that holds the writer lease.
import type { DeployedState } from '../state/types.js';
import { buildSnapshot, contentKey, type SnapshotInput } from './snapshot.js';
import type { ActivePublisher, ActiveSnapshot, PublishSkipped, PublishStatus } from './types.js';

/** How long one call to a publisher (reading back, publishing) may take before it counts as failed. */
export const PUBLISH_TIMEOUT_MS = 10_000;

/** What the read API answers from: the snapshot and the state it was built from. */
export interface Published {
  snapshot: ActiveSnapshot;
  state: DeployedState;
}

export class Publication {
  constructor(private readonly timeoutMs = PUBLISH_TIMEOUT_MS) {}

  private last?: Published;
  /** Publisher name → the content it holds (after a success), and its last status. */
  private readonly held = new Map<string, { key?: string; status: PublishStatus }>();

  /** The snapshot last built (published or not), with its state. */
  get published(): Published | undefined {
    return this.last;
  }

  private lastStatuses: PublishStatus[] = [];

  /** Every publisher's status after the last publish, in the order they were given. */
  statuses(): PublishStatus[] {
    return this.lastStatuses;
  }

  /**
   * Builds the snapshot (its generation going on from the highest any publisher holds, or this one built last) and
   * hands it to each publisher that does not hold it yet. Never throws for a publisher's failure: see the statuses.
   */
  async publish(
    publishers: readonly ActivePublisher[],
    given: Omit<SnapshotInput, 'previous' | 'now' | 'tenants'> & {
      /** Undefined: the tenants map published last (a command that read no tenants file changes none). */
      tenants?: SnapshotInput['tenants'];
    },
    now = new Date(),
  ): Promise<PublishStatus[]> {
    const input = given;
    // The highest generation stored anywhere: a new process (a new pod with an empty file) goes on from there, so the
    // ConfigMap and Redis do not refuse it as a stale writer.
    let previous = this.last?.snapshot;
    for (const p of publishers) {
      if (!p.current) continue;
      try {
        const there = await this.bounded('reading back', (signal) => p.current!(signal));
        if (there && there.ring === input.ring && (!previous || there.generation > previous.generation))
          previous = there;
      } catch {
        // Unreadable: its publish below says why.
      }
    }
    const built = buildSnapshot({
      ...input,
      // Redis holds only this ring's tenants: the full map comes from this process or a full document.
      tenants: input.tenants ?? this.last?.snapshot.tenants ?? previous?.tenants ?? {},
      previous,
      now,
    });
    const key = contentKey(built);
    // Nothing changed: the same document, its time included, so readers' ETags and the file's bytes stay the same.
    const snapshot = previous && contentKey(previous) === key ? previous : built;
    this.last = { snapshot, state: input.state };
    const at = now.toISOString();
    const out: PublishStatus[] = [];
    for (const p of publishers) {
      const h = this.held.get(p.name);
      if (h?.key === key && h.status.ok) {
        out.push(h.status);
        continue;
      }
      let status: PublishStatus;
      try {
        const r = await this.bounded('publishing', (signal) => p.publish(snapshot, signal));
        if (isSkipped(r)) {
          // Not ok: what the platform reads there is another writer's; the next publish goes on from it.
          status = {
            name: p.name,
            ok: false,
            skipped: true,
            error: `not written: generation ${r.stored} is stored there, newer than ${snapshot.generation} (another writer publishes to it)`,
            generation: snapshot.generation,
            at,
          };
          this.held.set(p.name, { status });
        } else {
          status = { name: p.name, ok: true, generation: snapshot.generation, at };
          this.held.set(p.name, { key, status });
        }
      } catch (e) {
        status = { name: p.name, ok: false, error: errorText(e), generation: snapshot.generation, at };
        this.held.set(p.name, { status });
      }
      out.push(status);
    }
    this.lastStatuses = out;
    return out;
  }

  /**
   * One call to a publisher, given a signal that aborts after the timeout; rejects then even if the publisher ignores
   * the signal (the call is left to finish or fail on its own, its result unused).
   */
  private bounded<T>(what: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    const late = () =>
      new Error(`${what} did not finish within ${this.timeoutMs / 1000} s: given up, tried again next time`);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(late());
      signal.addEventListener('abort', onAbort, { once: true });
      call(signal).then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(signal.aborted ? late() : e);
        },
      );
    });
  }

  /** Resolves when every publisher is closed (connections of the ConfigMap and Redis publishers). */
  static async close(publishers: readonly ActivePublisher[]): Promise<void> {
    await Promise.allSettled(publishers.map((p) => p.close?.()));
  }
}

function isSkipped(r: PublishSkipped | undefined): r is PublishSkipped {
  return typeof r === 'object' && r !== null && r.skipped === true;
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const file = (e as { file?: string }).file;
    return file !== undefined && !e.message.includes(file) ? `${file}: ${e.message}` : e.message;
  }
  return String(e);
}
