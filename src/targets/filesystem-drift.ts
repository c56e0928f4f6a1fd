// Drift of the filesystem target: what is on disk no longer matches what the state recorded (an edited file, a link
// switched by hand). FilesystemTarget.observeDrift answers with this.
import { existsSync } from 'node:fs';
import { InputError } from '../errors.js';
import { hashTreesSettled } from '../hash/tree-hash.js';
import type { DeployedState } from '../state/types.js';
import type { FilesystemTarget } from './filesystem.js';

/** Module → why it drifted. Hashes every active tree (both cores); `quick` only checks links and presence. */
export async function filesystemDrift(
  target: FilesystemTarget,
  state: DeployedState,
  quick: boolean,
): Promise<Map<string, string>> {
  const drift = new Map<string, string>();
  const toHash: { module: string; root: string; display: string; want: string }[] = [];
  for (const m of Object.values(state.modules)) {
    // A disabled module has no link on purpose; its tree waits in the store.
    if (m.status === 'disabled') continue;
    const shown = target.modulePath(m.name, m.path);
    if (target.mode === 'symlink') {
      const linked = target.activeStoreDir(m.name, m.path);
      if (linked === undefined) {
        drift.set(m.name, existsSync(shown) ? 'not a link to the store' : 'missing from the target');
        continue;
      }
      if (linked !== m.active.storeDir) {
        drift.set(m.name, `links to ${linked}, the state records ${m.active.storeDir}`);
        continue;
      }
      if (!existsSync(target.abs(m.active.storeDir))) {
        drift.set(m.name, `${m.active.storeDir} is missing`);
        continue;
      }
    } else if (!existsSync(shown)) {
      drift.set(m.name, 'missing from the target');
      continue;
    }
    const root = target.mode === 'symlink' ? target.abs(m.active.storeDir) : shown;
    toHash.push({ module: m.name, root, display: m.name, want: m.active.sha256 });
  }
  if (quick || toHash.length === 0) return drift;
  const hashes = await hashTreesSettled(toHash);
  toHash.forEach((t, i) => {
    const h = hashes[i]!;
    if (h instanceof InputError)
      drift.set(t.module, `cannot be verified: ${h.message} (${h.file ?? t.display})`);
    else if (h.digest !== t.want)
      drift.set(
        t.module,
        `content changed on disk (${h.digest.slice(0, 19)}…, recorded ${t.want.slice(0, 19)}…)`,
      );
  });
  return drift;
}
