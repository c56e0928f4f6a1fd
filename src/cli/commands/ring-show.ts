// ringlock ring show: one ring's policy, pinned modules and tenants.
import { ExitCode, InputError } from '../../errors.js';
import { openWorkspace } from '../common.js';
import { json, paint, shortHash, table } from '../output.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const ws = openWorkspace(ctx);
  const name = ctx.positionals[0]!;
  let ring: ReturnType<typeof ws.ring>;
  try {
    ring = ws.ring(name);
  } catch (e) {
    if (e instanceof InputError)
      throw new InputError('cli/ring', `ring show ${name}: unknown ring`, { expected: e.expected });
    throw e;
  }
  const both = ctx.options.modules !== true && ctx.options.tenants !== true;
  const showModules = both || ctx.options.modules === true;
  const showTenants = both || ctx.options.tenants === true;
  const lock = ws.readLock(ring.name);
  const modules = Object.entries(lock?.lock.modules ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([module, e]) => ({ module, ...e }));
  const tenants = Object.entries(ws.tenants())
    .filter(([, r]) => r === ring.name)
    .map(([t]) => t)
    .sort();
  const next = ws.rings.filter((r) => r.promoteFrom === ring.name).map((r) => r.name);
  if (ctx.json) {
    ctx.io.out(
      json({
        ok: true,
        ring: {
          ...ring,
          promotesTo: next,
          lock: ws.display(ws.lockPath(ring.name)),
          platform: lock?.lock.platform ?? null,
        },
        ...(showModules ? { modules } : {}),
        ...(showTenants ? { tenants } : {}),
      }),
    );
    return ExitCode.Ok;
  }
  const io = ctx.io;
  io.out(`${paint(io, 'bold', `ring ${ring.name}`)}${ring.description ? ` — ${ring.description}` : ''}\n`);
  const facts: [string, string][] = [
    ['lock', `${ws.display(ws.lockPath(ring.name))}${lock ? '' : ' (missing)'}`],
    ['platform', lock?.lock.platform ?? '-'],
    ['promote from', ring.promoteFrom ?? '- (first ring)'],
    ['promotes to', next.join(', ') || '-'],
    ['min soak', ring.minSoak ?? '0'],
    ['prereleases', ring.allowPrerelease ? 'allowed' : 'not allowed'],
    ['tracks source', ring.tracksSource ? 'yes' : 'no'],
    ['reviewers', ring.reviewers.join(', ') || '-'],
    ['modules', String(modules.length)],
    ['tenants', String(tenants.length)],
  ];
  for (const [k, v] of facts) io.out(`  ${k.padEnd(14)}${v}\n`);
  if (showModules) {
    io.out(`\n${paint(io, 'bold', 'Modules')}\n`);
    const rows = modules.map((m) => [
      m.module,
      m.version,
      shortHash(m.sha256),
      m.integrity ? 'yes' : 'no',
      m.compatibility?.platform ?? '-',
    ]);
    io.out(
      rows.length ? table(['MODULE', 'VERSION', 'CONTENT', 'ARTIFACT', 'PLATFORM'], rows, io) : '  (none)\n',
    );
  }
  if (showTenants) {
    io.out(`\n${paint(io, 'bold', 'Tenants')}\n`);
    io.out(tenants.length ? tenants.map((t) => `  ${t}\n`).join('') : '  (none)\n');
  }
  return ExitCode.Ok;
}
