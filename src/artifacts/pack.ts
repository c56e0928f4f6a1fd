// `ringlock pack`: a module tree → a reproducible .tgz, its .sha256 sidecar and MANIFEST.json.
// The file list is the content-hash walk's, and the content hash is computed from the very bytes packed.
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import { InputError, isErrnoException } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';
import { moveSync } from '../fsutil/move.js';
import { excluderFor } from '../hash/ignore.js';
import { type HashedEntry, treeDigest } from '../hash/tree-hash.js';
import { walkTree } from '../hash/walk.js';
import { moduleIdOf } from '../model/manifest.js';
import { readManifestInDir } from '../source/manifest-file.js';
import { END_OF_ARCHIVE, fileHeader, padding } from './tar-writer.js';

/** Fixed: the compressed bytes depend on it. Level 6 is zlib's and npm's default, the speed/size knee. */
export const GZIP_LEVEL = 6;
/** The gzip OS byte, forced: zlib writes 3 on Unix but 19 on macOS and 10 on Windows. */
const GZIP_OS_UNIX = 3;
const CHUNK = 1 << 20;
const PROBE = Buffer.alloc(1);
// Never follow a link that replaced a file after the walk, never block on a FIFO.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export const ARTIFACT_MANIFEST = 'MANIFEST.json';

/** MANIFEST.json, keys in the order they are written (sorted). */
export interface ArtifactManifest {
  artifact: string;
  compressed_size: number;
  file_count: number;
  integrity: string;
  name: string;
  sha256: string;
  size_bytes: number;
  version: string;
}

export interface PackOptions {
  /** The module directory as shown in messages (default: `dir`). */
  display?: string;
  /** modules.manifestFile, when the config is known: the manifest names in the order they are looked for. */
  manifestFiles?: readonly string[];
}

export interface PackResult {
  /** Absolute or cwd-relative paths, as `outDir` was given. */
  artifact: string;
  sidecar: string;
  manifestFile: string;
  manifest: ArtifactManifest;
}

/** `@acme/analytics` → `analytics`. */
export function artifactBase(moduleName: string): string {
  return moduleName.slice(moduleName.lastIndexOf('/') + 1);
}

export function artifactFileName(moduleName: string, version: string): string {
  return `${artifactBase(moduleName)}-${version}.tgz`;
}

