// The platform repository from a checkout on disk: find ringlock.yaml from a directory upwards, read it, and open the
// Workspace over the checkout as a DirSource.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { CONFIG_FILES, type LoadedConfig, readConfig } from '../model/config.js';
import { readNow } from '../model/file-source.js';
import { Workspace } from '../model/workspace.js';
import { DirSource } from './dir-source.js';

/** The directory holding ringlock.yaml: `start` or the nearest parent that has one. */
export function findConfigRoot(start: string): { root: string; file: string } {
  let dir = resolve(start);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError(
      'cli/cwd',
      `--cwd ${start}: ${existsSync(dir) ? 'not a directory' : 'no such directory'}`,
      {
        expected: 'an existing directory',
      },
    );
  }
  for (;;) {
    for (const name of CONFIG_FILES) {
      const f = join(dir, name);
      if (existsSync(f)) return { root: dir, file: name };
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new InputError('config/not-found', `no ringlock.yaml in ${resolve(start)} or any parent directory`, {
    expected: 'a ringlock.yaml at the top of the platform repository (see README "ringlock.yaml")',
  });
}

function readConfigIn(source: DirSource, file: string): LoadedConfig {
  return readNow(
    source,
    readConfig({
      root: source.root,
      candidates: [file],
      versionPath: (rel) => rel,
      notFound: () => new InputError('file/not-found', 'config not found', { file }),
    }),
  );
}

/** ringlock.yaml of the checkout holding `start`, validated and resolved. */
export function loadConfig(start: string): LoadedConfig {
  const { root, file } = findConfigRoot(start);
  return readConfigIn(new DirSource(root), file);
}

/** The workspace of the checkout holding `cwd`. */
export function openWorkspace(cwd: string): Workspace {
  const { root, file } = findConfigRoot(cwd);
  const source = new DirSource(root);
  return Workspace.over(source, readConfigIn(source, file));
}
