// Whether a ring runs a commit or a module version yet, judged from a daemon's /status or from a target's own state:
// what `ringlock wait` polls. Pure: one snapshot in, one verdict out.
import type { DeployedState, HistoryRecord, JournalEntry } from '../state/types.js';
import type { DaemonStatus, ModuleStatusView } from './status.js';

/** What to wait for: a commit of the ring's lock (a full SHA or a prefix), or a module at a version. */
export type RolloutTarget = { commit: string } | { module: string; version: string };

export interface Verdict {
  /** reached: the ring runs it · failed: the daemon or the target says it failed or was rolled back · waiting. */
  phase: 'reached' | 'failed' | 'waiting';
  /** One line on where things stand (the progress line). */
  detail: string;
  /** For failed: why, from the daemon's lastError or the module's. */
  reason?: string;
}

const short = (sha: string | undefined) => (sha === undefined ? 'none' : sha.slice(0, 12));
const sameCommit = (have: string | undefined, want: string) =>
  have?.toLowerCase().startsWith(want.toLowerCase()) === true;

/**
 * A verdict from a daemon's /status document. `lockRuns`: whether the caller's git checkout shows the target commit
 * is an ancestor of `appliedCommit` with an identical lock (undefined when it cannot tell).
 */
export function judgeStatus(s: DaemonStatus, target: RolloutTarget, lockRuns?: boolean): Verdict {
  if ('commit' in target) {
    const at = `desired ${short(s.desiredCommit)}, applied ${short(s.appliedCommit)}, ${s.phase}`;
    // Reached: the daemon applied that commit, or a later one with the same lock (appliedLockCommit is where that lock
    // was first applied), or the caller's git checkout shows it (`lockRuns`: C is an ancestor of the applied commit and
    // the lock is identical at both).
    if (
      sameCommit(s.appliedCommit, target.commit) ||
      sameCommit(s.appliedLockCommit, target.commit) ||
      (lockRuns === true && s.appliedCommit !== undefined)
    ) {
      // Applied is not enough: a module the plan blocks, or that failed or is quarantined, does not run that lock.
      const stuck = s.modules.map(stuckReason).filter((x): x is string => x !== undefined);
      if (stuck.length > 0)
        return {
          phase: 'failed',
          detail: `ring ${s.ring} applied ${short(s.appliedCommit)}, but ${stuck.length} module(s) do not run its lock`,
          reason: stuck.join('; '),
        };
      return {
        phase: 'reached',
        detail: `ring ${s.ring} runs ${short(s.appliedCommit)}${sameCommit(s.appliedCommit, target.commit) ? '' : ` (the lock of ${short(target.commit)})`}`,
      };
    }
    const last = s.lastAttempt;
    if (
      last &&
      sameCommit(last.commit, target.commit) &&
      (last.outcome === 'failed' || last.outcome === 'invalid')
    ) {
      return {
        phase: 'failed',
        detail: `ring ${s.ring}: ${short(last.commit)} ${last.outcome === 'invalid' ? 'was refused as invalid' : 'failed'}`,
        reason: failureReason(s, target.commit),
      };
    }
    return {
      phase: 'waiting',
      detail: `ring ${s.ring}: ${at}${last ? `, last attempt ${last.outcome}` : ''}`,
    };
  }
  const { module, version } = target;
  const row = s.modules.find((m) => m.name === module);
  if (!row)
    return { phase: 'waiting', detail: `ring ${s.ring}: ${module} is not in its lock or deployed yet` };
  const where = `ring ${s.ring}: ${module} deployed ${row.deployed ?? 'none'} (${row.state}), desired ${row.desired ?? 'none'}`;
  if (row.deployed === version && row.state === 'active')
    return { phase: 'reached', detail: `ring ${s.ring} runs ${module} ${version}` };
  if (row.quarantined?.startsWith(`${version}:`))
    return { phase: 'failed', detail: where, reason: `${module} ${row.quarantined}` };
  if (row.desired === version) {
    if (row.state === 'failed' || row.state === 'rolled_back')
      return {
        phase: 'failed',
        detail: where,
        reason: row.lastError ?? `${module} ${version}: ${row.state}`,
      };
    if (row.blocked !== undefined)
      return { phase: 'failed', detail: where, reason: blockedText(row.blocked, row.blockedChain) };
  }
  return { phase: 'waiting', detail: where };
}

/** Why a module does not run what the lock asks: blocked (with its chain), failed, or its pinned version quarantined. */
function stuckReason(m: ModuleStatusView): string | undefined {
  if (m.state === 'blocked' || m.blocked !== undefined)
    return `${m.name}: ${blockedText(m.blocked ?? 'blocked', m.blockedChain)}`;
  if (m.state === 'failed' || m.state === 'rolled_back')
    return `${m.name}: ${m.lastError ?? m.state.replace('_', ' ')}`;
  if (m.desired !== undefined && m.quarantined?.startsWith(`${m.desired}:`))
    return `${m.name}: quarantined ${m.quarantined}`;
  return undefined;
}

