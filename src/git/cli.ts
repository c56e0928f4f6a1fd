// The git command line, for work on a repository the user has checked out (promotion branches, history of a lock):
// one runner that never shows a secret, and a `cat-file --batch` reader for many blobs through one process.
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { InputError, TransientError } from '../errors.js';
import { redact } from '../redact.js';

export interface GitRunOptions {
  cwd: string;
  /** Extra environment (merged over process.env). */
  env?: Record<string, string>;
  /** Values that must never appear in an error message. */
  secrets?: string[];
  /** Whole-command deadline (default 120 s). */
  timeoutMs?: number;
  input?: string;
}

export class GitCommandError extends Error {
  constructor(
    message: string,
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'GitCommandError';
  }
}

/** Runs git and returns its stdout; a non-zero exit becomes GitCommandError with stderr, secrets scrubbed. */
export function git(args: string[], opts: GitRunOptions): Promise<string> {
  const secrets = opts.secrets ?? [];
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      {
        cwd: opts.cwd,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...opts.env },
        maxBuffer: 256 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 120_000,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const code = typeof err.code === 'number' ? err.code : null;
        if ((err as NodeJS.ErrnoException).code === 'ENOENT')
          return reject(
            new InputError('git/not-installed', 'git is not installed', { expected: 'git on the PATH' }),
          );
        const text = redact(String(stderr || err.message).trim(), secrets);
        // args too: a logged error object carries them, and a URL argument may hold a credential.
        const shown = args.map((a) => redact(a, secrets));
        reject(new GitCommandError(`git ${args[0]}: ${text}`, shown, code, text));
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** An object read whole: its type, id, size and bytes (a blob's contents as stored). */
export interface GitObject {
  type: string;
  oid: string;
  size: number;
  data: Buffer;
}

/** An object read under a cap: `data` only when it is at most the cap, else its bytes were skipped unread. */
export interface CappedObject {
  type: string;
  oid: string;
  size: number;
  data?: Buffer;
}

/** Bytes `git cat-file` may get ahead of the reader before its pipe is paused (memory stays bounded). */
const HIGH_WATER = 4 * 1024 * 1024;

/**
 * A `git cat-file --batch` process: read many objects (`<rev>:<path>`) through one process, one at a time. Output is
 * kept as a queue of the chunks the pipe delivered, consumed in place: each byte is copied at most once (into the
 * object's buffer), so reading is linear in the object's size; a hash or a skip streams without holding the object.
 */
export class BlobReader {
  private child: ChildProcessWithoutNullStreams;
  private chunks: Buffer[] = [];
  /** Bytes of chunks[0] already consumed. */
  private offset = 0;
  private buffered = 0;
  private paused = false;
  private waiting?: () => void;
  private ended = false;
  /** The most bytes held unconsumed at once (for tests and diagnostics). */
  peakBuffered = 0;

  constructor(readonly cwd: string) {
    this.child = spawn('git', ['cat-file', '--batch'], {
      cwd,
      env: { ...process.env, LC_ALL: 'C' },
    });
    this.child.stdout.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.buffered += d.length;
      if (this.buffered > this.peakBuffered) this.peakBuffered = this.buffered;
      if (this.buffered > HIGH_WATER && !this.paused) {
        this.paused = true;
        this.child.stdout.pause();
      }
      this.waiting?.();
    });
    const end = () => {
      this.ended = true;
      this.waiting?.();
    };
    this.child.stdout.on('end', end);
    this.child.on('error', end);
    this.child.stderr.resume();
  }

  /** Waits for more output. */
  private async more(): Promise<void> {
    if (this.ended) throw new TransientError('git/cat-file', 'git cat-file ended unexpectedly');
    if (this.paused) {
      this.paused = false;
      this.child.stdout.resume();
    }
    await new Promise<void>((r) => {
      this.waiting = r;
    });
    this.waiting = undefined;
  }

  /** Consumes `n` bytes, handing each piece to `sink` (views into the pipe's chunks, valid only during the call). */
  private async consume(n: number, sink: (piece: Buffer) => void): Promise<void> {
    while (n > 0) {
      if (this.buffered === 0) {
        await this.more();
        continue;
      }
      const c = this.chunks[0]!;
      const take = Math.min(n, c.length - this.offset);
      sink(c.subarray(this.offset, this.offset + take));
      this.offset += take;
      this.buffered -= take;
      n -= take;
      if (this.offset === c.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    }
    if (this.paused && this.buffered < HIGH_WATER / 2) {
      this.paused = false;
      this.child.stdout.resume();
    }
  }

  /** The next line (without its LF). */
  private async line(): Promise<string> {
    const parts: Buffer[] = [];
    for (;;) {
      if (this.buffered === 0) {
        await this.more();
        continue;
      }
      const c = this.chunks[0]!;
      const nl = c.indexOf(10, this.offset);
      const end = nl < 0 ? c.length : nl;
      parts.push(c.subarray(this.offset, end));
      if (parts.length > 64) throw new TransientError('git/cat-file', 'git cat-file: header line too long');
      await this.consume(end - this.offset + (nl < 0 ? 0 : 1), () => undefined);
      if (nl >= 0) return Buffer.concat(parts).toString();
    }
  }

  private queue: Promise<unknown> = Promise.resolve();

  /** Runs reads in turn: the process answers one request at a time. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.queue.then(f);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The object's text, or undefined when it does not exist. Concurrent calls are answered in turn. */
  async read(rev: string): Promise<string | undefined> {
    return (await this.readObject(rev))?.data.toString('utf8');
  }

  /** The object whole, or undefined when it does not exist. */
  readObject(rev: string): Promise<GitObject | undefined> {
    return this.serial(async () => {
      const h = await this.header(rev);
      if (!h) return undefined;
      const data = await this.take(h.size);
      return { ...h, data };
    });
  }

  /** The object's bytes when it is at most `maxBytes`; a larger one is skipped (streamed past, never held). */
  readCapped(rev: string, maxBytes: number): Promise<CappedObject | undefined> {
    return this.serial(async () => {
      const h = await this.header(rev);
      if (!h) return undefined;
      if (h.size > maxBytes) {
        await this.consume(h.size + 1, () => undefined);
        return h;
      }
      return { ...h, data: await this.take(h.size) };
    });
  }

  /** The SHA-256 of the object's bytes, streamed through the hash without holding the object. */
  hashObject(rev: string): Promise<{ type: string; oid: string; size: number; sha256: string } | undefined> {
    return this.serial(async () => {
      const h = await this.header(rev);
      if (!h) return undefined;
      const hash = createHash('sha256');
      await this.consume(h.size, (piece) => hash.update(piece));
      await this.consume(1, () => undefined);
      return { ...h, sha256: hash.digest('hex') };
    });
  }

  private async header(rev: string): Promise<{ type: string; oid: string; size: number } | undefined> {
    if (/[\n\0]/.test(rev)) throw new InputError('git/bad-rev', 'object name contains a newline');
    this.child.stdin.write(`${rev}\n`);
    const header = await this.line();
    if (header.endsWith(' missing') || header.endsWith(' ambiguous')) return undefined;
    const [oid, type, sizeText] = header.split(' ');
    const size = Number(sizeText);
    if (!oid || !type || !Number.isSafeInteger(size) || size < 0)
      throw new TransientError('git/cat-file', `git cat-file: unexpected "${header}"`);
    return { type, oid, size };
  }

  /** `size` bytes into one buffer, then the LF after them. */
  private async take(size: number): Promise<Buffer> {
    const data = Buffer.allocUnsafe(size);
    let at = 0;
    await this.consume(size, (piece) => {
      piece.copy(data, at);
      at += piece.length;
    });
    await this.consume(1, () => undefined);
    return data;
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}
