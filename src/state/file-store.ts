// The built-in state store: files under <target>/.ringlock/. state.json is replaced atomically; history.jsonl is
// append-only (one JSON record per line, fsynced); journal.json holds the intent of the one operation in flight.
import {
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { InputError, isErrnoException } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';
import { copyState, freezeEntries } from './frozen.js';
import { clearSuspension, readSuspension, writeSuspension } from './suspension.js';
import {
  type DeployedState,
  emptyState,
  type HistoryRecord,
  type JournalEntry,
  type StateStore,
  type Suspension,
  type WriterLease,
} from './types.js';
import { acquireWriterLock, GUARD_STALE_MS } from './writer-lock.js';

// Tests and older importers name the audit record from here.
export type { HistoryRecord } from './types.js';

/** What identifies one version of state.json on disk: every atomic write is a new inode; a hand edit moves mtime. */
function identity(file: string): string | undefined {
  const st = statSync(file, { bigint: true, throwIfNoEntry: false });
  return st && `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

export class FileStateStore implements StateStore {
  readonly kind = 'file';
  readonly dir: string;
  /**
   * The state last read or written, with the identity of the file it matches. An apply reads and rewrites the whole
   * state once per module: without this, a 1,000-module first install parses the growing file 1,000 times, which is
   * most of the garbage the run leaves behind. Any other writer (another process, another store) changes the identity.
   */
  private last?: { id: string; state: DeployedState };

  constructor(dir: string) {
    this.dir = dir;
  }

  describe(): string {
    return `file ${this.dir}`;
  }

  /** Each write is atomic on its own; the journal makes a sequence of them recoverable after a crash. */
  transaction<T>(fn: () => T): T {
    return fn();
  }

  private path(name: string): string {
    return join(this.dir, name);
  }

  /** A copy the caller may change at the top level (modules, quarantine); the entries themselves are frozen. */
  read(): DeployedState {
    this.refuseLinks();
    const file = this.path('state.json');
    const id = identity(file);
    if (id === undefined) {
      this.last = undefined;
      return emptyState();
    }
    if (this.last?.id !== id) this.last = { id, state: this.parse(file) };
    return copyState(this.last.state);
  }

  /** The state and the history are ringlock's own files: a symlink planted in place of one is never read or written through. */
  private refuseLinks(): void {
    for (const name of ['state.json', 'history.jsonl']) {
      const file = this.path(name);
      if (lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) {
        throw new InputError('state/link', `${name} is a symbolic link, which ringlock never makes`, {
          file,
          expected: `a regular file: remove the link (ringlock writes ${name} itself)`,
        });
      }
    }
  }

  private parse(file: string): DeployedState {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (isErrnoException(e) && e.code === 'ENOENT') return emptyState();
      throw e;
    }
    try {
      const s = JSON.parse(text) as DeployedState;
      if (
        s.stateVersion !== 1 ||
        typeof s.modules !== 'object' ||
        !Array.isArray(s.quarantine) ||
        (s.blocked !== undefined && (typeof s.blocked !== 'object' || s.blocked === null))
      )
        throw new Error('bad shape');
      freezeEntries(s);
      return s;
    } catch (cause) {
      throw new InputError('state/corrupt', 'the deployed state is not a ringlock state file', {
        file,
        cause,
      });
    }
  }

  write(state: DeployedState): void {
    mkdirSync(this.dir, { recursive: true });
    // Compact: it is rewritten after every module, and its size grows with the ring.
    const file = this.path('state.json');
    this.last = undefined;
    writeFileAtomic(file, `${JSON.stringify(state)}\n`);
    const id = identity(file);
    if (id === undefined) return;
    const kept = copyState(state);
    freezeEntries(kept);
    this.last = { id, state: kept };
  }

  append(record: HistoryRecord): void {
    mkdirSync(this.dir, { recursive: true });
    // O_NOFOLLOW: a symlink planted in place of the history is refused, never appended through.
    const fd = openSync(
      this.path('history.jsonl'),
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      const line = Buffer.from(`${JSON.stringify(record)}\n`);
      for (let off = 0; off < line.length; ) off += writeSync(fd, line, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Every complete record; a torn last line (a crash mid-append) is ignored. */
  history(filter?: { module?: string }): HistoryRecord[] {
    const file = this.path('history.jsonl');
    if (!existsSync(file)) return [];
    const out: HistoryRecord[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const r = JSON.parse(line) as HistoryRecord;
        if (filter?.module === undefined || r.module === filter.module) out.push(r);
      } catch {
        // A torn write: skipped, never fatal.
      }
    }
    return out;
  }

  readJournal(): JournalEntry | undefined {
    const file = this.path('journal.json');
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as JournalEntry;
    } catch (e) {
      if (isErrnoException(e) && e.code === 'ENOENT') return undefined;
      // A journal is written atomically, so a bad one was not written by us.
      throw new InputError('state/corrupt', 'the operation journal cannot be read', { file, cause: e });
    }
  }

  /** `durable: false` skips the fsyncs: for an intent whose loss changes nothing on disk (before any switch). */
  writeJournal(entry: JournalEntry, durable = true): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(this.path('journal.json'), JSON.stringify(entry), undefined, durable);
  }

  clearJournal(): void {
    rmSync(this.path('journal.json'), { force: true });
  }

  /** `<dir>/suspended.json` (see suspension.ts). */
  suspension(): Suspension | undefined {
    return readSuspension(this.dir);
  }

  suspend(s: Suspension): void {
    writeSuspension(this.dir, s);
  }

  resume(): boolean {
    return clearSuspension(this.dir);
  }

  /** The lock file `<dir>/lock` (see writer-lock.ts). */
  acquireWriter(holder: string, timeoutMs: number): Promise<WriterLease> {
    return acquireWriterLock(this.dir, holder, timeoutMs);
  }

  /**
   * Removes temp files of atomic writes a killed process left behind, and writer-lock takeover guards older than a
   * takeover lasts (call while holding the writer lock).
   */
  removeStaleTemps(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const n of names) {
      // active.json: the publisher's (src/publish/file.ts), written beside these under the same lease.
      if (/^\.(state|journal|active)\.json\..+\.tmp$/.test(n) || /^lock\.\d+\.[0-9a-f]{8}$/.test(n))
        rmSync(this.path(n), { force: true });
      else if (/^lock\.takeover\.[0-9a-f]{16}$/.test(n) && guardAgeMs(this.path(n)) > GUARD_STALE_MS)
        rmSync(this.path(n), { force: true });
    }
  }
}

function guardAgeMs(file: string): number {
  try {
    return Date.now() - lstatSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
