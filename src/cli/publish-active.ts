// Publishing what a ring has active at the end of a command that changed the target (apply, install, upgrade,
// rollback, retry), still holding the writer lease: a publisher's failure is a warning on stderr and an entry in
// `--json`'s `publish`, never the command's outcome (the next apply or daemon pass tries again).
import { Publication } from '../publish/publication.js';
import type { ActivePublisher, PublishStatus } from '../publish/types.js';
import { publishersFor } from '../runtime/publishers.js';
import type { Runtime } from './runtime.js';
import { runtimeInput } from './runtime.js';
import type { CommandContext } from './spec.js';

export interface ActivePublishing {
  /** Publishes the target's state now; returns each publisher's status (also printed when one failed). */
  publish(o: { ring: string; tenants?: Record<string, string>; commit?: string }): Promise<PublishStatus[]>;
  close(): Promise<void>;
}

/**
 * The publishers the operator enabled, built before the command changes anything: a `publish` setting this ringlock
 * cannot honour is refused (exit 2) before the target is touched.
 */
export function activePublishing(ctx: CommandContext, rt: Runtime, ring: string): ActivePublishing {
  const publishers: ActivePublisher[] = publishersFor(runtimeInput(ctx), rt.target, ring);
  return {
    async publish(o) {
      let statuses: PublishStatus[];
      try {
        statuses = await new Publication().publish(publishers, {
          ring: o.ring,
          commit: o.commit,
          tenants: o.tenants,
          state: rt.store.read(),
          entryFor: rt.target.entryFor?.bind(rt.target),
        });
      } catch (e) {
        // The state could not be read back: nothing was published anywhere.
        const error = e instanceof Error ? e.message : String(e);
        const at = new Date().toISOString();
        statuses = publishers.map((p) => ({ name: p.name, ok: false, error, generation: 0, at }));
      }
      for (const s of statuses)
        if (!s.ok)
          ctx.io.err(
            `warning: publishing the active modules to ${s.name} failed: ${s.error} (the next apply or daemon pass tries again)\n`,
          );
      return statuses;
    },
    close: () => Publication.close(publishers),
  };
}
