// `ringlock init`'s plan: every file it would write into a platform repository (ringlock.yaml, the first lock of each
// ring, the tenants file, the shipped workflows and Kubernetes overlays), computed without writing; then the write.
// The locks go through the same readers and `computeLock` as `ringlock lock`, over the config about to be written.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Diagnostic, InputError } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';
import { computeLock } from '../lock/compute.js';
import { CONFIG_FILES, readConfig } from '../model/config.js';
import type { DirEntry, FileSource, ReadCap } from '../model/file-source.js';
import { readNow } from '../model/file-source.js';
import { serializeLock } from '../model/lock.js';
import { Workspace } from '../model/workspace.js';
import { DirSource } from '../source/dir-source.js';
import { hashSources } from '../verify/source-states.js';
import { findModules, findPlatformName, findPlatformVersion, type PlatformVersion } from './discover.js';
import { type ShippedRefs, shippedFiles } from './shipped.js';
import { configText, INIT_RINGS, tenantsText } from './templates.js';

export interface InitOptions {
  root: string;
  modules?: string;
  platformVersion?: string;
  name?: string;
  /** Write only the files that do not exist yet (default: refuse when any exists). */
  skipExisting?: boolean;
  /** The ringlock package whose examples/ are copied (default: the running one). */
  packageDir?: string;
  /** The `$schema` the new locks carry (the CLI passes the published package's URL: model/schema-url.ts). */
  lockSchema?: string;
  /** The Action and image the workflows and overlays name (default: placeholders that fail closed). */
  refs?: ShippedRefs;
}

export interface PlannedFile {
  /** Root-relative, '/'-separated. */
  path: string;
  /** What the file is, for the listing. */
  what: string;
  text: string;
  exists: boolean;
}

export interface InitPlan {
  root: string;
  name: string;
  modulesDir: string;
  platform: PlatformVersion;
  /** The modules found, with their versions; all pinned in the tracking ring's lock. */
  modules: { name: string; version: string }[];
  trackingRing: string;
  files: PlannedFile[];
  /** What reading the modules warned about: folders without a manifest (module/no-manifest), a second manifest. */
  warnings: readonly Diagnostic[];
}

const CONFIG_FILE = 'ringlock.yaml';
const LOCKS_DIR = 'rings';
const TENANTS_FILE = 'rings/tenants.yaml';

export async function planInit(opts: InitOptions): Promise<InitPlan> {
  const { root } = opts;
  const found = findModules(root, opts.modules);
  const platform = findPlatformVersion(root, opts.platformVersion);
  const name = findPlatformName(root, opts.name);
  const existingConfig = CONFIG_FILES.find((f) => existsSync(join(root, f)));
  const files: PlannedFile[] = [
    {
      path: CONFIG_FILE,
      what: 'configuration: rings canary → edge → stable',
      text: configText({
        name,
        platform,
        modulesDir: found.dir,
        locksDir: LOCKS_DIR,
        tenantsFile: TENANTS_FILE,
      }),
      exists: existingConfig !== undefined,
    },
    planned(root, TENANTS_FILE, 'tenant → ring (empty)', tenantsText()),
    ...shippedFiles(opts.packageDir, opts.refs).map((f) =>
      planned(
        root,
        f.path,
        f.path.startsWith('.github/') ? `GitHub workflow (from ${f.from})` : `Kubernetes (from ${f.from})`,
        f.text,
      ),
    ),
  ];
  // Refuse before reading anything the user wrote: an existing ringlock.yaml is the user's, not ours to validate.
  const lockGuess = INIT_RINGS.map((r) => `${LOCKS_DIR}/${r}.lock.json`).filter((p) =>
    existsSync(join(root, p)),
  );
  refuseConflicts(opts, [
    ...files.filter((f) => f.exists).map((f) => (f.path === CONFIG_FILE ? existingConfig! : f.path)),
    ...lockGuess,
  ]);

  // The workspace as it will be: files on disk, with the ones init writes served from memory.
  const source = new OverlaySource(
    new DirSource(root),
    new Map(files.filter((f) => !f.exists).map((f) => [f.path, f.text])),
  );
  const cfg = readNow(
    source,
    readConfig({
      root,
      candidates: CONFIG_FILES,
      versionPath: (rel) => rel,
      notFound: () => new InputError('config/not-found', 'no ringlock.yaml', { file: CONFIG_FILE }),
    }),
  );
  const ws = Workspace.over(source, cfg);
  const sources = readModules(ws, found.autocom);
  const states = await hashSources([...sources.values()]);
  const tracking = ws.trackingRing();
  // As `ringlock lock` would write them: the tracking ring gets every module, the others start empty.
  for (const ring of ws.rings) {
    const { lock } = computeLock({
      ring,
      platformVersion: ws.platformVersion,
      sources: ring.tracksSource ? states : new Map(),
      schema: opts.lockSchema,
    });
    const path = ws.display(ws.lockPath(ring.name));
    const what = ring.tracksSource
      ? `lock of ring ${ring.name}: ${states.size} module(s)`
      : `lock of ring ${ring.name}: empty until promotion`;
    files.push(planned(root, path, what, serializeLock(lock)));
  }
  return {
    root,
    name,
    modulesDir: cfg.modulesDir,
    platform,
    modules: [...states.values()].map((s) => ({ name: s.name, version: s.manifest.version })),
    trackingRing: tracking.name,
    files,
    warnings: ws.warnings,
  };
}

