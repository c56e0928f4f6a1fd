// One ring's lock from an imported foreign lock and the module sources: a pure function over plain data. Versions
// are the foreign lock's; the content hashes are ringlock's, recomputed from the sources, with the difference reported.
import { evaluateCompat } from '../compat/compat.js';
import type { Diagnostic } from '../errors.js';
import { entryFromSource, type SourceState } from '../lock/compute.js';
import { diagAt, isPrerelease } from '../model/semantics.js';
import type { LockEntry, RingLock, RingPolicy } from '../model/types.js';
import type { HistoricSource } from './history.js';
import type { ImportedLock, NotCarried } from './types.js';

/**
 * same: ringlock's hash equals the foreign one; differs: it does not (expected for AutoCom, whose algorithm differs:
 * a difference alone does not mean the content changed); source-missing: no module source of that name;
 * version-differs: the source holds another version, so that version's hash cannot be recomputed.
 */
export type HashStatus = 'same' | 'differs' | 'source-missing' | 'version-differs';

export interface ModuleReport {
  module: string;
  version: string;
  status: HashStatus;
  /** Whether the ring lock pins it (not with source-missing or version-differs, which only --partial lets through). */
  imported: boolean;
  importedSha256: string;
  sha256?: string;
  /** The module source's folder and version, when there is one. */
  source?: string;
  sourceVersion?: string;
  origin?: string;
  /** The commit an older version was hashed at (its source holds another version now). */
  commit?: string;
  fileCount?: { imported?: number; ringlock?: number };
  sizeBytes?: { imported?: number; ringlock?: number };
}

/** A warning about the imported ring (exit 0): `import/blocked` names a pin the plan would not apply, with the chain. */
export interface ImportWarning {
  code: 'import/blocked';
  module: string;
  version: string;
  status: 'blocked' | 'incompatible';
  message: string;
}

export interface BuildInput {
  imported: ImportedLock;
  ring: RingPolicy;
  /** ringlock.yaml's platform version. */
  platformVersion: string;
  /** Every module source of the workspace: name → its version and folder. */
  workspace: ReadonlyMap<string, { version: string; relDir: string; manifestFile?: string }>;
  /** The hashed sources (at least those the import pins). */
  states: ReadonlyMap<string, SourceState>;
  /** Older versions read from git history, keyed `name@version` (for rings that do not track the sources). */
  historic?: ReadonlyMap<string, HistoricSource>;
  /** The ring's lock as it is now (replaced with --force): unchanged pins keep their integrity and artifact. */
  previous?: RingLock;
  schema: string;
  /** Leave out modules with no source or another version instead of refusing. */
  partial: boolean;
}

export interface BuiltRing {
  lock: RingLock;
  modules: ModuleReport[];
  notCarried: NotCarried[];
  /** Things the user should know that are not errors. */
  notes: string[];
  /** Pins without an artifact integrity whose source holds their version: `ringlock publish --ring R` records them. */
  needPublish: string[];
  /**
   * Pins without an integrity older than their source, hashed from git history: `ringlock publish --ring R M` packs
   * each from the commit that held it.
   */
  olderReleases: { module: string; version: string; commit: string }[];
  /**
   * Pins the ring cannot apply as imported, as the plan would judge them: blocked (a dependency missing from the ring
   * or out of range) or incompatible with its platform. Warnings: the lock is still written.
   */
  blocked: ImportWarning[];
  /** Errors: nothing is written when any input has one. */
  diagnostics: Diagnostic[];
}

