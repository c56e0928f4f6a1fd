// Pieces shared by the commands: opening the workspace and hashing module sources.
import { InputError } from '../errors.js';
import type { SourceState } from '../lock/compute.js';
import { isPrerelease } from '../model/semantics.js';
import { tenantsOf } from '../model/tenants.js';
import type { RingPolicy } from '../model/types.js';
import type { SourceModule, Workspace } from '../model/workspace.js';
import { openWorkspace as openDirWorkspace } from '../source/workspace-dir.js';
import { hashSources as hashSourceStates } from '../verify/source-states.js';
import { formatDiagnostic, type Io } from './output.js';
import type { CommandContext } from './spec.js';

/** A one-line note on stderr while hashing, only when stderr is a terminal. */
export function progress(io: Io, modules: number): ((files: number) => void) | undefined {
  if (!io.progress) return undefined;
  return (files) => io.err(`hashing ${files} files in ${modules} modules…`);
}

export function openWorkspace(ctx: CommandContext): Workspace {
  return openDirWorkspace(ctx.cwd);
}

export function stringOpt(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.options[name];
  return typeof v === 'string' ? v : undefined;
}

export function listOpt(ctx: CommandContext, name: string): string[] | undefined {
  const v = ctx.options[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v : [String(v)];
}

/** The tenants the tenants file assigns to `ring` (for the per-tenant hooks). */
export function ringTenants(ws: Workspace, ring: string): string[] {
  return tenantsOf(ws.tenants(), ring);
}

/** The ring named by --ring, or the ring that tracks the sources. */
export function ringFromOption(ws: Workspace, ctx: CommandContext): RingPolicy {
  const name = stringOpt(ctx, 'ring');
  if (name === undefined) return ws.trackingRing();
  try {
    return ws.ring(name);
  } catch (e) {
    if (e instanceof InputError) {
      throw new InputError('cli/ring', `--ring ${name}: unknown ring`, { expected: e.expected });
    }
    throw e;
  }
}

/** What finding the module sources warned about (a folder without a manifest), for --json output. */
export function sourceWarnings(
  ws: Workspace,
): Array<{ code: string; file?: string; message: string; fix?: string }> {
  return ws.warnings.map((d) => ({
    code: d.rule,
    ...(d.file ? { file: d.file } : {}),
    message: d.message,
    ...(d.expected ? { fix: d.expected } : {}),
  }));
}

/** Prints those warnings on stderr (human output). */
export function printSourceWarnings(io: Io, ws: Workspace): void {
  for (const d of ws.warnings) io.err(formatDiagnostic(d, io));
}

/** Hashes the given source modules in one pass over both cores, with progress on a terminal. */
export async function hashSources(mods: readonly SourceModule[], io?: Io): Promise<Map<string, SourceState>> {
  const out = await hashSourceStates(mods, io ? progress(io, mods.length) : undefined);
  if (io?.progress) io.err('\r\u001b[K');
  return out;
}

/** Refuses prerelease versions in a ring that does not allow them, pointing at the manifest's version. */
export function assertPrereleaseAllowed(ring: RingPolicy, mods: readonly SourceModule[]): void {
  if (ring.allowPrerelease) return;
  const bad = mods.filter((m) => isPrerelease(m.manifest.version));
  if (bad.length === 0) return;
  const details = bad.map((m) => {
    const p = m.doc.locate('/version');
    return {
      severity: 'error' as const,
      rule: 'ring/prerelease',
      message: `${m.name} ${m.manifest.version} is a prerelease, and ring "${ring.name}" does not allow prereleases`,
      expected: `a release version, or allowPrerelease: true on ring "${ring.name}"`,
      file: m.doc.file,
      line: p.line,
      column: p.column,
      pointer: '/version',
    };
  });
  throw new InputError('ring/prerelease', details[0]!.message, { ...details[0], details });
}
