// The observe step for a deployed modules directory: which modules are there, their manifests and content hashes.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, isErrnoException } from '../errors.js';
import { hashTreesSettled } from '../hash/tree-hash.js';
import {
  MANIFEST_FILES,
  type ManifestDoc,
  moduleDependencies,
  moduleIdOf,
  platformData,
} from '../model/manifest.js';
import { manifestFileIn, readManifest } from '../source/manifest-file.js';
import type { ObservedModule } from './verify.js';

/** What the workspace's config says about reading manifests (ringlock.yaml's `modules`). */
export interface ObserveOptions {
  /** modules.manifestFile: the manifest file names in the order they are looked for (default: module.json first). */
  files?: readonly string[];
  /** modules.platformDependencies: dependencies that are the platform's, not modules (left out). */
  platformDependencies?: readonly string[];
  /** modules.lockManifest: the platform's own fields are compared with the lock entry's `manifest`. */
  lockManifest?: boolean;
}

/** Reads every module deployed under `dir` (`dir/<name>` or `dir/@scope/<name>`, directories or links to them). */
export async function observeDeployed(dir: string, display: string, opts: ObserveOptions = {}) {
  const observed = new Map<string, ObservedModule>();
  const unreadable = new Map<string, string>();
  const list = (abs: string): string[] => {
    try {
      return readdirSync(abs)
        .filter((n) => !n.startsWith('.'))
        .filter((n) => isDir(join(abs, n)))
        .sort();
    } catch (e) {
      throw new InputError(
        'cli/dir',
        `--dir ${display}: ${isErrnoException(e) && e.code === 'ENOENT' ? 'no such directory' : `cannot be read (${isErrnoException(e) ? e.code : String(e)})`}`,
        {
          expected: 'a directory holding one folder per deployed module',
        },
      );
    }
  };
  const names: string[] = [];
  for (const n of list(dir)) {
    if (n.startsWith('@')) for (const s of list(join(dir, n))) names.push(`${n}/${s}`);
    else names.push(n);
  }
  const trees: {
    name: string;
    path?: string;
    root: string;
    display: string;
    file: string;
    m: ManifestDoc;
  }[] = [];
  const folded = new Map<string, string>();
  for (const folder of names) {
    // A module deployed at its folder's case (`Orders`, the lock entry's path) is the module "orders".
    const name = folder.toLowerCase();
    const path = folder !== name ? folder : undefined;
    const modDir = join(dir, ...folder.split('/'));
    const other = folded.get(name);
    if (other !== undefined) {
      unreadable.set(
        name,
        `${display}/${other} and ${display}/${folder} are the same module in other letter case`,
      );
      continue;
    }
    folded.set(name, folder);
    const files = opts.files ?? MANIFEST_FILES;
    const file = manifestFileIn(modDir, files);
    if (file === undefined) {
      unreadable.set(name, `no ${files.join(' or ')} in ${display}/${folder}`);
      continue;
    }
    try {
      const m = readManifest(join(modDir, file), `${display}/${folder}/${file}`);
      if (moduleIdOf(m.manifest) !== name && m.manifest.name.toLowerCase() !== name) {
        unreadable.set(name, `${display}/${folder}/${file} names module "${m.manifest.name}"`);
        continue;
      }
      trees.push({
        name,
        ...(path ? { path } : {}),
        root: realpathSync(modDir),
        display: `${display}/${folder}`,
        file,
        m,
      });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const d = e.diagnostics()[0]!;
      unreadable.set(name, `${d.file ?? ''}${d.line ? `:${d.line}:${d.column}` : ''}: ${d.message}`);
    }
  }
  // One broken tree must not hide the others: each is hashed or reported on its own.
  const hashes = await hashTreesSettled(trees);
  trees.forEach((t, i) => {
    const h = hashes[i]!;
    if (h instanceof InputError) unreadable.set(t.name, `${h.file ?? t.display}: ${h.message}`);
    else {
      const data = platformData(t.m.manifest);
      observed.set(t.name, {
        name: t.name,
        ...(t.path !== undefined ? { path: t.path } : {}),
        manifest: t.m.manifest,
        manifestFile: t.file,
        ...(opts.platformDependencies
          ? { dependencies: moduleDependencies(t.m.manifest, opts.platformDependencies) }
          : {}),
        // As lock writes the entry: the platform's data only with modules.lockManifest, and only when there is some.
        ...(opts.lockManifest && Object.keys(data).length > 0 ? { lockData: data } : {}),
        digest: h.digest,
        fileCount: h.fileCount,
        sizeBytes: h.sizeBytes,
      });
    }
  });
  return { observed, unreadable };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
