// ringlock lock: (re)write a ring's lock from the module sources, or --check that it is fresh.
import { existsSync, readFileSync } from 'node:fs';
import { CheckFailed, ExitCode, InputError } from '../../errors.js';
import { writeFileAtomic } from '../../fsutil/atomic-write.js';
import { computeLock, type LockChange } from '../../lock/compute.js';
import { lockEntry, serializeLock } from '../../model/lock.js';
import { lockSchemaRef } from '../../model/schema-url.js';
import type { SourceModule } from '../../model/workspace.js';
import {
  assertPrereleaseAllowed,
  hashSources,
  listOpt,
  openWorkspace,
  printSourceWarnings,
  ringFromOption,
  sourceWarnings,
} from '../common.js';
import { json, paint } from '../output.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const ws = openWorkspace(ctx);
  const ring = ringFromOption(ws, ctx);
  const only = listOpt(ctx, 'module');
  const check = ctx.options.check === true;
  const sources = ws.modules();
  for (const name of only ?? []) {
    if (!sources.has(name)) {
      throw new InputError(
        'cli/module',
        `--module ${name}: no module source named "${name}" under ${ws.cfg.modulesDir}/`,
        {
          expected: `one of: ${[...sources.keys()].join(', ')}`,
        },
      );
    }
  }
  const previous = ws.readLock(ring.name);
  if (!previous && !ring.tracksSource && !only) {
    throw new InputError(
      'lock/not-found',
      `ring "${ring.name}" has no lock yet and does not track the sources`,
      {
        file: ws.display(ws.lockPath(ring.name)),
        expected: `--module <name> to pin modules into it, or promotion from "${ring.promoteFrom ?? 'another ring'}"`,
      },
    );
  }
  // Only hash what the new lock can take: every source for the tracking ring, else the modules it pins at their source version.
  const wanted = [...sources.values()].filter((m) => {
    if (only) return only.includes(m.name);
    if (ring.tracksSource) return true;
    return lockEntry(previous?.lock, m.name)?.version === m.manifest.version;
  });
  assertPrereleaseAllowed(ring, wanted);
  const states = await hashSources(wanted, ctx.json ? undefined : ctx.io);
  const { lock, changes, unbumped, unpublished } = computeLock({
    ring,
    platformVersion: ws.platformVersion,
    sources: states,
    previous: previous?.lock,
    only,
    schema: lockSchemaRef(previous?.lock.$schema),
  });
  if (unbumped.length > 0) {
    const list = unbumped.map((n) => `${n} ${states.get(n)!.manifest.version}`).join(', ');
    throw new CheckFailed(
      'lock/unbumped',
      `${list}: the source changed without a version bump; ring "${ring.name}" pins that version as a release`,
      {
        file: ws.display(ws.lockPath(ring.name)),
        expected: `a new "version" in ${unbumped.map((n) => manifestPath(sources.get(n))).join(', ')}, or an explicit re-pin with ${unbumped.map((n) => `--module ${n}`).join(' ')}`,
      },
    );
  }
  const path = ws.lockPath(ring.name);
  const display = ws.display(path);
  const text = serializeLock(lock);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  const upToDate = current === text;
  const written = !check && !upToDate;
  if (written) writeFileAtomic(path, text, display);

  // Exit 0 as designed (the tracking ring follows the sources), but loudly: that pin can no longer be applied.
  const warnings = unpublished.map((n) => {
    const s = states.get(n)!;
    return {
      code: 'lock/unbumped-edit',
      module: n,
      version: s.manifest.version,
      message:
        `${n} ${s.manifest.version}: the content changed without a version bump, so ring "${ring.name}" ${check ? 'would pin' : 'now pins'} it ` +
        `with no artifact or integrity (apply cannot install it, and ${s.manifest.version} is already published: releases are immutable)`,
      fix: `bump "version" in ${manifestPath(sources.get(n))}, then run "ringlock lock" and "ringlock publish ${n}"`,
    };
  });
  if (ctx.json) {
    ctx.io.out(
      json({
        ok: !check || upToDate,
        ring: ring.name,
        file: display,
        upToDate,
        written,
        changes,
        warnings: [...sourceWarnings(ws), ...warnings],
      }),
    );
  } else {
    printSourceWarnings(ctx.io, ws);
    for (const w of warnings)
      ctx.io.err(`${paint(ctx.io, 'yellow', 'warning')}: ${w.message}
  fix: ${w.fix}
`);
    const io = ctx.io;
    if (upToDate) io.out(`${display}: up to date (${Object.keys(lock.modules).length} modules)\n`);
    else {
      const verb = check
        ? paint(io, 'red', 'stale')
        : paint(io, 'green', current === undefined ? 'created' : 'updated');
      io.out(`${display}: ${verb}\n`);
      for (const c of changes) io.out(`  ${describeChange(c)}\n`);
      if (changes.length === 0)
        io.out(
          '  formatting differs from the canonical form (sorted keys, 2-space indent, trailing newline)\n',
        );
      if (check)
        io.out(`run "ringlock lock${ring.tracksSource ? '' : ` --ring ${ring.name}`}" to update it\n`);
    }
  }
  return check && !upToDate ? ExitCode.CheckFailed : ExitCode.Ok;
}

export function describeChange(c: LockChange): string {
  switch (c.kind) {
    case 'add':
      return `+ ${c.module} ${c.to}`;
    case 'remove':
      return `- ${c.module} ${c.from}`;
    default:
      return c.from === c.to
        ? `~ ${c.module} ${c.to} (${c.fields.join(', ')} changed)`
        : `~ ${c.module} ${c.from} → ${c.to} (${c.fields.join(', ')})`;
  }
}

/** Where a module's version is bumped: its manifest (module.json or module.manifest.json), root-relative. */
function manifestPath(m: SourceModule | undefined): string {
  return m ? `${m.relDir}/${m.manifestFile}` : 'its manifest';
}
