// Reading a module's manifest from disk by absolute path (an unpacked artifact, a store entry, a module folder).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  atFirstLine,
  MANIFEST_CAP,
  MANIFEST_FILES,
  type ManifestDoc,
  type ManifestOptions,
  parseManifestDoc,
} from '../model/manifest.js';
import { readSourceDoc } from './files.js';

/** Reads a manifest file; throws an InputError carrying every problem found. */
export function readManifest(absFile: string, display: string, opts: ManifestOptions = {}): ManifestDoc {
  let doc: ReturnType<typeof readSourceDoc>;
  try {
    doc = readSourceDoc(absFile, display, MANIFEST_CAP);
  } catch (e) {
    throw atFirstLine(e);
  }
  return parseManifestDoc(doc, opts);
}

/**
 * The manifest file of a module tree: the first of `files` that exists in `absDir`; undefined when none does. Pass
 * the config's `modules.manifestFile` where it is known (lock, verify --dir, publish, import), so a folder holding both
 * files is read the same way by each; a target has no config and reads the default order (module.json, then
 * module.manifest.json).
 */
export function manifestFileIn(
  absDir: string,
  files: readonly string[] = MANIFEST_FILES,
): string | undefined {
  return files.find((f) => existsSync(join(absDir, f)));
}

/**
 * Reads the manifest of the module tree at `absDir` (`display` names the tree): the first of `opts.files` (default
 * order without it) found there; the first name when there is none (its not-found error).
 */
export function readManifestInDir(
  absDir: string,
  display: string,
  opts: ManifestOptions & { files?: readonly string[] } = {},
): ManifestDoc {
  const files = opts.files ?? MANIFEST_FILES;
  const file = manifestFileIn(absDir, files) ?? files[0] ?? MANIFEST_FILES[0];
  return readManifest(join(absDir, file), `${display}/${file}`, opts);
}
