// The source side of a lock: each module's manifest with the content hash of its tree, hashed in one pass over both
// cores. `ringlock lock`, `verify` and `init` all start from it.
import { hashTrees } from '../hash/tree-hash.js';
import type { SourceState } from '../lock/compute.js';
import type { SourceModule } from '../model/workspace.js';

export async function hashSources(
  mods: readonly SourceModule[],
  onWalked?: (files: number) => void,
): Promise<Map<string, SourceState>> {
  const hashes = await hashTrees(
    mods.map((m) => ({ root: m.dir, display: m.relDir })),
    { onWalked },
  );
  const out = new Map<string, SourceState>();
  mods.forEach((m, i) => {
    const h = hashes[i]!;
    out.set(m.name, {
      name: m.name,
      relDir: m.relDir,
      ...(m.path !== undefined ? { path: m.path } : {}),
      manifest: m.manifest,
      digest: h.digest,
      fileCount: h.fileCount,
      sizeBytes: h.sizeBytes,
      dependencies: m.dependencies,
      ...(m.lockData ? { lockData: m.lockData } : {}),
    });
  });
  return out;
}
