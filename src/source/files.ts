// Reading input files with size limits and errors that name the file.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { InputError, isErrnoException } from '../errors.js';
import { parseSource, type SourceDoc } from '../model/source.js';

export interface ReadOptions {
  /** Refuse files larger than this many bytes. */
  maxBytes?: number;
  /** What the file is, for messages ("module manifest", "ring lock"). */
  what?: string;
  /** Refuse a symlink instead of reading what it points to. */
  noFollow?: boolean;
}

export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/** Reads a text file; missing, unreadable, non-regular and oversized files become InputErrors naming `display`. */
export function readTextFile(abs: string, display: string, opts: ReadOptions = {}): string {
  const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const what = opts.what ? `${opts.what} ` : '';
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO in place of the file must be refused below, not block the open.
    fd = openSync(
      abs,
      constants.O_RDONLY | constants.O_NONBLOCK | (opts.noFollow ? constants.O_NOFOLLOW : 0),
    );
  } catch (cause) {
    throw fileError(cause, display, what);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new InputError('file/not-a-file', `${what}is not a regular file`, { file: display });
    }
    if (st.size > max) {
      throw new InputError(
        'file/too-large',
        `${what}is ${st.size} bytes, larger than the limit of ${max} bytes`,
        {
          file: display,
          expected: `at most ${max} bytes`,
        },
      );
    }
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    const text = buf.subarray(0, off).toString('utf8');
    if (text.includes('\uFFFD') && !buf.subarray(0, off).includes(Buffer.from('\uFFFD'))) {
      throw new InputError('file/encoding', `${what}is not valid UTF-8`, {
        file: display,
        expected: 'UTF-8 text',
      });
    }
    return text;
  } catch (cause) {
    if (cause instanceof InputError) throw cause;
    throw fileError(cause, display, what);
  } finally {
    closeSync(fd);
  }
}

function fileError(cause: unknown, display: string, what: string): InputError {
  const code = isErrnoException(cause) ? cause.code : undefined;
  if (code === 'ENOENT')
    return new InputError('file/not-found', `${what}not found`, { file: display, cause });
  if (code === 'EISDIR')
    return new InputError('file/not-a-file', `${what}is a directory`, { file: display, cause });
  if (code === 'EACCES' || code === 'EPERM') {
    return new InputError('file/unreadable', `${what}cannot be read (permission denied)`, {
      file: display,
      cause,
    });
  }
  if (code === 'ELOOP')
    return new InputError('file/symlink', `${what}is a symlink loop, or a symlink where none is allowed`, {
      file: display,
      cause,
    });
  return new InputError('file/unreadable', `${what}cannot be read (${code ?? String(cause)})`, {
    file: display,
    cause,
  });
}

/** Reads and parses a JSON or YAML file (by extension). */
export function readSourceDoc(abs: string, display: string, opts: ReadOptions = {}): SourceDoc {
  return parseSource(display, readTextFile(abs, display, opts));
}
