// Publishing a ring's snapshot to every publisher the operator enabled, after a pass or an imperative command. A
// publisher that fails is reported (never failing what ran before it) and tried again next time even when nothing
// changed; one that holds the current content already is not written again. The daemon keeps one Publication for its
// life (the read API answers from its last snapshot); a CLI command makes one for its run.
import type { DeployedState } from '../state/types.js';
import { buildSnapshot, contentKey, type SnapshotInput } from './snapshot.js';
import type { ActivePublisher, ActiveSnapshot, PublishStatus } from './types.js';

/** What the read API answers from: the snapshot and the state it was built from. */
export interface Published {
  snapshot: ActiveSnapshot;
  state: DeployedState;
}

export class Publication {
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
    let previous = this.last?.snapshot;
    for (const p of publishers) {
      try {
        const there = await p.current?.();
        if (there && there.ring === input.ring && (!previous || there.generation > previous.generation))
          previous = there;
      } catch {
        // Unreadable: its publish below says why.
      }
    }
    const built = buildSnapshot({
      ...input,
      tenants: input.tenants ?? previous?.tenants ?? {},
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
        await p.publish(snapshot);
        status = { name: p.name, ok: true, generation: snapshot.generation, at };
        this.held.set(p.name, { key, status });
      } catch (e) {
        status = { name: p.name, ok: false, error: errorText(e), generation: snapshot.generation, at };
        this.held.set(p.name, { status });
      }
      out.push(status);
    }
    this.lastStatuses = out;
    return out;
  }

  /** Resolves when every publisher is closed (connections of the ConfigMap and Redis publishers). */
  static async close(publishers: readonly ActivePublisher[]): Promise<void> {
    await Promise.allSettled(publishers.map((p) => p.close?.()));
  }
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const file = (e as { file?: string }).file;
    return file !== undefined && !e.message.includes(file) ? `${file}: ${e.message}` : e.message;
  }
  return String(e);
}
