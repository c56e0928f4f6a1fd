// The end of a module's operation: the state, the history and the journal say what happened — it succeeded (and old
// store versions are pruned), or it failed and the target is back on what the state records.
import { closeSync, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { OperationFailed, RinglockError } from '../../errors.js';
import { type ChangelogSection, changelogExcerpt } from '../../model/changelog.js';
import { readManifestInDir } from '../../source/manifest-file.js';
import { clearUnlinked } from '../../state/retention.js';
import type { HistoryRecord, Outcome } from '../../state/types.js';
import { crashPoint } from '../crash.js';
import { linkedDir, type ModuleContext, now } from './context.js';
import type { Switched } from './switch.js';

/** Records a switched-in, healthy version: state, then history, then the journal is cleared; then the store is pruned. */
export function recordSuccess(ctx: ModuleContext, sw: Switched): Outcome {
  const { action: a, deps } = ctx;
  const { store } = deps;
  const { rel, next } = sw;
  // The hooks as they stand now: afterSwitch and onEnable ran after the switch copied the record.
  const hooks = ctx.base.hooks;
  const record = withChangelog(ctx, { ...sw.record, ...(hooks ? { hooks: [...hooks] } : {}) }, rel);
  record.finishedAt = now();
  // The journal's copy of the record gets the hooks too: recovery appends it when a kill comes after the state write.
  // State, history and the journal together: one transaction in a database; in files, in this order (the journal makes
  // a crash between them recoverable).
  store.transaction(() => {
    const j = store.readJournal();
    if (j?.id === record.id) store.writeJournal({ ...j, record });
    // Linked again: a retention record of the module (removed earlier) no longer applies.
    store.write(
      clearUnlinked(
        {
          ...next,
          modules: { ...next.modules, [a.module]: { ...next.modules[a.module]!, since: record.finishedAt } },
        },
        a.module,
      ),
    );
    crashPoint('after-state');
    store.append(record);
    crashPoint('after-history');
    store.clearJournal();
  });
  ctx.recorded = true;
  // The operation is recorded: nothing after this line may change its outcome (or record it a second time).
  tidyAfterSuccess(ctx, rel, next.modules[a.module]?.previous?.storeDir);
  return 'succeeded';
}

/**
 * Drops a damaged tree a reinstall replaced and prunes old store versions. A failure here (a read-only lower layer,
 * EBUSY) is a warning on the module's result, never a failure: the next successful operation prunes again.
 */
function tidyAfterSuccess(ctx: ModuleContext, rel: string, previous: string | undefined): void {
  const { action: a, deps, opts, current } = ctx;
  const { target } = deps;
  try {
    deps.store.assertWriter?.();
  } catch (e) {
    // The lease is gone (a shared store): pruning is the next holder's, not this process's.
    ctx.warnings.push(`old versions not pruned: ${errText(e)}`);
    return;
  }
  try {
    // A reinstall replaced a damaged tree: nothing links to it any more.
    if (
      a.kind === 'reinstall' &&
      current &&
      current.active.storeDir !== rel &&
      target.hasStore(current.active.storeDir)
    ) {
      target.discardStore(current.active.storeDir);
    }
  } catch (e) {
    ctx.warnings.push(`could not discard ${current?.active.storeDir} (${errText(e)})`);
  }
  // Moved to the path the lock gives (`orders` → `Orders`): the old link goes. Where both names are one entry (a
  // case-insensitive file system), removing the old one took the new one: it is switched in again.
  const old = current?.path;
  if (current && current.status !== 'disabled' && (old ?? a.module) !== (ctx.path ?? a.module)) {
    try {
      if (target.inspect(a.module, true, old).kind === 'managed')
        target.activate(a.module, undefined, true, old);
      if (target.inspect(a.module, true, ctx.path).kind === 'absent')
        target.activate(a.module, rel, true, ctx.path);
    } catch (e) {
      ctx.warnings.push(`could not remove ${a.module}'s old link at ${old ?? a.module} (${errText(e)})`);
    }
  }
  try {
    const pruned = target.prune(a.module, opts.keepVersions, [rel, current?.active.storeDir, previous]);
    ctx.warnings.push(...pruned.warnings);
  } catch (e) {
    ctx.warnings.push(`could not prune old versions of ${a.module} (${errText(e)})`);
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * What an error after the success was recorded means (clearing the journal failed): the operation stands, recorded
 * once; the error is a warning, and the next pass's recovery finds the journal and the record already there.
 */
export function afterRecorded(ctx: ModuleContext, e: unknown): Outcome {
  ctx.warnings.push(`after the operation was recorded: ${errText(e)}`);
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
  // Another process holds the ring now (a shared store): it owns the target, the journal and the record of this
  // operation; this one changes nothing more.
  if (err.code === 'state/lease-lost') return err;
  // Nothing was switched (every failure before the switch lands here): the old version stays active. Should the
  // failure have come after a switch, the link goes back to what the state records.
  const journal = store.readJournal();
  // Only this operation's own journal (or its adoption's): another's (a writer that took over) is not this one's to
  // undo, nor to clear.
  const mine = journal === undefined || journal.id === base.id || journal.id === ctx.adoptId;
  if (!mine) return err;
  if (journal?.phase === 'switching') {
    try {
      store.assertWriter?.();
      // A failed enable of a disabled module: back to no link, not to the tree that failed.
      target.activate(a.module, linkedDir(current), current !== undefined || ctx.switched, ctx.path);
    } catch {
      // Someone else's tree took the path meanwhile: it is left alone (the next plan shows the module blocked).
    }
  }
  store.transaction(() => {
    store.clearJournal();
    const s = store.read();
    if (s.modules[a.module]) {
      s.modules[a.module] = {
        ...s.modules[a.module]!,
        // A disabled module that failed to come back stays disabled (its retention record too).
        status: s.modules[a.module]!.status === 'disabled' ? 'disabled' : 'failed',
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

/** The manifest's `changelog` file name when it names a plain one, else CHANGELOG.md (module.manifest.json too). */
function changelogName(tree: string): string {
  try {
    const m: { changelog?: unknown } = readManifestInDir(tree, tree).manifest;
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
