// The steps before the switch: take the prepared tree (journaled as "installing"), check it against the platform, and
// run the module's lifecycle hook. Nothing on the target changes here; a failure leaves the old version active.
import { OperationFailed } from '../../errors.js';
import { satisfies } from '../../model/semantics.js';
import type { LockEntry, ModuleManifest } from '../../model/types.js';
import { readManifestInDir } from '../../source/manifest-file.js';
import { crashPoint } from '../crash.js';
import { hookFor, runHook } from '../hooks.js';
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

/** Runs the module's install/upgrade/downgrade hook from its stored tree (unless hooks are skipped). */
export async function runPreHook(ctx: ModuleContext, entry: LockEntry, staged: Staged): Promise<void> {
  const { action: a, deps, opts, current, base } = ctx;
  if (opts.skipHooks) return;
  const { store } = deps;
  deps.onEvent?.({ type: 'step', module: a.module, step: 'hook' });
  const op = a.kind === 'reinstall' ? 'upgrade' : a.kind;
  await runHook(
    hookFor(op),
    {
      module: a.module,
      operation: a.kind,
      fromVersion: current?.active.version ?? null,
      toVersion: entry.version,
      sourcePath: staged.abs,
      manifest: staged.manifest,
      operationId: base.id,
      onSpawn: (pgid) => {
        const j = store.readJournal();
        if (j) store.writeJournal({ ...j, hookPgid: pgid });
      },
      // The history record (switched in or failed) carries what the hook did.
      onResult: (r) => {
        base.hooks = [...(base.hooks ?? []), r];
      },
    },
    opts.hookTimeoutMs,
    opts.moduleEnv,
  );
  crashPoint('after-hook');
}