/** Writes the planned files that do not exist; returns what it wrote. */
export function writeInit(plan: InitPlan): string[] {
  const written: string[] = [];
  for (const f of plan.files) {
    if (f.exists) continue;
    const abs = join(plan.root, f.path);
    // Checked again at write time: a file that appeared since the plan is not overwritten.
    if (existsSync(abs)) continue;
    mkdirSync(dirname(abs), { recursive: true });
    writeFileAtomic(abs, f.text, f.path);
    written.push(f.path);
  }
  return written;
}

function planned(root: string, path: string, what: string, text: string): PlannedFile {
  return { path, what, text, exists: existsSync(join(root, path)) };
}

function refuseConflicts(opts: InitOptions, existing: string[]): void {
  if (existing.length === 0 || opts.skipExisting) return;
  const message = `${existing.length} file(s) init would write already exist; nothing was written`;
  const expected =
    'remove or move them and run ringlock init again, or --skip-existing to write only the missing files (init never overwrites)';
  throw new InputError('init/exists', message, {
    file: existing[0],
    expected,
    // The CLI prints the details: the headline first, then each file.
    details: [
      { severity: 'error', rule: 'init/exists', message, expected },
      ...existing.map((file) => ({
        severity: 'error' as const,
        rule: 'init/exists',
        message: 'already exists',
        file,
      })),
    ],
  });
}

/** The module sources, validated; on an AutoCom-style platform the problems get a headline saying what ringlock expects. */
function readModules(ws: Workspace, autocom: boolean) {
  try {
    return ws.modules();
  } catch (e) {
    if (!(e instanceof InputError) || !autocom) throw e;
    const message = `${ws.cfg.modulesDir}/ looks like an AutoCom (Laravel) platform, and ${e.diagnostics().length} problem(s) below stop ringlock from reading its manifests; nothing was written`;
    const expected =
      'in each Modules/<Name>/module.json: "name" equal to the folder name (Orders) or its lowercase, "alias" (if any) the lowercase name, a semver "version" (see README "module.json")';
    throw new InputError('init/autocom-manifests', message, {
      file: ws.cfg.modulesDir,
      expected,
      details: [
        { severity: 'error', rule: 'init/autocom-manifests', message, expected, file: ws.cfg.modulesDir },
        ...e.diagnostics(),
      ],
      cause: e,
    });
  }
}

/** A directory with some files not written yet: reads of those paths answer from memory. */
class OverlaySource implements FileSource {
  constructor(
    private readonly base: DirSource,
    private readonly extra: ReadonlyMap<string, string>,
  ) {}
  readText(path: string, cap: ReadCap): string | undefined {
    return this.extra.get(path) ?? this.base.readText(path, cap);
  }
  exists(path: string): boolean {
    return this.extra.has(path) || this.base.exists(path);
  }
  isDirectory(path: string): boolean {
    return this.base.isDirectory(path);
  }
  list(path: string): DirEntry[] | undefined {
    return this.base.list(path);
  }
}
