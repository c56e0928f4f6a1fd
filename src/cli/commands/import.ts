// ringlock import: another tool's lock(s) → ring locks (the work is in src/import/); this prints the report.
import { resolve } from 'node:path';
import { ExitCode, InputError } from '../../errors.js';
import type { ModuleReport } from '../../import/build.js';
import { IMPORT_FORMATS } from '../../import/formats.js';
import { assertNoRefusals, planImport, writeImport } from '../../import/run.js';
import type { Workspace } from '../../model/workspace.js';
import { listOpt, openWorkspace } from '../common.js';
import { type Io, json, paint, shortHash, table } from '../output.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const [formatName, ...files] = ctx.positionals;
  const format = IMPORT_FORMATS.get(formatName!);
  if (!format)
    throw new InputError('cli/usage', `import: unknown format "${formatName}"`, {
      expected: `one of: ${[...IMPORT_FORMATS.keys()].join(', ')} (ringlock import <format> <file>…)`,
    });
  const ws = open(ctx);
  const { ring, ringMap } = ringOptions(ws, listOpt(ctx, 'ring') ?? []);
  const dryRun = ctx.options['dry-run'] === true;
  const plan = await planImport(ws, {
    format,
    files: files.map((f) => ({ display: f, abs: resolve(ctx.cwd, f) })),
    ring,
    ringMap,
    force: ctx.options.force === true,
    partial: ctx.options.partial === true,
    onWalked: ctx.io.progress && !ctx.json ? (n) => ctx.io.err(`\rhashing ${n} files…`) : undefined,
  });
  if (ctx.io.progress && !ctx.json) ctx.io.err('\r\u001b[K');
  if (!dryRun) assertNoRefusals(plan);
  const written = dryRun ? [] : writeImport(plan);
  const status = (file: string, unchanged: boolean) =>
    unchanged ? 'unchanged' : dryRun ? 'would write' : written.includes(file) ? 'written' : 'unchanged';
  if (ctx.json) {
    ctx.io.out(
      json({
        ok: true,
        dryRun,
        format: format.name,
        rings: plan.rings.map((r) => ({
          input: r.input,
          ring: r.ring,
          ringFrom: r.ringFrom,
          lock: r.file,
          status: status(r.file, r.unchanged),
          replaces: r.replaces,
          ...(dryRun && plan.refused.includes(r.file) ? { needsForce: true } : {}),
          platform: r.lock.platform,
          modules: r.modules,
          notCarried: r.notCarried,
          notes: r.notes,
          needPublish: r.needPublish,
          olderReleases: r.olderReleases,
          warnings: r.blocked,
        })),
      }),
    );
    return ExitCode.Ok;
  }
  const io = ctx.io;
  for (const r of plan.rings) {
    const s = status(r.file, r.unchanged);
    const mark =
      s === 'written'
        ? paint(io, 'green', s)
        : s === 'would write'
          ? paint(io, 'cyan', s)
          : paint(io, 'gray', s);
    const force =
      dryRun && plan.refused.includes(r.file)
        ? paint(io, 'yellow', ' (replaces a lock that pins modules: needs --force)')
        : '';
    io.out(
      `${r.input} → ${r.file} (ring ${r.ring}, ${r.ringFrom}): ${mark}${force}, ${Object.keys(r.lock.modules).length} module(s), platform ${r.lock.platform}\n`,
    );
    if (r.modules.length > 0) io.out(indent(moduleTable(io, format.name, r.modules)));
    if (r.notCarried.length > 0) {
      io.out('  not carried over:\n');
      for (const n of r.notCarried)
        io.out(`    ${n.pointer} ${clip(JSON.stringify(n.value))}: ${n.reason}\n`);
    }
    for (const n of r.notes) io.out(`  note: ${n}\n`);
    // Written all the same (the lock records what the platform ran), but the plan will not apply these pins as they are.
    for (const w of r.blocked)
      io.out(
        `  ${paint(io, 'yellow', 'warning')}: ring ${r.ring}: ${w.message}; apply will not install it as imported [${w.code}]\n`,
      );
  }
  if (plan.rings.some((r) => r.modules.some((m) => m.status === 'differs')))
    io.out(
      `"differs" is expected: ${format.name} hashes module trees with another algorithm, so a difference alone does not mean the content changed; the ring locks record ringlock's hash of the sources\n`,
    );
  const publish = plan.rings.filter((r) => r.needPublish.length > 0);
  const older = plan.rings.flatMap((r) => r.olderReleases.map((o) => ({ ...o, ring: r.ring })));
  if (older.length > 0)
    io.out(
      `older releases, hashed from git history: ${older.map((o) => `${o.module} ${o.version} in ${o.ring} (commit ${o.commit.slice(0, 12)})`).join(', ')}; publish each by name, packed from that commit: ${older.map((o) => `ringlock publish --ring ${o.ring} ${o.module}`).join('; ')}\n`,
    );
  if (dryRun) io.out('dry run: nothing written\n');
  else if (publish.length > 0)
    io.out(
      `next: the imported pins carry no artifact integrity, so apply cannot install them yet: ${publish.map((r) => `ringlock publish --ring ${r.ring}`).join('; ')}\n`,
    );
  return ExitCode.Ok;
}

