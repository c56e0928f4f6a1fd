// Plain data of a pull-request check: what it found, what merging does to each ring, and how each rule came out.
import type { Finding, RuleId } from '../rules/promotion.js';

/** A finding of `ringlock check`: a promotion-rule Finding, or a check-only one, placed in a file. */
export interface CheckFinding extends Omit<Finding, 'ring'> {
  /** The ring it concerns; absent for findings about a module's source or a file. */
  ring?: string;
  /** Repo-relative file the finding belongs to (the ring's lock when absent and `ring` is set). */
  file?: string;
  line?: number;
  column?: number;
  /** An error turned into a warning by an override: which one. */
  overriddenBy?: 'hotfix' | 'rollback' | 'sensitive';
}

/** A security-relevant key of ringlock.yaml that the change adds, removes or changes (RL012). */
export interface SensitiveChange {
  /** Dotted path: `registry.url`, `notifications.webhooks[0].url`. */
  key: string;
  pointer: string;
  change: 'added' | 'removed' | 'changed';
  /** The value at base and at head, as JSON (strings quoted), shortened; absent on the side that lacks the key. */
  before?: string;
  after?: string;
  file: string;
  /** Its line in the head file (a removed key: the nearest enclosing key still there, else 1). */
  line: number;
}

export type RingAction = 'install' | 'upgrade' | 'rollback' | 'remove' | 'reinstall' | 'update';

/** One module's change in a ring: what the ring's daemon will do once the pull request is merged. */
export interface RingChange {
  module: string;
  action: RingAction;
  from?: string;
  to?: string;
  /** For `update`: the fields that changed (integrity, artifact, …) while the pin stays. */
  fields?: string[];
}

export interface RingPlan {
  ring: string;
  lockFile: string;
  /** The lock is new in this change. */
  created?: boolean;
  /** The lock is removed by this change. */
  deleted?: boolean;
  platform?: { from?: string; to?: string };
  changes: RingChange[];
}

export type RuleOutcome = 'pass' | 'fail' | 'warn' | 'skipped';

export interface RuleResult {
  id: RuleId;
  name: string;
  outcome: RuleOutcome;
  errors: number;
  warnings: number;
  /** For skipped rules: why (nothing it covers changed). */
  note?: string;
}

export interface CheckReport {
  ok: boolean;
  base: string;
  head: string;
  /** Overrides in force and why (a label, --allow, a revert commit). */
  overrides: { hotfix?: string; rollback?: string; sensitive?: string };
  /** Security-relevant keys of ringlock.yaml this change touches, before and after (RL012). */
  sensitive?: SensitiveChange[];
  findings: CheckFinding[];
  plans: RingPlan[];
  rules: RuleResult[];
  /** Informational notes (shallow history, skipped work). */
  notes: string[];
  /** What the check looked at: the cost grows with these, not with the repository. */
  stats: {
    changedFiles: number;
    relevantFiles: number;
    locksRead: number;
    manifestsRead: number;
    treesHashed: number;
    historyWalks: number;
  };
}
