// `ringlock state migrate`: a target's file state (state.json with its quarantine, history.jsonl, a suspension) copied
// into the PostgreSQL store of its ring, idempotently. Refused, with nothing written, while an operation is in flight
// (the file journal, or the database's), when a file is corrupt, or when the database holds another state for the ring
// (unless forced: the state is replaced, history is only ever added to). The state is written under the ring's writer
// lease; the counts are verified after.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError, isErrnoException, OperationFailed } from '../errors.js';
import { refuseFileInFlight } from './file-in-flight.js';
import { FileStateStore } from './file-store.js';
import { ringCounts } from './postgres/admin.js';
import type { PgStoreOptions } from './postgres/options.js';
import { PostgresStateStore } from './postgres/store.js';
import type { DeployedState, HistoryRecord, Suspension, WriterLease } from './types.js';

export interface MigrateInput {
  /** The target's state dir, or the target (its `.ringlock`). */
  dir: string;
  /** The ring asked for (--ring, else RING_NAME): else the file state's own. */
  ring?: string;
  /** The store's settings from the environment (its ring is the one decided here). */
  pg: PgStoreOptions;
  force: boolean;
  holder: string;
  lockTimeoutMs: number;
}

export interface MigrateResult {
  ring: string;
  /** The state dir read, and whether it was given as the target (`target`) or as the state dir itself (`state`). */
  stateDir: string;
  given: 'target' | 'state';
  /** `written`: the database had no state for the ring; `replaced`: it had another (--force); `unchanged`: the same. */
  state: 'written' | 'replaced' | 'unchanged';
  records: { file: number; new: number; already: number; database: number; skippedTornLine: boolean };
  modules: { file: number; database: number };
  quarantine: { file: number; database: number };
  moduleVersions: number;
  suspension: 'copied' | 'none' | 'kept';
  alreadyMigrated: boolean;
}

/** `<dir>/.ringlock` when `dir` is a target, else `dir` when it holds ringlock state files. */
export function stateDirOf(dir: string): { stateDir: string; given: 'target' | 'state' } {
  const isDir = (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
  if (!isDir(dir))
    throw new InputError('cli/from', `--from file:${dir}: not a directory`, {
      expected: "file:<the target's state dir (.ringlock) or the target>",
    });
  if (basename(dir) !== '.ringlock' && isDir(join(dir, '.ringlock')))
    return { stateDir: join(dir, '.ringlock'), given: 'target' };
  if (['state.json', 'history.jsonl', 'journal.json'].some((f) => existsSync(join(dir, f))))
    return { stateDir: dir, given: 'state' };
  throw new InputError(
    'cli/from',
    `--from file:${dir}: no ringlock state there (no state.json or history.jsonl)`,
    {
      expected: "file:<the target's state dir (.ringlock) or the target>",
    },
  );
}

/** Every record of history.jsonl, strictly: a line that is not a record is corruption, except a torn last line. */
export function readHistoryFile(stateDir: string): { records: HistoryRecord[]; tornLast: boolean } {
  const file = join(stateDir, 'history.jsonl');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (isErrnoException(e) && e.code === 'ENOENT') return { records: [], tornLast: false };
    throw e;
  }
  const lines = text.split('\n');
  const records: HistoryRecord[] = [];
  const ids = new Set<string>();
  let tornLast = false;
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let r: HistoryRecord;
    try {
      r = JSON.parse(line) as HistoryRecord;
    } catch (cause) {
      // A crash mid-append leaves the last line without its newline: never fatal, as the file store reads it.
      if (i === lines.length - 1) {
        tornLast = true;
        continue;
      }
      throw new InputError('state/corrupt', 'a history line is not JSON', { file, line: i + 1, cause });
    }
    for (const k of ['id', 'module', 'op', 'actor', 'startedAt', 'finishedAt', 'outcome'] as const)
      if (typeof r?.[k] !== 'string' || r[k] === '')
        throw new InputError('state/corrupt', `a history record has no ${k}`, {
          file,
          line: i + 1,
          pointer: `/${k}`,
        });
    for (const k of ['startedAt', 'finishedAt'] as const)
      if (Number.isNaN(Date.parse(r[k])))
        throw new InputError('state/corrupt', `a history record's ${k} is not a time`, {
          file,
          line: i + 1,
          pointer: `/${k}`,
        });
    if (ids.has(r.id)) continue;
    ids.add(r.id);
    records.push(r);
  }
  return { records, tornLast };
}

/** The state as a canonical text: keys sorted, undefined dropped (the database returns JSON in its own key order). */
function canonical(s: DeployedState): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => [k, sort(x)]),
    );
  };
  return JSON.stringify(sort(s));
}

const isEmpty = (s: DeployedState) =>
  canonical(s) === canonical({ stateVersion: 1, modules: {}, quarantine: [] });