function open(ctx: CommandContext): Workspace {
  try {
    return openWorkspace(ctx);
  } catch (e) {
    if (e instanceof InputError && e.code === 'config/not-found')
      throw new InputError(e.code, e.message, {
        expected:
          'run "ringlock init" first: it writes ringlock.yaml and the rings, then import the lock into them',
        cause: e,
      });
    throw e;
  }
}

/** `--ring R` (a lock that names no ring) and `--ring A=R` (the lock of ring A into ring R), each R a known ring. */
function ringOptions(ws: Workspace, values: string[]): { ring?: string; ringMap: Map<string, string> } {
  const names = ws.rings.map((r) => r.name);
  const known = (value: string, r: string) => {
    if (!names.includes(r))
      throw new InputError('cli/ring', `--ring ${value}: "${r}" is not a ring of ${ws.cfg.file}`, {
        expected: `one of: ${names.join(', ')}`,
      });
  };
  let ring: string | undefined;
  const ringMap = new Map<string, string>();
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq === -1) {
      if (ring !== undefined && ring !== v)
        throw new InputError(
          'cli/ring',
          `--ring ${ring} and --ring ${v}: only one ring for the lock that names none`,
          {
            expected: '--ring A=R for a lock that names its ring A',
          },
        );
      known(v, v);
      ring = v;
      continue;
    }
    const from = v.slice(0, eq);
    const to = v.slice(eq + 1);
    if (from === '' || to === '')
      throw new InputError('cli/ring', `--ring ${v}: expected <their ring>=<ring>`, {
        expected: 'e.g. --ring production=stable',
      });
    known(v, to);
    ringMap.set(from, to);
  }
  return { ring, ringMap };
}

function moduleTable(io: Io, format: string, mods: ModuleReport[]): string {
  const count = (a?: number, b?: number) =>
    a === undefined && b === undefined ? '-' : `${a ?? '?'} → ${b ?? '?'}`;
  const statusCell = (m: ModuleReport) => {
    const label =
      m.status === 'version-differs'
        ? `version-differs (source ${m.sourceVersion})`
        : m.commit
          ? `${m.status} (at ${m.commit.slice(0, 12)})`
          : m.status;
    const styled =
      m.status === 'same'
        ? paint(io, 'green', label)
        : m.status === 'differs'
          ? paint(io, 'yellow', label)
          : paint(io, 'red', label);
    return m.imported ? styled : `${styled}, left out`;
  };
  return table(
    ['module', 'version', 'hash', format, 'ringlock', 'files', 'origin'],
    mods.map((m) => [
      m.module,
      m.version,
      statusCell(m),
      shortHash(m.importedSha256),
      shortHash(m.sha256),
      count(m.fileCount?.imported, m.fileCount?.ringlock),
      m.origin ?? '-',
    ]),
    io,
  );
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => (l === '' ? l : `  ${l}`))
    .join('\n');

const clip = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}…` : s);
