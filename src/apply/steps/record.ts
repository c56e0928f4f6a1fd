// The end of a module's operation: the state, the history and the journal say what happened — it succeeded (and old
// store versions are pruned), or it failed and the target is back on what the state records.
import { closeSync, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { OperationFailed, RinglockError } from '../../errors.js';
import { type ChangelogSection, changelogExcerpt } from '../../model/changelog.js';
import type { HistoryRecord, Outcome } from '../../state/types.js';
import { crashPoint } from '../crash.js';
import { type ModuleContext, now } from './context.js';
import type { Switched } from './switch.js';

/** Records a switched-in, healthy version: state, then history, then the journal is cleared; then the store is pruned. */
export function recordSuccess(ctx: ModuleContext, sw: Switched): Outcome {
  const { action: a, deps, opts, current } = ctx;
  const { target, store } = deps;
  const { rel, next } = sw;
  const record = withChangelog(ctx, sw.record, rel);
  record.finishedAt = now();
  store.write({
    ...next,
    modules: { ...next.modules, [a.module]: { ...next.modules[a.module]!, since: record.finishedAt } },
  });
  crashPoint('after-state');
  store.append(record);
  crashPoint('after-history');
  store.clearJournal();
  // A reinstall replaced a damaged tree: nothing links to it any more.
  if (
    a.kind === 'reinstall' &&
    current &&
    current.active.storeDir !== rel &&
    target.hasStore(current.active.storeDir)
  ) {
    target.discardStore(current.active.storeDir);
  }
  target.prune(a.module, opts.keepVersions, [
    rel,
    current?.active.storeDir,
    next.modules[a.module]?.previous?.storeDir,
  ]);
  return 'succeeded';
}

/** Undoes a failed operation on the target and records the failure; returns the error to report. */
export function recordFailure(ctx: ModuleContext, e: unknown): RinglockError {
  const { action: a, deps, current, base } = ctx;
  const { target, store } = deps;
  const err =
    e instanceof RinglockError
      ? e
      : new OperationFailed('apply/failed', e instanceof Error ? e.message : String(e), { cause: e });
  // Nothing was switched (every failure before the switch lands here): the old version stays active. Should the
  // failure have come after a switch, the link goes back to what the state records.
  if (store.readJournal()?.phase === 'switching') {
    try {
      target.activate(a.module, current?.active.storeDir, current !== undefined || ctx.switched);
    } catch {
      // Someone else's tree took the path meanwhile: it is left alone (the next plan shows the module blocked).
    }
  }
  store.clearJournal();
  const s = store.read();
  if (s.modules[a.module]) {
    s.modules[a.module] = {
      ...s.modules[a.module]!,
      status: 'failed',
      lastError: err.message,
      ...(a.to !== undefined ? { failedVersion: a.to } : {}),
    };
    store.write(s);
  }
  store.append({
    ...withChangelog(ctx, base, base.source),
    finishedAt: now(),
    outcome: 'failed',
    error: `${err.code}: ${err.message}`,
  });
  return err;
}

const CHANGELOG_MAX_BYTES = 1024 * 1024;

/**
 * The record with the module's changelog sections between the versions, read from the newer tree in the store (a
 * downgrade's sections are the ones it undoes: the active tree has them). Best effort: no changelog, no excerpt.
 */
function withChangelog(ctx: ModuleContext, record: HistoryRecord, rel: string | undefined): HistoryRecord {
  const { action: a, current, deps } = ctx;
  if (a.to === undefined || rel === undefined) return record;
  try {
    const down = current !== undefined && record.op === 'rollback';
    const tree = deps.target.abs(down ? current.active.storeDir : rel);
    const text = readSmall(join(tree, changelogName(tree))) ?? '';
    // A first install gets its own version's section, not the module's whole past.
    const sections: ChangelogSection[] = changelogExcerpt(text, current?.active.version, a.to).filter(
      (s) => current !== undefined || s.version === a.to,
    );
    return sections.length > 0 ? { ...record, changelog: sections } : record;
  } catch {
    return record;
  }
}

/** The manifest's `changelog` file name when it names a plain one, else CHANGELOG.md. */
function changelogName(tree: string): string {
  try {
    const m = JSON.parse(readSmall(join(tree, 'module.json')) ?? '{}') as { changelog?: unknown };
    if (
      typeof m.changelog === 'string' &&
      /^[\w.-]+(\/[\w.-]+)*$/.test(m.changelog) &&
      !m.changelog.includes('..')
    )
      return m.changelog;
  } catch {}
  return 'CHANGELOG.md';
}

/** A regular file's text up to a bound; undefined when it is missing, a link or not a file. */
function readSmall(file: string): string | undefined {
  if (!lstatSync(file, { throwIfNoEntry: false })?.isFile()) return undefined;
  const fd = openSync(file, 'r');
  try {
    const size = Math.min(fstatSync(fd).size, CHANGELOG_MAX_BYTES);
    const buf = Buffer.alloc(size);
    const n = readSync(fd, buf, 0, size, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
