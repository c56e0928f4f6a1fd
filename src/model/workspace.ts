// A platform repository as ringlock sees it: config, rings, locks, tenants and module sources.
// Reads through a FileSource (a directory on disk: src/source/workspace-dir.ts opens one); no file I/O of its own.
import { isAbsolute, join, relative, sep } from 'node:path';
import { type Diagnostic, InputError } from '../errors.js';
import type { LoadedConfig } from './config.js';
import { type FileSource, list, readNow } from './file-source.js';
import { findCycle } from './graph.js';
import { type LockDoc, readLock } from './lock.js';
import {
  atFirstLine,
  isLockFolder,
  MANIFEST_FILES,
  type ManifestDoc,
  moduleDependencies,
  platformData,
  readManifestIn,
  throwIfErrors,
} from './manifest.js';
import { diagAt } from './semantics.js';
import { toPointer } from './source.js';
import { readTenants } from './tenants.js';
import type { RingPolicy } from './types.js';

export interface SourceModule extends ManifestDoc {
  name: string;
  /** Absolute path of the module's directory. */
  dir: string;
  /** Path of the module's directory relative to the workspace root, with '/' separators (its real case). */
  relDir: string;
  /** The folder's path under the modules dir when it is not the module name (`Orders` for the module "orders"). */
  path?: string;
  /** The manifest's file name in the directory (module.json, module.manifest.json). */
  manifestFile: string;
  /** Its dependencies on modules (the platform's own, modules.platformDependencies, left out). */
  dependencies: Record<string, string>;
  /** The platform's own manifest fields for the lock entry's `manifest` (with modules.lockManifest only). */
  lockData?: Record<string, unknown>;
}

/** A module folder without a manifest ringlock looks for: a warning naming the folder (it is not a module). */
function noManifestWarning(folder: string, files: readonly string[], present: string[]): Diagnostic {
  const others = present.filter(
    (f) => (MANIFEST_FILES as readonly string[]).includes(f) || /manifest|module/i.test(f),
  );
  return {
    severity: 'warning',
    rule: 'module/no-manifest',
    message: `module folder without ${files.join(' or ')}${others.length > 0 ? ` (it holds ${others.join(', ')}, which ringlock does not look for)` : ''}: not a module, skipped`,
    expected: `a ${files.join(' or ')} in each module folder (modules.manifestFile), or no folder`,
    file: folder,
  };
}

export class Workspace {
  readonly root: string;
  readonly cfg: LoadedConfig;
  private moduleCache?: Map<string, SourceModule>;
  private tenantCache?: Record<string, string>;
  private warningList: Diagnostic[] = [];

  private constructor(
    private readonly source: FileSource,
    cfg: LoadedConfig,
  ) {
    this.cfg = cfg;
    this.root = cfg.root;
  }

  /** The workspace of `cfg` (whose root is the source's directory), reading its files from `source`. */
  static over(source: FileSource, cfg: LoadedConfig): Workspace {
    return new Workspace(source, cfg);
  }

  get rings(): RingPolicy[] {
    return this.cfg.rings;
  }

  get platformVersion(): string {
    return this.cfg.platformVersion;
  }

  /** Root-relative, '/'-separated path for messages. */
  display(abs: string): string {
    const rel = relative(this.root, abs);
    return rel === '' ? '.' : rel.split(sep).join('/');
  }

  abs(rel: string): string {
    return isAbsolute(rel) ? rel : join(this.root, rel);
  }

  ring(name: string): RingPolicy {
    const r = this.rings.find((x) => x.name === name);
    if (!r) {
      throw new InputError('ring/unknown', `unknown ring "${name}"`, {
        file: this.cfg.file,
        expected: `one of: ${this.rings.map((x) => x.name).join(', ')}`,
      });
    }
    return r;
  }

  /** The ring whose lock pins what the module sources hold now. */
  trackingRing(): RingPolicy {
    const r = this.rings.find((x) => x.tracksSource);
    if (!r) {
      throw new InputError(
        'ring/none-tracks-source',
        'no ring tracks the module sources; name one with --ring',
        {
          file: this.cfg.file,
          expected: 'tracksSource: true on a ring, or --ring',
        },
      );
    }
    return r;
  }

  lockPath(ring: string): string {
    return join(this.root, this.cfg.locksDir, `${ring}.lock.json`);
  }

  /** The ring's lock, or undefined when the file does not exist yet. */
  readLock(ring: string): LockDoc | undefined {
    const found = readNow(this.source, readLock(this.display(this.lockPath(ring)), ring));
    return found && { lock: found.lock, doc: found.doc };
  }

  /** What finding the modules warned about (folders without a manifest), once modules() has run. */
  get warnings(): readonly Diagnostic[] {
    return this.warningList;
  }

