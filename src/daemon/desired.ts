// The desired state at a commit: ringlock.yaml (and its platform version file) and the ring's lock, read from git
// without a checkout and validated exactly as the CLI validates them on disk. Errors name repo paths with line:column.
import { InputError } from '../errors.js';
import {
  type CommitReader,
  lockPathIn,
  readConfigAt,
  readLockAt,
  readTenantsAt,
} from '../git/commit-source.js';
import type { LoadedConfig } from '../model/config.js';
import { tenantsOf } from '../model/tenants.js';
import type { RingLock, RingPolicy } from '../model/types.js';

export interface Desired {
  commit: string;
  config: LoadedConfig;
  ring: RingPolicy;
  lock: RingLock;
  /** Repo-relative path of the lock file. */
  lockFile: string;
  /** The commit's subject line: the reason the history records for what the daemon applies from it. */
  subject?: string;
  /** The commit's committer time (seconds since the epoch), when the git driver said: the order of what is applied. */
  committedAt?: number;
  /** The tenants assigned to the ring (for the per-tenant hooks). */
  tenants: string[];
  /** Every tenant of rings/tenants.yaml → its ring (published for the platform's routing). */
  tenantMap: Record<string, string>;
}

export async function readDesired(
  source: CommitReader,
  commit: string,
  base: string,
  ringName: string,
): Promise<Desired> {
  const config = await readConfigAt(source, commit, base);
  const ring = config.rings.find((r) => r.name === ringName);
  if (!ring) {
    throw new InputError('ring/unknown', `ring "${ringName}" is not defined in ${config.file}`, {
      file: config.file,
      expected: `one of: ${config.rings.map((r) => r.name).join(', ')}`,
    });
  }
  const found = await readLockAt(source, commit, config, ringName);
  if (!found) {
    const lockFile = lockPathIn(config, ringName);
    throw new InputError(
      'lock/not-found',
      `ring "${ringName}" has no lock at commit ${commit.slice(0, 12)}`,
      {
        file: lockFile,
        expected: `${lockFile} (write it with "ringlock lock --ring ${ringName}")`,
      },
    );
  }
  const tenantMap = await readTenantsAt(source, commit, config);
  const tenants = tenantsOf(tenantMap, ringName);
  return { commit, config, ring, lock: found.lock, lockFile: found.file, tenants, tenantMap };
}
