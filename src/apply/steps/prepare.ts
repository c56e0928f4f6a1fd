// Preparation: the version's verified tree in the target's store — fetch, extract, content check — before any switch.
// A prepared tree is complete and verified but not active, so a crash here leaves nothing to undo.
import { randomUUID } from 'node:crypto';
import { OperationFailed } from '../../errors.js';
import { hashTree } from '../../hash/tree-hash.js';
import { moduleIdOf } from '../../model/manifest.js';
import type { LockEntry } from '../../model/types.js';
import type { PlanAction } from '../../plan/types.js';
import { readManifestInDir } from '../../source/manifest-file.js';
import { crashPoint } from '../crash.js';
import type { EngineDeps } from '../engine-types.js';
import type { ExtractPool } from '../extract-pool.js';

/** Makes sure the version's verified tree is in the store: reused when it is there and still hashes right, else fetched and extracted. */
export async function ensureStored(
  a: PlanAction,
  entry: LockEntry,
  preferred: string,
  deps: EngineDeps,
  download: () => Promise<string>,
  pool: ExtractPool,
): Promise<string> {
  const { target } = deps;
  // The canonical dir, and copies made beside a damaged one: the first that still hashes right is used, so a tree
  // that is already here is never downloaded again (a rollback, a link switched by hand).
  for (const rel of target.storeCandidates(preferred)) {
    const h = await hashTree(target.abs(rel), rel).catch(() => undefined);
    if (h?.digest === entry.sha256) return rel;
  }
  // The canonical tree may be there but damaged, and may be the active one: never touch it, extract beside it.
  const rel = target.hasStore(preferred) ? `${preferred}.${randomUUID().slice(0, 8)}` : preferred;
  deps.onEvent?.({ type: 'step', module: a.module, step: 'fetch' });
  const artifact = await download();
  crashPoint('after-fetch');
  deps.onEvent?.({ type: 'step', module: a.module, step: 'extract' });
  const staging = target.newStagingDir(a.module);
  const digest = await pool.run(artifact, staging, `${a.module}@${entry.version}`);
  crashPoint('after-extract');
  deps.onEvent?.({ type: 'step', module: a.module, step: 'verify' });
  if (digest !== entry.sha256) {
    throw new OperationFailed(
      'artifact/content-mismatch',
      `the artifact of ${a.module} ${entry.version} unpacks to ${digest}, the lock pins ${entry.sha256}`,
    );
  }
  const m = readManifestInDir(staging, `${a.module}@${entry.version}`).manifest;
  if (moduleIdOf(m) !== a.module || m.version !== entry.version) {
    throw new OperationFailed(
      'artifact/wrong-module',
      `the artifact holds ${m.name} ${m.version}, expected ${a.module} ${entry.version}`,
    );
  }
  target.commitToStore(staging, rel);
  crashPoint('after-store');
  return rel;
}
