// The git command line, for work on a repository the user has checked out (promotion branches, history of a lock):
// one runner that never shows a secret, and a `cat-file --batch` reader for many blobs through one process.
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
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

/** A `git cat-file --batch` process: read many objects (`<rev>:<path>`) through one process, one at a time. */
export class BlobReader {
  private child: ChildProcessWithoutNullStreams;
  private buf: Buffer = Buffer.alloc(0);
  private waiting?: () => void;
  private ended = false;

  constructor(cwd: string) {
    this.child = spawn('git', ['cat-file', '--batch'], {
      cwd,
      env: { ...process.env, LC_ALL: 'C' },
    });
    this.child.stdout.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
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

  private async need(n: number): Promise<void> {
    while (this.buf.length < n) {
      if (this.ended) throw new TransientError('git/cat-file', 'git cat-file ended unexpectedly');
      await new Promise<void>((r) => {
        this.waiting = r;
      });
      this.waiting = undefined;
    }
  }

  private queue: Promise<unknown> = Promise.resolve();

  /** The object's text, or undefined when it does not exist. Concurrent calls are answered in turn. */
  async read(rev: string): Promise<string | undefined> {
    return (await this.readObject(rev))?.data.toString('utf8');
  }

  /** The object's type, id and bytes (a blob's contents as stored), or undefined when it does not exist. */
  readObject(rev: string): Promise<{ type: string; oid: string; data: Buffer } | undefined> {
    const next = this.queue.then(() => this.readOne(rev));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async readOne(rev: string): Promise<{ type: string; oid: string; data: Buffer } | undefined> {
    if (/[\n\0]/.test(rev)) throw new InputError('git/bad-rev', 'object name contains a newline');
    this.child.stdin.write(`${rev}\n`);
    let nl = -1;
    for (;;) {
      nl = this.buf.indexOf(10);
      if (nl >= 0) break;
      await this.need(this.buf.length + 1);
    }
    const header = this.buf.subarray(0, nl).toString();
    this.buf = this.buf.subarray(nl + 1);
    if (header.endsWith(' missing') || header.endsWith(' ambiguous')) return undefined;
    const [oid, type, sizeText] = header.split(' ');
    const size = Number(sizeText);
    if (!Number.isFinite(size))
      throw new TransientError('git/cat-file', `git cat-file: unexpected "${header}"`);
    await this.need(size + 1);
    const data = Buffer.from(this.buf.subarray(0, size));
    this.buf = this.buf.subarray(size + 1);
    return { type: type!, oid: oid!, data };
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}
