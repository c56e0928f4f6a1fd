// Reading one module.json from disk by absolute path (an unpacked artifact, a store entry, a module folder).
import { MANIFEST_CAP, type ManifestDoc, parseManifestDoc } from '../model/manifest.js';
import { readSourceDoc } from './files.js';

/** Reads `<dir>/module.json`; throws an InputError carrying every problem found. */
export function readManifest(absFile: string, display: string): ManifestDoc {
  return parseManifestDoc(readSourceDoc(absFile, display, MANIFEST_CAP));
}