/** `blocked: ` and the chain (else the reason), once: the plan's reason may already start with it. */
function blockedText(reason: string, chain: readonly string[] | undefined): string {
  const why = chain && chain.length > 0 ? chain.join(' → ') : reason.replace(/^blocked: /, '');
  return `blocked: ${why}`;
}

/** The modules of a state that do not run what its lock asks: blocked (with the chain), failed or rolled back. */
function stuckInState(state: DeployedState): string[] {
  const out: string[] = [];
  for (const [name, b] of Object.entries(state.blocked ?? {}))
    out.push(`${name}: ${blockedText(b.reason, b.chain)}`);
  for (const d of Object.values(state.modules))
    if (d.status === 'failed' || d.status === 'rolled_back')
      out.push(`${d.name}: ${d.lastError ?? d.status.replace('_', ' ')}`);
  return out;
}

/** Each distinct line once, in order (a retried module records the same error once per attempt). */
function dedupe(lines: string[]): string[] {
  return [...new Set(lines)];
}

/** Why a commit failed: the daemon's error about that commit, and each failing module's. */
function failureReason(s: DaemonStatus, commit: string): string {
  const parts: string[] = [];
  if (s.lastError && (s.lastError.commit === undefined || sameCommit(s.lastError.commit, commit)))
    parts.push(s.lastError.message);
  for (const m of s.modules)
    if (m.state === 'failed' || m.state === 'rolled_back' || m.retryAt !== undefined)
      parts.push(`${m.name}: ${m.lastError ?? m.state}`);
  return parts.length > 0
    ? dedupe(parts).join('; ')
    : (s.degradedReason ?? 'the daemon reports the attempt failed');
}

/**
 * A verdict from a target's own state, with the same rule as from /status. The state records the commit of the lock it
 * last applied (`lockCommit`: only the daemon records one). A commit C is reached when it is that commit, or `lockRuns`
 * (the caller's git checkout shows C and that commit on one line of history with an identical lock), no operation is
 * in flight, and no module is blocked, failed or quarantined; it failed when an operation of C failed or was rolled
 * back, or when it is reached but a module is stuck. The state must belong to `ring` (the caller checks).
 */
export function judgeState(
  ring: string,
  state: DeployedState,
  journal: JournalEntry | undefined,
  history: readonly HistoryRecord[],
  target: RolloutTarget,
  lockRuns?: boolean,
): Verdict {
  if ('commit' in target) {
    const failed = history.filter(
      (h) =>
        sameCommit(h.lockCommit, target.commit) && (h.outcome === 'failed' || h.outcome === 'rolled_back'),
    );
    if (failed.length > 0)
      return {
        phase: 'failed',
        detail: `ring ${ring}: ${short(target.commit)} ${failed.at(-1)!.outcome.replace('_', ' ')}`,
        reason: dedupe(failed.map((h) => `${h.module}: ${h.error ?? h.outcome}`)).join('; '),
      };
    const runs =
      sameCommit(state.lockCommit, target.commit) || (lockRuns === true && state.lockCommit !== undefined);
    if (runs && journal === undefined) {
      const stuck = stuckInState(state);
      if (stuck.length > 0)
        return {
          phase: 'failed',
          detail: `ring ${ring} applied ${short(state.lockCommit)}, but ${stuck.length} module(s) do not run its lock`,
          reason: stuck.join('; '),
        };
      return {
        phase: 'reached',
        detail: `target runs ${short(state.lockCommit)}${sameCommit(state.lockCommit, target.commit) ? '' : ` (the lock of ${short(target.commit)})`}`,
      };
    }
    return {
      phase: 'waiting',
      detail: `ring ${ring}: applied ${state.lockCommit === undefined ? 'no recorded commit (only the daemon records one)' : short(state.lockCommit)}${journal ? `, ${journal.module} in progress` : ''}`,
    };
  }
  const { module, version } = target;
  const d = Object.hasOwn(state.modules, module) ? state.modules[module] : undefined;
  const inFlight = journal?.module === module;
  const where = `ring ${ring}: ${module} ${d ? `${d.active.version} (${inFlight ? 'installing' : d.status})` : inFlight ? 'installing' : 'not installed'}`;
  if (d && d.active.version === version && d.status === 'active' && !inFlight)
    return { phase: 'reached', detail: `target runs ${module} ${version}` };
  const q = state.quarantine.find((x) => x.module === module && x.version === version);
  if (q) return { phase: 'failed', detail: where, reason: `${module} ${version}: ${q.reason}` };
  if (d && d.failedVersion === version && (d.status === 'failed' || d.status === 'rolled_back'))
    return { phase: 'failed', detail: where, reason: d.lastError ?? `${module} ${version}: ${d.status}` };
  return { phase: 'waiting', detail: where };
}