export async function migrateFileState(input: MigrateInput): Promise<MigrateResult> {
  const { stateDir, given } = stateDirOf(input.dir);
  const file = new FileStateStore(stateDir);
  // No file-store writer (an apply, a daemon on files) may change the state while it is copied.
  const fileLease = await file.acquireWriter('ringlock state migrate', input.lockTimeoutMs);
  let db: PostgresStateStore | undefined;
  let lease: WriterLease | undefined;
  try {
    refuseFileInFlight(stateDir, 'the migration');
    const state = file.read();
    const { records, tornLast } = readHistoryFile(stateDir);
    const suspension = file.suspension();
    if (suspension?.ring === '?')
      throw new InputError('state/corrupt', suspension.reason ?? 'the suspension cannot be read', {
        file: join(stateDir, 'suspended.json'),
      });
    const ring = input.ring ?? state.ring;
    if (!ring)
      throw new InputError('state/ring', `the state in ${stateDir} names no ring: which ring is it?`, {
        expected: '--ring <ring>',
      });
    if (state.ring !== undefined && state.ring !== ring)
      throw new InputError(
        'cli/ring',
        `--ring ${ring}: the state in ${stateDir} belongs to ring "${state.ring}"`,
        {
          expected: `--ring ${state.ring}`,
        },
      );
    const pg: PgStoreOptions = {
      ...input.pg,
      ring,
      applicationName: `ringlock:migrate:${ring}`.slice(0, 63),
    };
    const ids = records.map((r) => r.id);
    db = new PostgresStateStore(pg);
    db.open();
    if (db.readJournal())
      throw new InputError(
        'state/in-flight',
        `ring "${ring}" has an operation in flight in the database: recover first (ringlock apply with the PostgreSQL store)`,
      );
    const before = await ringCounts(pg, ids);
    if (before.elsewhere > 0)
      throw new InputError(
        'state/ring',
        `${before.elsewhere} of the ${ids.length} history records in ${stateDir} are stored under another ring in the database`,
        { expected: "the ring these records are of (--ring), or another target's state" },
      );
    const held = db.read();
    const same = canonical(held) === canonical(state);
    if (!same && !isEmpty(held) && !input.force) throw anotherState(ring, held);
    // Already migrated: the same state and every record. A suspension is copied only with a first write — an operator
    // who resumed the ring on PostgreSQL since is not overruled by running this again.
    const done = same && before.records === ids.length;
    let outcome: MigrateResult['state'] = 'unchanged';
    let added = 0;
    let susp: MigrateResult['suspension'] = suspension ? 'kept' : 'none';
    if (!done) {
      lease = await acquireRingLease(db, input.holder, ring);
      // Read again under the lease: the decision is the writer's.
      const current = db.read();
      if (canonical(current) !== canonical(state)) {
        if (!isEmpty(current) && !input.force) throw anotherState(ring, current);
        outcome = isEmpty(current) ? 'written' : 'replaced';
      }
      added = db.importRecords(records);
      if (outcome !== 'unchanged') db.transaction(() => db!.write(state));
      if (suspension && outcome !== 'unchanged' && db.suspension() === undefined) {
        db.suspend(suspension as Suspension);
        susp = 'copied';
      }
      lease.release();
      lease = undefined;
    }
    const after = await ringCounts(pg, ids);
    const result: MigrateResult = {
      ring,
      stateDir,
      given,
      state: outcome,
      records: {
        file: ids.length,
        new: added,
        already: ids.length - added,
        database: after.records,
        skippedTornLine: tornLast,
      },
      modules: { file: Object.keys(state.modules).length, database: after.modules },
      quarantine: { file: state.quarantine.length, database: after.quarantine },
      moduleVersions: after.moduleVersions,
      suspension: susp,
      alreadyMigrated: done,
    };
    if (
      result.records.database !== result.records.file ||
      result.modules.database !== result.modules.file ||
      result.quarantine.database !== result.quarantine.file
    )
      throw new OperationFailed(
        'state/verify',
        `ring "${ring}": the database does not hold what the files hold after the copy: records ${after.records}/${ids.length}, modules ${after.modules}/${result.modules.file}, quarantine ${after.quarantine}/${result.quarantine.file}`,
        {
          expected:
            'equal counts (is another writer changing the ring?); running the migration again is safe',
        },
      );
    return result;
  } finally {
    lease?.release();
    fileLease.release();
    await db?.close();
  }
}

function anotherState(ring: string, held: DeployedState): InputError {
  return new InputError(
    'state/exists',
    `the database already holds another state for ring "${ring}" (${Object.keys(held.modules).length} modules): nothing written`,
    { expected: "--force to replace the database's state with the file's (history is only added to)" },
  );
}

async function acquireRingLease(db: PostgresStateStore, holder: string, ring: string): Promise<WriterLease> {
  try {
    return await db.acquireWriter(holder, 0);
  } catch (e) {
    if (e instanceof InputError && e.code === 'target/locked')
      throw new InputError(
        'target/locked',
        `ring "${ring}"'s writer lease is held: ${e.message}; stop the ring's daemon first (the migration writes the state under that lease)`,
        { expected: 'no daemon or apply running on the ring' },
      );
    throw e;
  }
}
