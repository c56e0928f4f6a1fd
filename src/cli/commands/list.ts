// ringlock list: what is deployed on the target, what the last plan blocked (and why), and what is quarantined.
import { ExitCode } from '../../errors.js';
import { openWorkspace } from '../../source/workspace-dir.js';
import { json, paint, shortHash, table } from '../output.js';
import { maybeWorkspace, resolveRuntime } from '../runtime.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const ws = maybeWorkspace(ctx, (cwd) => openWorkspace(cwd));
  const rt = resolveRuntime(ctx, ws);
  const state = rt.store.read();
  // An operation in flight (or cut short, until the next run recovers it) shows as installing.
  const j = rt.store.readJournal();
  const modules = Object.values(state.modules)
    .map((m) => (j?.module === m.name ? { ...m, status: 'installing' as const } : m))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const installing =
    j && !state.modules[j.module]
      ? { module: j.module, version: j.record.to ?? null, status: 'installing' }
      : null;
  // Without announced: whether an event went out is the daemon's business, not the listing's.
  const blocked = Object.entries(state.blocked ?? {})
    .map(([module, b]) => ({
      module,
      version: b.version ?? null,
      reason: b.reason,
      chain: b.chain ?? [b.reason],
      ...(b.code !== undefined ? { code: b.code } : {}),
      since: b.since,
    }))
    .sort((a, b) => (a.module < b.module ? -1 : 1));
  if (ctx.json) {
    ctx.io.out(
      json({
        ok: true,
        target: rt.target.root,
        ring: state.ring ?? null,
        lockCommit: state.lockCommit ?? null,
        modules,
        installing,
        blocked,
        quarantine: state.quarantine,
      }),
    );
    return ExitCode.Ok;
  }
  const io = ctx.io;
  io.out(`target ${rt.target.root}${state.ring ? ` (ring ${state.ring})` : ''}\n\n`);
  if (installing) io.out(`${installing.module} ${installing.version ?? ''}: installing\n`);
  if (modules.length === 0) io.out('nothing deployed\n');
  else {
    const status = (s: string) =>
      paint(io, s === 'active' ? 'green' : s === 'installing' || s === 'pending' ? 'yellow' : 'red', s);
    const rows = modules.map((m) => [
      // Deployed at its folder's case (the lock entry's path): the platform finds it there.
      m.path !== undefined ? `${m.name} (at ${m.path})` : m.name,
      m.active.version,
      status(m.status),
      shortHash(m.active.sha256),
      m.previous?.version ?? '-',
      m.origin,
      m.since,
    ]);
    io.out(table(['MODULE', 'VERSION', 'STATUS', 'CONTENT', 'PREVIOUS', 'ORIGIN', 'SINCE'], rows, io));
    for (const m of modules)
      if (m.lastError) io.out(`  ${paint(io, 'red', '!')} ${m.name}: ${m.lastError}\n`);
  }
  if (blocked.length > 0) {
    io.out(
      `\n${paint(io, 'bold', 'Blocked')} (the lock asks for these; the last plan could not bring them)\n`,
    );
    io.out(
      table(
        ['MODULE', 'WANTED', 'SINCE', 'REASON'],
        blocked.map((b) => [b.module, b.version ?? '-', b.since, b.reason]),
        io,
      ),
    );
    for (const b of blocked) if (b.chain.length > 1) io.out(`  ${b.module}: ${b.chain.join(' → ')}\n`);
  }
  if (state.quarantine.length > 0) {
    io.out(
      `\n${paint(io, 'bold', 'Quarantined')} (blocked until the lock names something else or "ringlock retry <module>")\n`,
    );
    io.out(
      table(
        ['MODULE', 'VERSION', 'SINCE', 'REASON'],
        state.quarantine.map((q) => [q.module, q.version, q.at, q.reason]),
        io,
      ),
    );
  }
  return ExitCode.Ok;
}
