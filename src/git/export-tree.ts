// One folder of a commit, written out as files (`git archive` of that path, then tar): the tree of an older release
// the working tree no longer holds, for `ringlock publish` to pack. The caller verifies the result's content hash.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InputError } from '../errors.js';
import { git } from './cli.js';

const run = promisify(execFile);

/** Writes `path` (relative to the top of the repository at `top`) as it is at `commit` under `dest` (an empty folder). */
export async function exportTree(top: string, commit: string, path: string, dest: string): Promise<string> {
  if (!/^[0-9a-f]{40}$/.test(commit) || path.startsWith('/') || path.split('/').includes('..'))
    throw new InputError('git/export', `cannot export ${path} at ${commit}`, {
      expected: 'a full commit id and a path inside the repository',
    });
  const archive = join(dest, '.ringlock-export.tar');
  await git(['archive', '--format=tar', '-o', archive, commit, '--', path], { cwd: top });
  await run('tar', ['-xf', archive, '-C', dest, '--no-same-owner'], { maxBuffer: 16 * 1024 * 1024 });
  await run('rm', ['-f', archive]);
  return join(dest, path);
}
