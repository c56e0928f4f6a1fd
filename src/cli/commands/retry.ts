// ringlock retry <module>: clear the module's quarantine so the next apply tries its version again.
import { randomUUID } from 'node:crypto';
import { ExitCode } from '../../errors.js';
import { withWriter } from '../../reconcile/steps.js';
import { openWorkspace } from '../../source/workspace-dir.js';
import { stringOpt } from '../common.js';
import { msOpt, reasonOpt } from '../options.js';
import { json } from '../output.js';
import { activePublishing } from '../publish-active.js';
import { maybeWorkspace, resolveRuntime } from '../runtime.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const module = ctx.positionals[0]!;
  const reason = reasonOpt(ctx);
  const ws = maybeWorkspace(ctx, (cwd) => openWorkspace(cwd));
  const rt = resolveRuntime(ctx, ws);
  return withWriter(rt.store, `ringlock retry ${module}`, msOpt(ctx, 'lock-timeout', 30_000), async () => {
    const state = rt.store.read();
    // What a platform reads of the module (the read API's quarantine) is published again; the active set is unchanged.
    const ring = stringOpt(ctx, 'ring') ?? state.ring ?? ws?.trackingRing().name;
    const publishing = ring !== undefined ? activePublishing(ctx, rt, ring) : undefined;
    const cleared = state.quarantine.filter((q) => q.module === module);
    if (cleared.length > 0) {
      state.quarantine = state.quarantine.filter((q) => q.module !== module);
      const at = new Date().toISOString();
      rt.store.transaction(() => {
        rt.store.write(state);
        rt.store.append({
          id: randomUUID(),
          ring: state.ring,
          module,
          op: 'retry',
          to: cleared.map((q) => q.version).join(', '),
          actor: rt.actor,
          startedAt: at,
          finishedAt: at,
          outcome: 'succeeded',
          ...(reason !== undefined ? { reason } : {}),
        });
      });
    }
    const publish =
      cleared.length > 0 && ring !== undefined
        ? await publishing?.publish({ ring, tenants: ws?.tenants() })
        : undefined;
    await publishing?.close();
    if (ctx.json) ctx.io.out(json({ ok: true, module, cleared, ...(publish ? { publish } : {}) }));
    else if (cleared.length === 0) ctx.io.out(`${module} is not quarantined\n`);
    else
      ctx.io.out(
        `cleared the quarantine of ${module} ${cleared.map((q) => q.version).join(', ')}: the next apply will try it again\n`,
      );
    return ExitCode.Ok;
  });
}
