// The desired state at a commit: ringlock.yaml (and its platform version file) and the ring's lock, read from git
// without a checkout and validated exactly as the CLI validates them on disk. Errors name repo paths with line:column.
import { posix } from 'node:path';
import { InputError } from '../errors.js';
import type { GitSource } from '../git/types.js';
import {
  CONFIG_FILES,
  CONFIG_MAX_BYTES,
  configDiagnostics,
  type LoadedConfig,
  resolveConfig,
  VERSION_FILE_MAX_BYTES,
  versionFileOf,
} from '../model/config.js';
import { parseLockDoc } from '../model/lock.js';
import { throwIfErrors } from '../model/manifest.js';
import { parseSource } from '../model/source.js';
import type { RingLock, RingPolicy } from '../model/types.js';

export interface Desired {
  commit: string;
  config: LoadedConfig;
  ring: RingPolicy;
  lock: RingLock;
  /** Repo-relative path of the lock file. */
  lockFile: string;
}

/** Repo-relative path under the config dir `base` ('.' or a sub-folder), refusing escapes. */
function under(base: string, rel: string): string {
  const p = posix.normalize(posix.join(base, rel));
  if (p.startsWith('../') || p === '..' || posix.isAbsolute(p)) {
    throw new InputError('config/path', `${rel} leads outside the repository`, {
      expected: 'a path inside the repository',
    });
  }
  return p;
}

/** What reading at a commit needs of a git source (the daemon's GitSource, or a clone's WorkRepo). */
export type CommitReader = Pick<GitSource, 'readFile'>;

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
  return { commit, config, ring, lock: found.lock, lockFile: found.file };
}

/** Repo-relative path of a ring's lock. */
export function lockPathIn(config: LoadedConfig, ringName: string): string {
  return under(config.root, posix.join(config.locksDir, `${ringName}.lock.json`));
}

/** A ring's lock at a commit, validated; undefined when the file does not exist there. */
export async function readLockAt(
  source: CommitReader,
  commit: string,
  config: LoadedConfig,
  ringName: string,
): Promise<{ lock: RingLock; text: string; file: string } | undefined> {
  const file = lockPathIn(config, ringName);
  const text = await source.readFile(commit, file);
  if (text === undefined) return undefined;
  return { lock: parseLockDoc(parseSource(file, text), ringName).lock, text, file };
}

/** ringlock.yaml (and its platform version file) at a commit, validated; `root` of the result is `base`. */
export async function readConfigAt(
  source: CommitReader,
  commit: string,
  base: string,
): Promise<LoadedConfig> {
  let file: string | undefined;
  let text: string | undefined;
  for (const name of CONFIG_FILES) {
    file = under(base, name);
    text = await source.readFile(commit, file, CONFIG_MAX_BYTES);
    if (text !== undefined) break;
  }
  if (text === undefined || file === undefined) {
    throw new InputError(
      'config/not-found',
      `no ringlock.yaml in ${base === '.' ? 'the repository root' : base} at commit ${commit.slice(0, 12)}`,
      { expected: 'ringlock.yaml at the top of the platform repository, or --path naming its folder' },
    );
  }
  const doc = parseSource(file, text);
  throwIfErrors(configDiagnostics(doc));
  const versionRel = versionFileOf(doc);
  const versionText =
    versionRel === undefined
      ? undefined
      : await source.readFile(commit, under(base, versionRel), VERSION_FILE_MAX_BYTES);
  return resolveConfig(base, file, doc, (rel) => {
    if (versionText === undefined)
      throw new InputError('file/not-found', 'platform version file not found', { file: under(base, rel) });
    return versionText;
  });
}
