// What one run of `ringlock check` carries between its steps: the two commits, their readers, and what the rules found.
import type { BlobReader } from '../git/cli.js';
import type { BlobDigestCache } from '../git/tree-hash.js';
import type { SourceDoc } from '../model/source.js';
import type { RuleId } from '../rules/promotion.js';
import { LABEL_SENSITIVE } from './sensitive.js';
import { CommitTree } from './snapshot.js';
import type { CheckFinding, CheckReport, SensitiveChange } from './types.js';

export const LABEL_HOTFIX = 'ringlock:hotfix';
export const LABEL_ROLLBACK = 'ringlock:rollback';

export interface CheckOptions {
  cwd: string;
  /** A ref or sha; default: the merge base of head with the remote's default branch. */
  base?: string;
  /** Default HEAD. */
  head?: string;
  /** Compare against the merge base of `base` and head rather than `base` itself (a pull request's base branch). */
  mergeBase?: boolean;
  /**
   * A pull request's head commit: when `head` is a merge commit whose second parent is this one (the merge GitHub
   * makes of the pull request into its base branch), the base is that merge's first parent.
   */
  mergeOf?: string;
  labels?: readonly string[];
  allow?: ReadonlySet<'hotfix' | 'rollback' | 'sensitive'>;
  /** ms since the epoch; soak is measured up to this instant. */
  now?: number;
}

export interface CheckContext {
  readonly repoDir: string;
  readonly base: string;
  readonly head: string;
  readonly reader: BlobReader;
  readonly atHead: CommitTree;
  readonly atBase: CommitTree;
  readonly findings: CheckFinding[];
  readonly ran: Set<RuleId>;
  readonly notes: string[];
  /** Parsed files by repo path, for the positions of findings about them. */
  readonly docs: Map<string, SourceDoc>;
  readonly stats: CheckReport['stats'];
  readonly blobCache: BlobDigestCache;
  /** ms since the epoch; soak is measured up to this instant. */
  readonly now: number;
  hotfix?: string;
  rollback?: string;
  rollbackLooked: boolean;
  sensitiveOverride?: string;
  sensitive: SensitiveChange[];
}

export function newContext(
  repoDir: string,
  base: string,
  head: string,
  reader: BlobReader,
  opts: CheckOptions,
): CheckContext {
  const ctx: CheckContext = {
    repoDir,
    base,
    head,
    reader,
    atHead: new CommitTree(reader, head),
    atBase: new CommitTree(reader, base),
    findings: [],
    ran: new Set<RuleId>(),
    notes: [],
    docs: new Map<string, SourceDoc>(),
    stats: {
      changedFiles: 0,
      relevantFiles: 0,
      locksRead: 0,
      manifestsRead: 0,
      treesHashed: 0,
      historyWalks: 0,
    },
    blobCache: new Map(),
    now: opts.now ?? Date.now(),
    rollbackLooked: false,
    sensitive: [],
  };
  const labels = new Set(opts.labels ?? []);
  if (opts.allow?.has('hotfix')) ctx.hotfix = '--allow hotfix';
  else if (labels.has(LABEL_HOTFIX)) ctx.hotfix = `label ${LABEL_HOTFIX}`;
  if (opts.allow?.has('rollback')) ctx.rollback = '--allow rollback';
  else if (labels.has(LABEL_ROLLBACK)) ctx.rollback = `label ${LABEL_ROLLBACK}`;
  // Only a label (which the pull request's author cannot set without triage rights) or the workflow's flag: no
  // trailer, since the change itself would carry it.
  if (opts.allow?.has('sensitive')) ctx.sensitiveOverride = '--allow sensitive';
  else if (labels.has(LABEL_SENSITIVE)) ctx.sensitiveOverride = `label ${LABEL_SENSITIVE}`;
  return ctx;
}
