// What /status reports: the daemon's view of its ring — desired and deployed per module, drift, quarantine,
// suspension, the last attempt and the last success, and the last error with its file:line.
import type { ModuleResult } from '../apply/engine.js';
import { type Diagnostic, RinglockError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import type { PublishStatus } from '../publish/types.js';
import type { DeployedState, QuarantineEntry, Suspension } from '../state/types.js';

export type AttemptOutcome =
  | 'succeeded'
  | 'noop'
  | 'failed'
  | 'invalid'
  | 'git-error'
  | 'suspended'
  | 'locked'
  | 'superseded';

export interface Attempt {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  trigger: string;
  commit?: string;
  outcome: AttemptOutcome;
  /** Modules changed in this attempt, and those that failed. */
  applied: number;
  failed: number;
}

export interface StatusError {
  code: string;
  message: string;
  commit?: string;
  file?: string;
  line?: number;
  column?: number;
  diagnostics: Diagnostic[];
  at: string;
}

export interface ModuleStatusView {
  name: string;
  desired?: string;
  deployed?: string;
  /**
   * active, failed, rolled_back, installing, disabled (state store; disabled: installed, switched off by the lock's
   * `"enabled": false`); pending (the lock names it, not deployed yet), blocked (the plan blocks what the lock asks
   * for: see `blocked`; `deployed` is what still runs, if anything), unmanaged.
   */
  state: string;
  drift?: string;
  quarantined?: string;
  /** Why the plan blocks it (e.g. `unmanaged path: …`), and the machine-readable code when it has one. */
  blocked?: string;
  blockedCode?: string;
  /** Each link from the module down to the root cause of its block. */
  blockedChain?: string[];
  /** Since when it has been blocked for this reason (as the state records it). */
  blockedSince?: string;
  /** A failed module waits this long before it is tried again. */
  retryAt?: string;
  lastError?: string;
}

export interface DaemonStatus {
  ring: string;
  repo: string;
  branch: string;
  path: string;
  lockPath?: string;
  gitDriver: string;
  phase: 'starting' | 'standby' | 'idle' | 'reconciling' | 'stopping';
  /** With a shared state store: leader (holds the ring's writer lease and reconciles) or standby (waits for it). */
  role?: 'leader' | 'standby';
  /** This replica's name as a lease holder (pod hostname:pid). */
  replica?: string;
  /** Who holds the writer lease now, and since when. */
  leader?: { holder: string; token: number; since?: string };
  ready: boolean;
  /** ok · degraded (git, lock or modules failing; see lastError) · suspended */
  health: 'ok' | 'degraded' | 'suspended';
  degradedReason?: string;
  desiredCommit?: string;
  appliedCommit?: string;
  /**
   * The commit whose lock the ring runs: the first commit, of those the daemon applied up to `appliedCommit` without
   * the ring's lock changing, at which it applied that lock (so an unrelated later commit leaves it unchanged).
   */
  appliedLockCommit?: string;
  lastAttempt?: Attempt;
  lastSuccess?: Attempt;
  lastError?: StatusError;
  git: { failures: number; nextAttemptAt?: string; lastFetchMs?: number };
  suspended?: Suspension;
  modules: ModuleStatusView[];
  drift: { module: string; reason: string }[];
  quarantined: QuarantineEntry[];
  /** Each publisher of the active modules and its last attempt (a failed one is tried again next pass). */
  publish?: PublishStatus[];
}

/** Per-module rows: every module the lock names, then deployed modules it does not. */
export function moduleViews(
  plan: Plan | undefined,
  state: DeployedState,
  drift: ReadonlyMap<string, string>,
  retryAt: ReadonlyMap<string, { at: number; error: string }>,
): ModuleStatusView[] {
  const rows = new Map<string, ModuleStatusView>();
  for (const a of plan?.actions ?? []) {
    const d = Object.hasOwn(state.modules, a.module) ? state.modules[a.module] : undefined;
    const kept =
      state.blocked && Object.hasOwn(state.blocked, a.module) ? state.blocked[a.module] : undefined;
    // Blocked is `blocked` (the ring's health and ringlock_modules count it so), not `pending` nor the `active` of a
    // version the lock no longer asks for: nothing will bring what the lock asks. A failure is still shown as such.
    // A disabled module the lock switches back on but cannot bring is blocked too (it will not come back by itself).
    const blocked = a.kind === 'blocked' && (!d || d.status === 'active' || d.status === 'disabled');
    rows.set(a.module, {
      name: a.module,
      desired: a.unmanaged ? undefined : a.to,
      deployed: d?.active.version,
      state: blocked ? 'blocked' : d ? d.status : a.unmanaged ? 'unmanaged' : 'pending',
      ...(a.kind === 'blocked'
        ? {
            blocked: a.reason,
            blockedCode: a.code,
            ...(a.chain ? { blockedChain: a.chain } : {}),
            ...(kept && kept.reason === a.reason ? { blockedSince: kept.since } : {}),
          }
        : {}),
    });
  }
  for (const d of Object.values(state.modules)) {
    if (!rows.has(d.name)) rows.set(d.name, { name: d.name, deployed: d.active.version, state: d.status });
    const r = rows.get(d.name)!;
    if (d.lastError && d.status !== 'active') r.lastError = d.lastError;
  }
  for (const q of state.quarantine) {
    const r = rows.get(q.module);
    if (r) r.quarantined = `${q.version}: ${q.reason}`;
  }
  for (const [m, why] of drift) {
    const r = rows.get(m);
    if (r) r.drift = why;
  }
  for (const [m, w] of retryAt) {
    const r = rows.get(m);
    if (r) {
      r.retryAt = new Date(w.at).toISOString();
      r.lastError = w.error;
    }
  }
  return [...rows.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Why the ring is degraded, the most fundamental reason first; undefined when it is not. */
export function degraded(x: {
  invalid?: StatusError;
  git?: StatusError;
  run?: StatusError;
  modules: ModuleStatusView[];
  blocked: number;
}): string | undefined {
  const failing = x.modules.filter((m) => m.state === 'failed' || m.retryAt !== undefined).length;
  if (x.invalid) return `invalid desired state at ${x.invalid.commit?.slice(0, 12)}: ${x.invalid.message}`;
  if (x.git) return `git: ${x.git.message}`;
  if (x.run) return x.run.message;
  if (failing > 0) return `${failing} module(s) failing`;
  if (x.blocked > 0) return `${x.blocked} module(s) blocked`;
  return undefined;
}

/** `n applied, n failed, n rolled back` of a run's results. */
export function summarize(results: ModuleResult[]): string {
  const n = (o: string) => results.filter((r) => r.outcome === o).length;
  return `${n('succeeded')} applied, ${n('failed')} failed, ${n('rolled_back')} rolled back`;
}

/** An error as /status shows it: code, message, the commit it is about, file:line and diagnostics. */
export function toStatusError(e: unknown, commit: string | undefined): StatusError {
  const at = new Date().toISOString();
  if (e instanceof RinglockError) {
    const diagnostics: Diagnostic[] = e.diagnostics();
    const first = diagnostics[0];
    return {
      code: e.code,
      message: e.message,
      commit,
      file: first?.file ?? e.file,
      line: first?.line ?? e.line,
      column: first?.column ?? e.column,
      diagnostics,
      at,
    };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'internal', message, commit, diagnostics: [], at };
}

/** What the daemon's runs leave for /status to show. */
export interface RunStatus {
  phase: DaemonStatus['phase'];
  ready: boolean;
  /** A pass of this process left the target matching the lock (applied all it asked for, or had nothing to do). */
  synced?: boolean;
  appliedCommit?: string;
  appliedLockCommit?: string;
  lastAttempt?: Attempt;
  lastSuccess?: Attempt;
  lastRunError?: StatusError;
  plan?: Plan;
  /** Module → why it drifted (or changed out of band), as of the last plan. */
  drift: Map<string, string>;
  blocked: number;
}

/** Fetching git: failures in a row, when the next fetch may run, the last fetch's duration and error. */
export interface GitStatus {
  failures: number;
  nextAt: number;
  lastFetchMs?: number;
  lastError?: StatusError;
}

/** The /status document from the daemon's parts. */
export function statusOf(x: {
  where: Pick<DaemonStatus, 'ring' | 'repo' | 'branch' | 'path' | 'lockPath' | 'gitDriver'>;
  run: RunStatus;
  git: GitStatus;
  desiredCommit?: string;
  invalid?: StatusError;
  deployed: DeployedState;
  suspended?: Suspension;
  retry: ReadonlyMap<string, { at: number; error: string }>;
}): DaemonStatus {
  const { run, git } = x;
  const lastError = x.invalid ?? run.lastRunError ?? git.lastError;
  const modules = moduleViews(run.plan, x.deployed, run.drift, x.retry);
  const degradedReason = degraded({
    invalid: x.invalid,
    git: git.lastError,
    run: run.lastRunError,
    modules,
    blocked: run.blocked,
  });
  return {
    ring: x.where.ring,
    repo: x.where.repo,
    branch: x.where.branch,
    path: x.where.path,
    lockPath: x.where.lockPath,
    gitDriver: x.where.gitDriver,
    phase: run.phase,
    ready: run.ready,
    health: x.suspended ? 'suspended' : degradedReason ? 'degraded' : 'ok',
    degradedReason,
    desiredCommit: x.desiredCommit,
    appliedCommit: run.appliedCommit,
    appliedLockCommit: run.appliedLockCommit,
    lastAttempt: run.lastAttempt,
    lastSuccess: run.lastSuccess,
    lastError,
    git: {
      failures: git.failures,
      nextAttemptAt: git.nextAt > Date.now() ? new Date(git.nextAt).toISOString() : undefined,
      lastFetchMs: git.lastFetchMs,
    },
    suspended: x.suspended,
    modules,
    drift: [...run.drift].map(([module, reason]) => ({ module, reason })),
    quarantined: x.deployed.quarantine,
  };
}
