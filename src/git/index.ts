// Choosing and creating a git source driver. Each driver module (and its library) loads only when it is used.
import { spawnSync } from 'node:child_process';
import { InputError } from '../errors.js';
import type { GitDriverName, GitSource, GitSourceOptions } from './types.js';

export type { GitDriverName, GitSource, GitSourceOptions, SyncResult } from './types.js';

export async function createGitSource(driver: GitDriverName, opts: GitSourceOptions): Promise<GitSource> {
  if (driver === 'native') {
    const { NativeGitSource } = await import('./native.js');
    return new NativeGitSource(opts);
  }
  const { IsomorphicGitSource } = await import('./isomorphic.js');
  return new IsomorphicGitSource(opts);
}

// Whether git is on PATH does not change while the process runs: probe once. (A cached fact, not shared state.)
let probed: GitDriverName | undefined;

/** 'native' when a working `git` binary is on PATH, else 'isomorphic'. */
export function defaultGitDriver(): GitDriverName {
  if (probed === undefined) {
    const r = spawnSync('git', ['--version'], { stdio: 'ignore', timeout: 5_000 });
    probed = r.error === undefined && r.status === 0 ? 'native' : 'isomorphic';
  }
  return probed;
}

export function parseGitDriver(s: string): GitDriverName {
  if (s === 'native' || s === 'isomorphic') return s;
  throw new InputError('cli/git-driver', `unknown git driver "${s}"`, { expected: 'native or isomorphic' });
}