export function buildRingLock(input: BuildInput): BuiltRing {
  const { imported, ring, workspace, states } = input;
  const doc = imported.doc;
  const diagnostics: Diagnostic[] = [];
  const notes: string[] = [];
  const modules: ModuleReport[] = [];
  const entries: Record<string, LockEntry> = Object.create(null);
  for (const m of imported.modules) {
    const src = workspace.get(m.name);
    // A ring that tracks the sources pins what they hold; another ring may pin a release from git history.
    const old =
      src && src.version !== m.version && !ring.tracksSource
        ? input.historic?.get(`${m.name}@${m.version}`)
        : undefined;
    const state = src?.version === m.version ? states.get(m.name) : old?.state;
    const status: HashStatus = !src
      ? 'source-missing'
      : !state
        ? 'version-differs'
        : state.digest === m.sha256
          ? 'same'
          : 'differs';
    const report: ModuleReport = {
      module: m.name,
      version: m.version,
      status,
      imported: false,
      importedSha256: m.sha256,
      ...(state ? { sha256: state.digest } : {}),
      ...(src ? { source: src.relDir, sourceVersion: src.version } : {}),
      ...(m.origin !== undefined ? { origin: m.origin } : {}),
      ...(old ? { commit: old.commit } : {}),
      fileCount: { imported: m.fileCount, ringlock: state?.fileCount },
      sizeBytes: { imported: m.sizeBytes, ringlock: state?.sizeBytes },
    };
    modules.push(report);
    if (!state) {
      if (input.partial) continue;
      const known = [...workspace.keys()].sort().join(', ') || 'none';
      diagnostics.push(
        src
          ? diagAt(
              doc,
              `${m.pointer}/version`,
              'import/version-differs',
              ring.tracksSource
                ? `${m.pointer}/version: the lock pins ${m.name} ${m.version}, the source ${src.relDir} holds ${src.version}, and ring "${ring.name}" tracks the sources: its lock pins what they hold`
                : `${m.pointer}/version: the lock pins ${m.name} ${m.version}, the source ${src.relDir} holds ${src.version}, and no commit in git history has ${src.relDir} at ${m.version} to hash`,
              ring.tracksSource
                ? `--ring <a ring that does not track the sources> for this lock, or --partial to leave ${m.name} out`
                : `a commit of ${src.relDir}/${src.manifestFile ?? 'module.json'} with version ${m.version} (in HEAD's history), or --partial to leave ${m.name} out`,
            )
          : diagAt(
              doc,
              m.pointer,
              'import/unknown-module',
              `${m.pointer}: no module source named "${m.name}" (found: ${known})`,
              `a module folder whose manifest names "${m.name}", or --partial to leave it out`,
              'key',
            ),
      );
      continue;
    }
    if (!ring.allowPrerelease && isPrerelease(m.version)) {
      diagnostics.push(
        diagAt(
          doc,
          `${m.pointer}/version`,
          'ring/prerelease',
          `${m.pointer}/version: ${m.name} ${m.version} is a prerelease, and ring "${ring.name}" does not allow prereleases`,
          `a release version, or allowPrerelease: true on ring "${ring.name}"`,
        ),
      );
      continue;
    }
    const prev =
      input.previous && Object.hasOwn(input.previous.modules, m.name)
        ? input.previous.modules[m.name]
        : undefined;
    const entry = entryFromSource(state, prev);
    if (m.origin !== undefined) entry.origin = m.origin;
    entries[m.name] = entry;
    report.imported = true;
  }
  // The tracking ring runs the platform the sources target (`ringlock lock` and `verify` hold it to that).
  let platform = imported.platform ?? input.platformVersion;
  if (ring.tracksSource && platform !== input.platformVersion) {
    notes.push(
      `platform: the lock says ${platform}; ring "${ring.name}" tracks the sources, so its lock records ringlock.yaml's ${input.platformVersion}`,
    );
    platform = input.platformVersion;
  } else if (imported.platform === undefined) {
    notes.push(
      `platform: the lock names none; ring "${ring.name}" records ringlock.yaml's ${input.platformVersion}`,
    );
  }
  if (ring.tracksSource) {
    const missing = [...workspace.keys()].filter((n) => !Object.hasOwn(entries, n)).sort();
    if (missing.length > 0)
      notes.push(
        `${missing.join(', ')}: module source(s) the lock does not pin; ring "${ring.name}" tracks the sources, so "ringlock lock" adds them (until then "ringlock lock --check" reports the ring stale)`,
      );
  }
  const lock: RingLock = {
    $schema: input.schema,
    lockfileVersion: 1,
    ring: ring.name,
    platform,
    modules: entries,
  };
  const bare = modules.filter((m) => m.imported && entries[m.module]!.integrity === undefined);
  return {
    lock,
    modules,
    notCarried: imported.notCarried,
    notes,
    needPublish: bare
      .filter((m) => m.commit === undefined)
      .map((m) => m.module)
      .sort(),
    olderReleases: bare.flatMap((m) =>
      m.commit ? [{ module: m.module, version: m.version, commit: m.commit }] : [],
    ),
    blocked: blockedPins(lock),
    diagnostics,
  };
}

/** The pins of `lock` that the plan would block, evaluated as it evaluates a ring (compat over the lock's entries). */
function blockedPins(lock: RingLock): ImportWarning[] {
  const mods = Object.entries(lock.modules).map(([name, e]) => ({
    name,
    version: e.version,
    platform: e.compatibility?.platform,
    dependencies: e.dependencies,
  }));
  return evaluateCompat(mods, lock.platform)
    .filter((r) => r.status === 'blocked' || r.status === 'incompatible')
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((r) => ({
      code: 'import/blocked',
      module: r.name,
      version: r.version,
      status: r.status as 'blocked' | 'incompatible',
      message:
        r.status === 'blocked' && r.chain
          ? `${r.name} ${r.version} is blocked: ${r.chain.join(' → ')}`
          : (r.reason ?? `${r.name} ${r.version} is ${r.status}`),
    }));
}
