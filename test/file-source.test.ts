// One way to read the repository: the same readers over a directory on disk (DirSource, run with readNow) and over a
// git commit (CommitTree, run with readLater) give the same answers, errors included.
import { cpSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { BlobReader } from '../src/git/cli.js';
import { CommitTree } from '../src/git/commit-source.js';
import { CONFIG_FILES, readConfig } from '../src/model/config.js';
import { exists, isDirectory, list, type Reading, readLater, readNow } from '../src/model/file-source.js';
import { readLock } from '../src/model/lock.js';
import { readManifestIn } from '../src/model/manifest.js';
import { DirSource } from '../src/source/dir-source.js';
import { REPO_ROOT, testdir } from './helpers.js';
import { git } from './support/check-repo.js';

const readers: BlobReader[] = [];
afterEach(() => {
  for (const r of readers.splice(0)) r.close();
});

/** The shipped example committed into a fresh repository: its directory and its commit. */
function example(change?: (dir: string) => void): { dir: DirSource; commit: CommitTree } {
  const root = testdir();
  for (const p of ['ringlock.yaml', 'rings', 'examples/platform'])
    cpSync(join(REPO_ROOT, p), join(root, p), { recursive: true });
  change?.(root);
  git(root, ['init', '-q', '-b', 'main']);
  git(root, ['add', '-A']);
  git(root, ['commit', '-q', '-m', 'example']);
  const reader = new BlobReader(root);
  readers.push(reader);
  return { dir: new DirSource(root), commit: new CommitTree(reader, git(root, ['rev-parse', 'HEAD'])) };
}

/** What a reader returns or throws, as plain data (parsed documents keep parser internals that differ per parse). */
async function outcome<T>(run: () => T | Promise<T>): Promise<unknown> {
  try {
    const value = await run();
    return { value: value === undefined ? undefined : JSON.parse(JSON.stringify(value)) };
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return { code: e.code, file: e.file, line: e.line, message: e.message };
  }
}

async function both<T>(
  src: { dir: DirSource; commit: CommitTree },
  reading: () => Reading<T>,
): Promise<[unknown, unknown]> {
  return [
    await outcome(() => readNow(src.dir, reading())),
    await outcome(() => readLater(src.commit, reading())),
  ];
}

const configAt = (root: string) =>
  readConfig({
    root,
    candidates: CONFIG_FILES,
    versionPath: (rel) => rel,
    notFound: () => new InputError('config/not-found', 'no config', {}),
  });

describe('FileSource: a directory and a commit read the same', () => {
  it('config, every ring lock and every manifest of the shipped example', async () => {
    const src = example();
    const [fromDir, fromCommit] = await both(src, () => configAt('.'));
    expect(fromDir).toEqual(fromCommit);
    expect((fromDir as { value: { platformVersion?: string } }).value.platformVersion).toMatch(
      /^\d+\.\d+\.\d+/,
    );
    for (const ring of ['canary', 'edge', 'stable']) {
      const [d, c] = await both(src, () => readLock(`rings/${ring}.lock.json`, ring));
      expect((d as { value?: { lock: { ring: string } } }).value?.lock.ring).toBe(ring);
      expect(d).toEqual(c);
    }
    const base = join(src.dir.root, 'examples/platform/modules');
    const modules = readdirSync(base, { recursive: true, encoding: 'utf8' })
      .filter((p) => p.endsWith('module.json'))
      .map((p) => p.slice(0, -'/module.json'.length));
    expect(modules).toContain('@acme/analytics');
    for (const m of modules) {
      const [d, c] = await both(src, () => readManifestIn(`examples/platform/modules/${m}/module.json`));
      expect((d as { value?: { manifest: { name: string } } }).value?.manifest.name).toBe(m);
      expect(d).toEqual(c);
    }
  });

  it('a missing file, a directory listing, exists and isDirectory', async () => {
    const src = example();
    expect(await both(src, () => readLock('rings/nope.lock.json'))).toEqual([
      { value: undefined },
      { value: undefined },
    ]);
    const [d, c] = await both(src, () => list('examples/platform/modules'));
    const names = (x: unknown) =>
      ((x as { value: { name: string; kind: string }[] }).value ?? [])
        .map((e) => `${e.name}:${e.kind}`)
        .sort();
    expect(names(d).length).toBeGreaterThan(1);
    expect(names(d)).toEqual(names(c));
    expect(await both(src, () => list('no/such/dir'))).toEqual([{ value: undefined }, { value: undefined }]);
    expect(await both(src, () => isDirectory('rings'))).toEqual([{ value: true }, { value: true }]);
    expect(await both(src, () => isDirectory('ringlock.yaml'))).toEqual([{ value: false }, { value: false }]);
    expect(await both(src, () => exists('rings/canary.lock.json'))).toEqual([
      { value: true },
      { value: true },
    ]);
    expect(await both(src, () => exists('rings/nope.json'))).toEqual([{ value: false }, { value: false }]);
  });

  it('a broken lock fails with the same code at the same file and line from both', async () => {
    const src = example((root) => {
      const file = join(root, 'rings/edge.lock.json');
      writeFileSync(file, '{\n  "ring": "edge",\n  "platform": 7,\n  "modules": {}\n}\n');
    });
    const [d, c] = await both(src, () => readLock('rings/edge.lock.json', 'edge'));
    expect(d).toMatchObject({ file: 'rings/edge.lock.json', line: expect.any(Number) });
    expect(d).toEqual(c);
  });
});
