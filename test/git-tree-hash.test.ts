// The content hash of a module tree read from git objects equals the hash of its checkout on disk.
import { describe, expect, it } from 'vitest';
import { BlobReader } from '../src/git/cli.js';
import { hashGitTrees, listTrees } from '../src/git/tree-hash.js';
import { hashTree } from '../src/hash/tree-hash.js';
import { testdir } from './helpers.js';
import { git } from './support/check-repo.js';

async function fromGit(repo: string, dirs: string[]) {
  const reader = new BlobReader(repo);
  try {
    const sha = git(repo, ['rev-parse', 'HEAD']);
    return await hashGitTrees(reader, await listTrees(repo, sha, dirs), dirs);
  } finally {
    reader.close();
  }
}

describe('content hash of a tree read from git', () => {
  it('matches the README test vector and the on-disk hash (modes, links, excludes, .ringlockignore, sort order)', async () => {
    const repo = testdir({
      'm/demo/module.json': '{"name":"demo","version":"1.0.0"}\n',
      'm/demo/bin/run.sh': { exec: '#!/bin/sh\necho hi\n' },
      'm/demo/src/a.txt': 'a\n',
      'm/demo/src/é.txt': 'accent\n',
      'm/demo/current': { symlink: 'src/a.txt' },
      'm/demo/node_modules/x/index.js': 'excluded\n',
      'm/demo/composer.lock': '{}\n',
      'm/other/module.json': '{}\n',
      'm/other/.ringlockignore': 'secret/\n*.log\n!keep.log\n',
      'm/other/secret/x': 'hidden\n',
      'm/other/a.log': 'log\n',
      'm/other/keep.log': 'kept\n',
      'm/other/z/😀.txt': 'astral\n',
      'm/other/z/ｚ.txt': 'bmp\n',
      'm/other/bin': Buffer.from([0, 255, 254, 10, 13]),
    });
    git(repo, ['init', '-q']);
    git(repo, ['add', '-A', '-f']);
    git(repo, ['commit', '-q', '-m', 'x']);
    const got = await fromGit(repo, ['m/demo', 'm/other', 'm/missing']);
    expect(got.has('m/missing')).toBe(false);
    const demo = got.get('m/demo');
    if (!demo || demo instanceof Error) throw demo;
    expect(demo.digest).toBe('sha256:34decd973a6522912cce59cc5b15718d7c3d33613598d298e3b2ce7a3c3c3b9b');
    for (const d of ['m/demo', 'm/other']) {
      const disk = await hashTree(`${repo}/${d}`, d);
      const fromObjects = got.get(d);
      if (!fromObjects || fromObjects instanceof Error) throw fromObjects;
      expect(fromObjects).toEqual(disk);
    }
  });

  it('refuses a link out of the module, as the walk on disk does', async () => {
    const repo = testdir({ 'm/a/module.json': '{}\n', 'm/a/up': { symlink: '../../etc' } });
    git(repo, ['init', '-q']);
    git(repo, ['add', '-A']);
    git(repo, ['commit', '-q', '-m', 'x']);
    const r = (await fromGit(repo, ['m/a'])).get('m/a');
    expect(r).toBeInstanceOf(Error);
    expect((r as Error & { code: string }).code).toBe('hash/symlink-escape');
  });
});
