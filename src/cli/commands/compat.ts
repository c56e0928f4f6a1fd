// ringlock compat: platform and dependency compatibility of the modules pinned in each ring.
import { type CompatModule, type CompatResult, evaluateCompat } from '../../compat/compat.js';
import { ExitCode, InputError } from '../../errors.js';
import { findCycle } from '../../model/graph.js';
import type { LockDoc } from '../../model/lock.js';
import { diagAt, isSemver } from '../../model/semantics.js';
import { toPointer } from '../../model/source.js';
import type { RingPolicy } from '../../model/types.js';
import type { SourceModule, Workspace } from '../../model/workspace.js';
import { openWorkspace, ringFromOption, stringOpt } from '../common.js';
import { type Io, json, paint, table } from '../output.js';
import type { CommandContext } from '../spec.js';

interface RingReport {
  ring: string;
  platform: string;
  lock: string;
  results: CompatResult[];
}

export async function run(ctx: CommandContext): Promise<number> {
  const ws = openWorkspace(ctx);
  const platformOpt = stringOpt(ctx, 'platform');
  if (platformOpt !== undefined && !isSemver(platformOpt)) {
    throw new InputError('cli/platform', `--platform ${platformOpt}: not a semantic version`, {
      expected: 'a version like 2.0.0',
    });
  }
  const strict = ctx.options.strict === true;
  const rings: RingPolicy[] = stringOpt(ctx, 'ring') !== undefined ? [ringFromOption(ws, ctx)] : ws.rings;
  const reports: RingReport[] = [];
  for (const ring of rings) {
    const lockDoc = ws.readLock(ring.name);
    if (!lockDoc) {
      if (rings.length === 1) {
        throw new InputError('lock/not-found', `ring "${ring.name}" has no lock`, {
          file: ws.display(ws.lockPath(ring.name)),
        });
      }
      continue;
    }
    const modules = compatModules(ws, lockDoc);
    const platform = platformOpt ?? lockDoc.lock.platform;
    reports.push({
      ring: ring.name,
      platform,
      lock: lockDoc.doc.file,
      results: evaluateCompat(modules, platform),
    });
  }
  if (reports.length === 0) {
    throw new InputError('lock/not-found', 'no ring has a lock yet', {
      expected: '"ringlock lock" to create the first ring\'s lock',
    });
  }
  const bad = (r: CompatResult) =>
    r.status === 'incompatible' ||
    r.status === 'blocked' ||
    (strict && (r.status === 'unknown' || r.warnings.length > 0));
  const failed = reports.flatMap((r) => r.results.filter(bad));
  if (ctx.json) ctx.io.out(json({ ok: failed.length === 0, strict, rings: reports }));
  else print(ctx.io, reports, strict);
  return failed.length === 0 ? ExitCode.Ok : ExitCode.CheckFailed;
}

/** Each pinned module with its constraint and dependencies: from the lock entry, else from a source at the same version. */
function compatModules(ws: Workspace, lockDoc: LockDoc): CompatModule[] {
  let sources: Map<string, SourceModule> | undefined;
  const sourceAt = (name: string, version: string) => {
    sources ??= ws.modules();
    const s = sources.get(name);
    return s && s.manifest.version === version ? { ...s.manifest, dependencies: s.dependencies } : undefined;
  };
  const mods: CompatModule[] = Object.entries(lockDoc.lock.modules).map(([name, e]) => {
    const needSource = e.dependencies === undefined || e.compatibility === undefined;
    const src = needSource ? sourceAt(name, e.version) : undefined;
    return {
      name,
      version: e.version,
      platform: e.compatibility?.platform ?? src?.compatibility?.platform,
      dependencies: e.dependencies ?? (src ? { ...(src.dependencies ?? {}) } : undefined),
    };
  });
  const cycle = findCycle(new Map(mods.map((m) => [m.name, Object.keys(m.dependencies ?? {})])));
  if (cycle) {
    const d = diagAt(
      lockDoc.doc,
      toPointer(['modules', cycle[0]!, 'dependencies', cycle[1]!]),
      'module/dependency-cycle',
      `dependency cycle: ${cycle.join(' → ')}`,
      'dependencies that form no cycle',
      'key',
    );
    throw new InputError(d.rule, d.message, { ...d, details: [d] });
  }
  return mods;
}

function print(io: Io, reports: RingReport[], strict: boolean) {
  for (const r of reports) {
    io.out(`${paint(io, 'bold', `ring ${r.ring}`)} — platform ${r.platform} (${r.lock})\n`);
    const status = (x: CompatResult) => {
      const c = x.status === 'ok' ? 'green' : x.status === 'unknown' ? 'yellow' : 'red';
      return paint(io, c, x.status + (x.status === 'ok' && x.warnings.length > 0 ? ' (warn)' : ''));
    };
    const rows = r.results
      .slice()
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((x) => [x.name, x.version, x.constraint ?? '(none)', r.platform, status(x)]);
    io.out(table(['MODULE', 'VERSION', 'CONSTRAINT', 'PLATFORM', 'STATUS'], rows, io));
    const notes = r.results.filter((x) => x.status !== 'ok' || (strict && x.warnings.length > 0));
    for (const x of notes) {
      if (x.status === 'incompatible') io.out(`  ${paint(io, 'red', '✗')} ${x.reason}\n`);
      if (x.chain) io.out(`  ${paint(io, 'red', '✗')} ${x.name} blocked: ${x.chain.join(' → ')}\n`);
      for (const w of x.warnings) io.out(`  ${paint(io, 'yellow', '!')} ${x.name}: ${w}\n`);
    }
    const n = (s: string) => r.results.filter((x) => x.status === s).length;
    io.out(
      `  ${r.results.length} modules: ${n('ok')} ok, ${n('incompatible')} incompatible, ${n('blocked')} blocked, ${n('unknown')} unknown\n\n`,
    );
  }
}
