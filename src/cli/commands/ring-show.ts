// ringlock ring show: one ring's policy, pinned modules and tenants.
import { ExitCode, InputError } from '../../errors.js';
import { platformData } from '../../model/manifest.js';
import type { LockEntry } from '../../model/types.js';
import type { SourceModule, Workspace } from '../../model/workspace.js';
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
  const verbose = ctx.options.verbose === true;
  const sources = verbose && showModules ? sourceModules(ws) : undefined;
  const modules = Object.entries(lock?.lock.modules ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([module, e]) => ({
      module,
      ...e,
      ...(sources ? { platformFields: platformFieldsOf(e, sources.get(module)) } : {}),
    }));
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
    if (verbose)
      for (const m of modules) {
        const fields = m.platformFields;
        io.out(`\n${paint(io, 'bold', `${m.module} ${m.version}`)}${fields ? ` (${fields.from})` : ''}\n`);
        if (!fields) io.out('  (no manifest data: not in the lock, and no source at this version)\n');
        else if (Object.keys(fields.data).length === 0) io.out('  (no platform fields)\n');
        else
          for (const [k, v] of Object.entries(fields.data))
            io.out(`  ${visible(k).padEnd(22)}${visible(typeof v === 'string' ? v : JSON.stringify(v))}\n`);
      }
  }
  if (showTenants) {
    io.out(`\n${paint(io, 'bold', 'Tenants')}\n`);
    io.out(tenants.length ? tenants.map((t) => `  ${t}\n`).join('') : '  (none)\n');
  }
  return ExitCode.Ok;
}

/** The module sources when they can be read (a ring may be shown from a checkout whose sources are elsewhere). */
function sourceModules(ws: Workspace): Map<string, SourceModule> {
  try {
    return ws.modules();
  } catch (e) {
    if (e instanceof InputError) return new Map();
    throw e;
  }
}

/**
 * A pinned module's platform fields: the lock entry's `manifest` (modules.lockManifest), else its source's manifest
 * when the source holds the pinned version.
 */
function platformFieldsOf(
  e: LockEntry,
  src: SourceModule | undefined,
): { from: string; data: Record<string, unknown> } | undefined {
  if (e.manifest !== undefined) return { from: 'lock', data: e.manifest };
  if (src && src.manifest.version === e.version)
    return { from: `${src.relDir}/${src.manifestFile}`, data: platformData(src.manifest) };
  return undefined;
}

/** The repository's text on a terminal: control characters shown escaped, never interpreted. */
function visible(s: string): string {
  return s.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
