// ringlock suspend: the ring's daemon keeps watching and reporting, but applies nothing until `ringlock resume`.
import { userInfo } from 'node:os';
import { ExitCode, InputError } from '../../errors.js';
import { openWorkspace } from '../../source/workspace-dir.js';
import { json } from '../output.js';
import { maybeWorkspace, type Runtime, resolveRuntime } from '../runtime.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const { ring, rt } = target(ctx);
  const reason = typeof ctx.options.reason === 'string' ? ctx.options.reason : undefined;
  const s = { ring, reason, by: actor(), at: new Date().toISOString() };
  const before = rt.store.suspension();
  rt.store.suspend(s);
  if (ctx.json) ctx.io.out(json({ ok: true, suspended: s, wasSuspended: before !== undefined }));
  else
    ctx.io.out(
      `ring ${ring} suspended${reason ? ` (${reason})` : ''}: its daemon reports drift and pending changes but applies nothing until "ringlock resume --ring ${ring}"\n`,
    );
  return ExitCode.Ok;
}

/** The ring named by --ring, checked against ringlock.yaml when there is one and against the target's state. */
export function target(ctx: CommandContext): { ring: string; rt: Runtime } {
  const ring = typeof ctx.options.ring === 'string' ? ctx.options.ring : process.env.RING_NAME;
  if (!ring) throw new InputError('cli/ring', 'which ring? give --ring', { expected: '--ring stable' });
  const ws = maybeWorkspace(ctx, (cwd) => openWorkspace(cwd));
  if (ws && !ws.rings.some((r) => r.name === ring))
    throw new InputError('cli/ring', `--ring ${ring}: unknown ring`, {
      expected: `one of: ${ws.rings.map((r) => r.name).join(', ')}`,
    });
  const rt = resolveRuntime(ctx, ws);
  const applied = rt.store.read().ring;
  if (applied !== undefined && applied !== ring) {
    throw new InputError(
      'cli/ring',
      `--ring ${ring}: the target at ${rt.target.root} runs ring "${applied}"`,
      {
        expected: `--ring ${applied}, or --target naming ring ${ring}'s target`,
      },
    );
  }
  return { ring, rt };
}

export function actor(): string {
  if (process.env.RINGLOCK_ACTOR) return process.env.RINGLOCK_ACTOR;
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown';
  }
}
