// File sources at a git commit (never a checkout): `CommitSource` over a GitSource's reads (the daemon, promote), and
// `CommitTree` over one `git cat-file --batch` (the pull-request check), plus the config and lock readers at a commit.
// Errors name repo paths with line:column, exactly as the CLI names them on disk.
import { posix } from 'node:path';
import { InputError } from '../errors.js';
import { CONFIG_FILES, type LoadedConfig, readConfig } from '../model/config.js';
import type { DirEntry, FileSource, ReadCap, TextSource } from '../model/file-source.js';
import { readLater } from '../model/file-source.js';
import { readLock } from '../model/lock.js';
import { readTenants, tenantsOf } from '../model/tenants.js';
import type { RingLock } from '../model/types.js';
import { type BlobReader, git } from './cli.js';
import type { GitSource } from './types.js';

/** What reading at a commit needs of a git source (the daemon's GitSource, or a clone's WorkRepo). */
export type CommitReader = Pick<GitSource, 'readFile'>;

/** The files of `commit` as a GitSource reads them (its own errors for oversized files and links). */
export class CommitSource implements TextSource {
  constructor(
    private readonly reader: CommitReader,
    readonly commit: string,
  ) {}

  readText(path: string, cap: ReadCap): Promise<string | undefined> {
    return this.reader.readFile(this.commit, path, cap.maxBytes);
  }
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
  const found = await readLater(
    new CommitSource(source, commit),
    readLock(lockPathIn(config, ringName), ringName),
  );
  return found && { lock: found.lock, text: found.text, file: found.file };
}

/** The tenants the tenants file assigns to `ringName` at a commit (none when the default file is absent). */
export async function readRingTenantsAt(
  source: CommitReader,
  commit: string,
  config: LoadedConfig,
  ringName: string,
): Promise<string[]> {
  return tenantsOf(await readTenantsAt(source, commit, config), ringName);
}

/** Every tenant → its ring, from the tenants file at a commit (empty when the default file is absent). */
export async function readTenantsAt(
  source: CommitReader,
  commit: string,
  config: LoadedConfig,
): Promise<Record<string, string>> {
  return readLater(
    new CommitSource(source, commit),
    readTenants(under(config.root, config.tenantsFile), config),
  );
}

/** ringlock.yaml (and its platform version file) at a commit, validated; `root` of the result is `base`. */
export async function readConfigAt(
  source: CommitReader,
  commit: string,
  base: string,
): Promise<LoadedConfig> {
  return readLater(
    new CommitSource(source, commit),
    readConfig({
      root: base,
      candidates: CONFIG_FILES.map((name) => under(base, name)),
      versionPath: (rel) => under(base, rel),
      notFound: () =>
        new InputError(
          'config/not-found',
          `no ringlock.yaml in ${base === '.' ? 'the repository root' : base} at commit ${commit.slice(0, 12)}`,
          { expected: 'ringlock.yaml at the top of the platform repository, or --path naming its folder' },
        ),
    }),
  );
}

/** A file read under a cap: its text, or how large it is when over the cap (its bytes were not held). */
export type Capped = { text: string } | { size: number; max: number };

/** The tree of `commit` through a `git cat-file --batch` reader: every read capped, oversized blobs never held. */
export class CommitTree implements FileSource {
  constructor(
    private readonly reader: BlobReader,
    readonly commit: string,
  ) {}

  /** A blob's text at this commit when at most `maxBytes`; undefined when the path is missing or not a file. */
  async read(path: string, maxBytes: number): Promise<Capped | undefined> {
    const obj = await this.object(path, maxBytes);
    if (obj?.type !== 'blob') return undefined;
    return obj.data ? { text: obj.data.toString('utf8') } : { size: obj.size, max: maxBytes };
  }

  async readText(path: string, cap: ReadCap): Promise<string | undefined> {
    const read = await this.read(path, cap.maxBytes);
    if (read === undefined || 'text' in read) return read?.text;
    throw new InputError(
      'file/too-large',
      `${cap.what} is ${read.size} bytes, larger than the limit of ${read.max} bytes`,
      { file: path, expected: `at most ${read.max} bytes` },
    );
  }

  /** Whether `path` is a file at this commit (its contents are skipped, not read). */
  async exists(path: string): Promise<boolean> {
    return (await this.object(path, 0))?.type === 'blob';
  }

  async isTree(path: string): Promise<boolean> {
    return (await this.object(path === '.' ? '' : path, 0))?.type === 'tree';
  }

  isDirectory(path: string): Promise<boolean> {
    return this.isTree(path);
  }

  async list(path: string): Promise<DirEntry[] | undefined> {
    if (!(await this.isTree(path))) return undefined;
    const out = await git(
      ['ls-tree', '-z', '--full-tree', this.commit, '--', path === '.' ? '.' : `${path}/`],
      {
        cwd: this.reader.cwd,
        env: { GIT_LITERAL_PATHSPECS: '1' },
      },
    );
    return out
      .split('\0')
      .filter(Boolean)
      .map((rec) => {
        const [mode = '', type] = rec.slice(0, rec.indexOf('\t')).split(' ');
        const name = posix.basename(rec.slice(rec.indexOf('\t') + 1));
        const kind =
          type === 'tree' ? 'directory' : mode === '120000' ? 'symlink' : type === 'blob' ? 'file' : 'other';
        return { name, kind } as DirEntry;
      });
  }

  private async object(path: string, maxBytes: number) {
    if (!/[\n\0]/.test(path)) return this.reader.readCapped(`${this.commit}:${path}`, maxBytes);
    // `cat-file --batch` reads one name per line: a path with a line break in it (a pull request can add one) is
    // looked up in its tree instead, literally.
    if (path.includes('\0')) return undefined;
    const out = await git(['ls-tree', '-z', '--full-tree', this.commit, '--', path], {
      cwd: this.reader.cwd,
      env: { GIT_LITERAL_PATHSPECS: '1' },
    });
    const rec = out.split('\0').find((r) => r.slice(r.indexOf('\t') + 1) === path);
    const oid = rec?.slice(0, rec.indexOf('\t')).split(' ')[2];
    return oid ? this.reader.readCapped(oid, maxBytes) : undefined;
  }
}
