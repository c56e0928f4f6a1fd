// The steps before the switch: take the prepared tree (journaled as "installing") and check it against the platform.
// Nothing on the target changes here; a failure leaves the old version active.
import { OperationFailed } from '../../errors.js';
import { satisfies } from '../../model/semantics.js';
import type { LockEntry, ModuleManifest } from '../../model/types.js';
import { readManifestInDir } from '../../source/manifest-file.js';
import type { ModuleContext } from './context.js';

/** The version's tree in the store, ready to be switched in. */
export interface Staged {
  /** Store dir, relative to the target. */
  rel: string;
  abs: string;
  manifest: ModuleManifest;
}

/** Journals the operation, waits for the module's preparation, and checks the stored version's platform constraint. */
export async function takePrepared(
  ctx: ModuleContext,
  entry: LockEntry,
  prepared: () => Promise<string>,
): Promise<Staged> {
  const { action: a, deps, opts, current, base } = ctx;
  const { target, store } = deps;
  // Visible as "installing" (ringlock list) and recoverable from here on.
  store.writeJournal(
    {
      id: base.id,
      phase: 'installing',
      module: a.module,
      from: current?.active.storeDir,
      record: base,
    },
    false,
  );
  const rel = await prepared();
  Object.assign(base, {
    integrity: entry.integrity,
    sha256: entry.sha256,
    source: rel,
    size: entry.size_bytes,
  });
  const storeAbs = target.abs(rel);
  const manifest = readManifestInDir(storeAbs, rel).manifest;
  const constraint = manifest.compatibility?.platform;
  if (constraint !== undefined && !satisfies(opts.platform, constraint)) {
    throw new OperationFailed(
      'compat/platform',
      `${a.module} ${entry.version} needs platform ${constraint}, the ring runs ${opts.platform}`,
    );
  }
  return { rel, abs: storeAbs, manifest };
}