  /**
   * Every module under the modules dir, by name (the lowercase folder path: Modules/Orders is "orders"). Throws one
   * InputError listing every problem; folders without a manifest are warnings (see `warnings`).
   */
  modules(): Map<string, SourceModule> {
    if (this.moduleCache) return this.moduleCache;
    const base = this.abs(this.cfg.modulesDir);
    const diags: Diagnostic[] = [];
    const found: SourceModule[] = [];
    const listDirs = (abs: string): string[] => {
      const entries = readNow(this.source, list(this.display(abs)))?.filter((e) => !e.name.startsWith('.'));
      if (entries === undefined) {
        const at = this.cfg.config.modules?.dir !== undefined ? this.cfg.doc.locate('/modules/dir') : {};
        throw new InputError('config/modules-dir', `modules directory ${this.display(abs)} not found`, {
          file: this.cfg.file,
          ...at,
          expected: 'modules.dir in ringlock.yaml to name an existing directory',
        });
      }
      for (const e of entries) {
        if (e.linksToDirectory !== undefined) {
          // Module sources are hashed in place and links are never followed: a linked folder would be skipped silently.
          diags.push({
            severity: 'error',
            rule: 'module/symlink',
            message: `module folder is a symlink (-> ${e.linksToDirectory}); ringlock does not follow links`,
            expected: 'a real directory for each module source',
            file: this.display(join(abs, e.name)),
          });
        }
      }
      return entries
        .filter((e) => e.kind === 'directory')
        .map((e) => e.name)
        .sort();
    };
    const candidates: string[] = [];
    for (const name of listDirs(base)) {
      if (name.startsWith('@'))
        for (const sub of listDirs(join(base, name))) candidates.push(`${name}/${sub}`);
      else candidates.push(name);
    }
    const folded = new Map<string, string>();
    const { files, mode, permissionsPolicy, platformDependencies, lockManifest } = this.cfg.manifests;
    const warnings: Diagnostic[] = [];
    for (const relName of candidates) {
      const dir = join(base, ...relName.split('/'));
      // Any kind of entry: a FIFO or a folder where the manifest should be is read, and refused, as such.
      const entries = readNow(this.source, list(this.display(dir))) ?? [];
      const fileNames = new Set(entries.map((e) => e.name));
      const present = files.filter((f) => fileNames.has(f));
      if (present.length === 0) {
        if (isLockFolder(entries)) continue;
        warnings.push(noManifestWarning(this.display(dir), files, [...fileNames]));
        continue;
      }
      const fileName = present[0]!;
      const display = this.display(join(dir, fileName));
      for (const other of present.slice(1))
        warnings.push({
          severity: 'warning',
          rule: 'module/second-manifest',
          message: `${this.display(dir)} holds both ${fileName} and ${other}: ${other} is ignored`,
          expected: `one manifest per module folder (modules.manifestFile lists ${files.join(', ')}, first found wins)`,
          file: this.display(join(dir, other)),
        });
      const other = folded.get(relName.toLowerCase());
      if (other !== undefined) {
        diags.push({
          severity: 'error',
          rule: 'module/name-collision',
          message: `modules "${other}" and "${relName}" collide: names must differ case-insensitively (they cannot both exist on macOS or Windows checkouts)`,
          expected: 'one directory per module name, lowercase',
          file: display,
        });
        continue;
      }
      folded.set(relName.toLowerCase(), relName);
      let m: ManifestDoc;
      try {
        m = readNow(this.source, readManifestIn(display, { mode, permissionsPolicy }))!;
      } catch (caught) {
        const e = atFirstLine(caught);
        if (e instanceof InputError) {
          diags.push(...e.diagnostics());
          continue;
        }
        throw e;
      }
      // A PascalCase folder (AutoCom's Modules/Orders, named Orders or orders) holds the module "orders".
      const id = relName.toLowerCase();
      if (m.manifest.name !== relName && m.manifest.name !== id) {
        diags.push(
          diagAt(
            m.doc,
            '/name',
            'module/name-mismatch',
            `module name "${m.manifest.name}" does not match its directory "${relName}"`,
            `"${relName}" (the directory path under ${this.cfg.modulesDir}/)`,
          ),
        );
        continue;
      }
      const data = platformData(m.manifest);
      found.push({
        ...m,
        name: id,
        dir,
        relDir: this.display(dir),
        ...(relName !== id ? { path: relName } : {}),
        manifestFile: fileName,
        dependencies: moduleDependencies(m.manifest, platformDependencies),
        ...(lockManifest && Object.keys(data).length > 0 ? { lockData: data } : {}),
      });
    }
    this.warningList = warnings;
    const byName = new Map(found.map((m) => [m.name, m]));
    const cycle = findCycle(new Map(found.map((m) => [m.name, Object.keys(m.dependencies)])));
    if (cycle) {
      const first = byName.get(cycle[0]!)!;
      const ptr = toPointer(['dependencies', cycle[1]!]);
      diags.push(
        diagAt(
          first.doc,
          ptr,
          'module/dependency-cycle',
          `dependency cycle: ${cycle.join(' → ')}`,
          'dependencies that form no cycle',
          'key',
        ),
      );
    }
    throwIfErrors(diags);
    this.moduleCache = byName;
    return byName;
  }

  /** tenant → ring; every ring named must exist. Empty when the file does not exist. */
  tenants(): Record<string, string> {
    if (this.tenantCache) return this.tenantCache;
    // Only the default path may be absent; a file named in ringlock.yaml must exist (model/tenants.ts).
    this.tenantCache = readNow(
      this.source,
      readTenants(this.display(this.abs(this.cfg.tenantsFile)), this.cfg),
    );
    return this.tenantCache;
  }
}
