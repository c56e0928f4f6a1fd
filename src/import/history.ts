// An older version's content hash from git history: a ring that does not track the sources pins releases the working
// tree no longer holds. The newest commit whose manifest (the first of modules.manifestFile there) names that version is
// the release's content; its tree is hashed from git exactly as its checkout would be (src/git/tree-hash.ts).
import { BlobReader, git } from '../git/cli.js';
import { hashGitTrees, listTrees } from '../git/tree-hash.js';
import type { SourceState } from '../lock/compute.js';
import { MANIFEST_FILES, moduleDependencies, platformData } from '../model/manifest.js';
import { parseJsonLoose } from '../model/source.js';
import type { ModuleManifest } from '../model/types.js';

export interface HistoricWant {
  name: string;
  /** The module's folder, relative to the workspace root. */
  relDir: string;
  version: string;
  /** Its folder's path under the modules dir when that is not its name (Modules/Orders): where it is deployed. */
  path?: string;
  /** How the workspace reads manifests (modules.platformDependencies, modules.lockManifest): the same for old ones. */
  platformDependencies?: readonly string[];
  lockManifest?: boolean;
}

/** The state of a module at a version its source no longer holds, and the commit it was read from. */
export interface HistoricSource {
  state: SourceState;
  commit: string;
}

/** Each wanted module at its version, when git history has it, keyed `name@version`; the rest are left out. */
export async function sourcesAtVersions(
  root: string,
  wants: readonly HistoricWant[],
  /** modules.manifestFile: the manifest names in the order they are looked for. */
  files: readonly string[] = MANIFEST_FILES,
): Promise<Map<string, HistoricSource>> {
  const out = new Map<string, HistoricSource>();
  if (wants.length === 0) return out;
  let top: string;
  let prefix: string;
  try {
    top = (await git(['rev-parse', '--show-toplevel'], { cwd: root })).trim();
    prefix = (await git(['rev-parse', '--show-prefix'], { cwd: root })).trim();
  } catch {
    return out; // not a git repository: nothing to look back on
  }
  const reader = new BlobReader(top);
  try {
    for (const w of wants) {
      if (out.has(`${w.name}@${w.version}`)) continue;
      const dir = `${prefix}${w.relDir}`;
      const paths = files.map((f) => `${dir}/${f}`);
      let log: string;
      try {
        log = await git(['log', '--format=%H', 'HEAD', '--', ...paths], { cwd: top });
      } catch {
        continue; // no commits yet
      }
      for (const commit of log.split('\n').filter((l) => l !== '')) {
        // As the workspace reads a folder: the first of the configured names present at that commit.
        let text: string | undefined;
        for (const p of paths) if (text === undefined) text = await reader.read(`${commit}:${p}`);
        const manifest = parseJsonLoose<ModuleManifest>(text);
        if (manifest?.version !== w.version) continue;
        const entries = await listTrees(top, commit, [dir]);
        const hash = (await hashGitTrees(reader, entries, [dir])).get(dir);
        if (hash && !(hash instanceof Error)) {
          // Entries as the workspace gives them for a current source: the deploy path, the dependencies on modules
          // only, the platform's own fields when the lock carries them.
          const full = { ...manifest, name: w.name, version: w.version } as ModuleManifest;
          const data = platformData(full);
          out.set(`${w.name}@${w.version}`, {
            commit,
            state: {
              name: w.name,
              relDir: w.relDir,
              ...(w.path !== undefined ? { path: w.path } : {}),
              manifest: full,
              digest: hash.digest,
              fileCount: hash.fileCount,
              sizeBytes: hash.sizeBytes,
              dependencies: moduleDependencies(full, w.platformDependencies ?? []),
              ...(w.lockManifest && Object.keys(data).length > 0 ? { lockData: data } : {}),
            },
          });
        }
        break;
      }
    }
  } finally {
    reader.close();
  }
  return out;
}
