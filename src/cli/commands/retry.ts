// ringlock retry <module>: clear the module's quarantine so the next apply tries its version again.
import { randomUUID } from 'node:crypto';
import { ExitCode } from '../../errors.js';
import { withWriter } from '../../reconcile/steps.js';
import { openWorkspace } from '../../source/workspace-dir.js';
import { msOpt, reasonOpt } from '../options.js';
import { json } from '../output.js';
import { maybeWorkspace, resolveRuntime } from '../runtime.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const module = ctx.positionals[0]!;
  const reason = reasonOpt(ctx);
  const rt = resolveRuntime(
    ctx,
    maybeWorkspace(ctx, (cwd) => openWorkspace(cwd)),
  );
  return withWriter(rt.store, `ringlock retry ${module}`, msOpt(ctx, 'lock-timeout', 30_000), () => {
    const state = rt.store.read();
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
    if (ctx.json) ctx.io.out(json({ ok: true, module, cleared }));
    else if (cleared.length === 0) ctx.io.out(`${module} is not quarantined\n`);
    else
      ctx.io.out(
        `cleared the quarantine of ${module} ${cleared.map((q) => q.version).join(', ')}: the next apply will try it again\n`,
      );
    return ExitCode.Ok;
  });
}