/** Byte-stable: sorted keys, 2-space indent, trailing newline. */
export function manifestJson(m: ArtifactManifest): string {
  const sorted = Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

export async function packModule(dir: string, outDir: string, opts: PackOptions = {}): Promise<PackResult> {
  const display = (opts.display ?? dir).replace(/\/+$/, '') || '.';
  const { manifest: read } = readManifestInDir(dir, display, { files: opts.manifestFiles });
  // The artifact is named by the module's name in locks (AutoCom's Orders is "orders").
  const mod = { ...read, name: moduleIdOf(read) };
  const walked = walkTree(dir, display);
  const link = walked.find((e) => e.kind === 'symlink');
  if (link) {
    throw new InputError(
      'pack/symlink',
      `is a symlink (-> ${link.target}); artifacts hold regular files only and extraction refuses links`,
      { file: `${display}/${link.path}`, expected: 'a regular file: copy the target in place of the link' },
    );
  }
  refuseOutInside(dir, outDir, display);
  const artifact = artifactFileName(mod.name, mod.version);
  const artifactPath = join(outDir, artifact);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new InputError('file/write', `cannot create the output directory (${errCode(e)})`, {
      file: outDir,
    });
  }
  const tmp = join(outDir, `.${artifact}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let out: number | undefined;
  let packed: { entries: HashedEntry[]; sha256: string; integrity: string; size: number };
  try {
    out = openSync(tmp, 'wx', 0o644);
    packed = await writeTgz(walked, out);
    fsyncSync(out);
    closeSync(out);
    out = undefined;
    // The directory is fsynced by the atomic writes of the sidecar and manifest below.
    moveSync(tmp, artifactPath);
  } catch (e) {
    if (out !== undefined) closeSync(out);
    rmSync(tmp, { force: true });
    if (e instanceof InputError) throw e;
    throw new InputError('file/write', `cannot write the artifact (${errCode(e)})`, {
      file: artifactPath,
      cause: e,
    });
  }
  const manifest: ArtifactManifest = {
    artifact,
    compressed_size: packed.size,
    file_count: packed.entries.length,
    integrity: packed.integrity,
    name: mod.name,
    sha256: treeDigest(packed.entries),
    size_bytes: packed.entries.reduce((s, e) => s + e.size, 0),
    version: mod.version,
  };
  // The .tgz first, the manifest last: a MANIFEST.json on disk vouches for a complete artifact beside it.
  const sidecar = `${artifactPath}.sha256`;
  writeFileAtomic(sidecar, `${packed.sha256}  ${artifact}\n`);
  const manifestFile = join(outDir, ARTIFACT_MANIFEST);
  writeFileAtomic(manifestFile, manifestJson(manifest));
  return { artifact: artifactPath, sidecar, manifestFile, manifest };
}

/**
 * An output directory inside the module would be packed (and hashed) the next time, changing the content hash;
 * it is fine where the walk leaves it out (`dist/` by default, or a .ringlockignore pattern).
 */
function refuseOutInside(dir: string, outDir: string, display: string): void {
  const rel = relative(resolve(dir), resolve(outDir)).split(sep).join('/');
  if (rel.startsWith('..') || isAbsolute(rel)) return;
  const ex = excluderFor(dir, display);
  const parts = rel === '' ? [] : rel.split('/');
  for (let i = 1; i <= parts.length; i++) if (ex.excluded(parts.slice(0, i).join('/'), true)) return;
  throw new InputError(
    'pack/out-inside-module',
    'the output directory lies inside the module and would be packed with it',
    {
      file: outDir,
      expected: 'a directory outside the module, or one its .ringlockignore leaves out (dist/ is by default)',
    },
  );
}

type Walked = ReturnType<typeof walkTree>;

/**
 * Streams the tar through gzip into `out`. Files are read with sync calls straight into one of two reused
 * buffers; while zlib compresses one (on the thread pool), the other fills.
 */
async function writeTgz(walked: Walked, out: number) {
  const gz = createGzip({ level: GZIP_LEVEL, chunkSize: 256 * 1024 });
  const sha512 = createHash('sha512');
  const sha256 = createHash('sha256');
  let size = 0;
  gz.on('data', (chunk: Buffer) => {
    if (size < 10 && size + chunk.length > 9) chunk[9 - size] = GZIP_OS_UNIX;
    try {
      for (let off = 0; off < chunk.length; ) off += writeSync(out, chunk, off, chunk.length - off);
    } catch (e) {
      gz.destroy(new InputError('file/write', `cannot write the artifact (${errCode(e)})`, { cause: e }));
      return;
    }
    sha512.update(chunk);
    sha256.update(chunk);
    size += chunk.length;
  });
  const done = new Promise<void>((resolve, reject) => {
    gz.once('end', resolve);
    gz.once('error', reject);
  });
  // Awaited at the end; an error earlier surfaces through the write in flight instead.
  done.catch(() => {});
  const sink = new Sink(gz);
  const entries: HashedEntry[] = [];
  for (const e of walked) entries.push(await packFile(e.abs, e.path, e.shown, sink));
  await sink.put(END_OF_ARCHIVE);
  await sink.flush();
  await sink.drain();
  gz.end();
  await done;
  return {
    entries,
    sha256: sha256.digest('hex'),
    integrity: `sha512-${sha512.digest('base64')}`,
    size,
  };
}

async function packFile(abs: string, path: string, shown: string, sink: Sink): Promise<HashedEntry> {
  let fd: number;
  try {
    fd = openSync(abs, READ_FLAGS);
  } catch (e) {
    throw readError(e, shown);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw changed(shown);
    const exec = (st.mode & 0o100) !== 0;
    const h = createHash('sha256');
    await sink.put(fileHeader(path, st.size, exec));
    let left = st.size;
    while (left > 0) {
      if (sink.room() === 0) await sink.flush();
      const want = Math.min(left, sink.room());
      const n = readSync(fd, sink.buf, sink.used, want, null);
      if (n === 0) throw changed(shown); // shrank since fstat: the header already holds the old size
      h.update(sink.buf.subarray(sink.used, sink.used + n));
      sink.used += n;
      left -= n;
    }
    if (readSync(fd, PROBE, 0, 1, null) !== 0) throw changed(shown); // grew since fstat
    await sink.zeros(padding(st.size));
    return { path, mode: exec ? '100755' : '100644', size: st.size, digest: h.digest('hex') };
  } catch (e) {
    throw e instanceof InputError ? e : readError(e, shown);
  } finally {
    closeSync(fd);
  }
}

/** Two alternating CHUNK buffers in front of the gzip stream: at most one write in flight. */
class Sink {
  private readonly bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  private which = 0;
  private inFlight: Promise<void> = Promise.resolve();
  buf: Buffer = this.bufs[0]!;
  used = 0;

  constructor(private readonly gz: Gzip) {}

  room(): number {
    return CHUNK - this.used;
  }

  async put(data: Buffer): Promise<void> {
    for (let off = 0; off < data.length; ) {
      if (this.room() === 0) await this.flush();
      const n = data.copy(this.buf, this.used, off);
      this.used += n;
      off += n;
    }
  }

  async zeros(n: number): Promise<void> {
    if (this.room() < n) await this.flush();
    this.buf.fill(0, this.used, this.used + n);
    this.used += n;
  }

  async drain(): Promise<void> {
    await this.inFlight;
  }

  /** Hands the filled buffer to zlib and switches to the other one, once zlib has let go of it. */
  async flush(): Promise<void> {
    await this.inFlight;
    if (this.used === 0) return;
    const data = this.buf.subarray(0, this.used);
    const p = new Promise<void>((resolve, reject) =>
      this.gz.write(data, (err) => (err ? reject(err) : resolve())),
    );
    // Rejects while we may be busy reading: handled when next awaited, never reported as unhandled.
    p.catch(() => {});
    this.inFlight = p;
    this.which ^= 1;
    this.buf = this.bufs[this.which]!;
    this.used = 0;
  }
}

function changed(shown: string): InputError {
  return new InputError('hash/changed', 'changed while being packed', { file: shown });
}

function readError(e: unknown, shown: string): InputError {
  const code = errCode(e);
  if (code === 'ELOOP' || code === 'ENXIO') return changed(shown);
  const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code;
  return new InputError('hash/unreadable', `cannot be read (${why})`, { file: shown, cause: e });
}

function errCode(e: unknown): string {
  return isErrnoException(e) ? (e.code ?? String(e)) : String(e);
}
