// A FileSource over a directory on disk: paths are relative to its root (as the files are named in messages).
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, isErrnoException } from '../errors.js';
import type { DirEntry, FileSource, ReadCap } from '../model/file-source.js';
import { readTextFile } from './files.js';

export class DirSource implements FileSource {
  constructor(readonly root: string) {}

  readText(path: string, cap: ReadCap): string | undefined {
    const abs = join(this.root, path);
    if (cap.strict) {
      try {
        return readTextFile(abs, path, cap);
      } catch (e) {
        if (e instanceof InputError && e.code === 'file/not-found') return undefined;
        throw e;
      }
    }
    if (!existsSync(abs)) return undefined;
    return readTextFile(abs, path, cap);
  }

  exists(path: string): boolean {
    return existsSync(join(this.root, path));
  }

  isDirectory(path: string): boolean {
    try {
      return statSync(join(this.root, path)).isDirectory();
    } catch {
      return false;
    }
  }

  list(path: string): DirEntry[] | undefined {
    const abs = join(this.root, path);
    try {
      return readdirSync(abs, { withFileTypes: true }).map((e) => {
        if (e.isSymbolicLink()) {
          const link = join(abs, e.name);
          return {
            name: e.name,
            kind: 'symlink' as const,
            ...(this.isDirectory(join(path, e.name)) ? { linksToDirectory: readlinkSync(link) } : {}),
          };
        }
        return {
          name: e.name,
          kind: e.isDirectory()
            ? ('directory' as const)
            : e.isFile()
              ? ('file' as const)
              : ('other' as const),
        };
      });
    } catch (cause) {
      if (isErrnoException(cause) && cause.code === 'ENOENT') return undefined;
      throw new InputError('file/unreadable', `${path}: cannot list directory`, { cause });
    }
  }
}
