// `ringlock check`: what a change (base → head) does to the platform repository, judged by the rules. Reads both
// sides from git objects, works out which rings and modules the change touches, reads and hashes only those, and
// runs the pure rules (src/check/rules.ts and the promotion rules shared with `ringlock promote`) over them.
// The steps live beside it: revisions.ts (git), snapshot.ts (files at a commit), scope.ts (what the change touches),
// sources.ts and rings.ts (the rules), summary.ts (the report).
import { InputError } from '../errors.js';
import { BlobReader } from '../git/cli.js';
import type { LoadedConfig } from '../model/config.js';
import { parseSource, type SourceDoc } from '../model/source.js';
import { RULE } from '../rules/promotion.js';
import { type CheckContext, type CheckOptions, newContext } from './context.js';
import {
  changedPaths,
  defaultBase,
  firstParentOfMerge,
  mergeBase,
  repoRoot,
  resolveCommit,
  startDir,
} from './revisions.js';
import { judgeRings, judgeTenants } from './rings.js';
import { readScope } from './scope.js';
import { sensitiveFindings } from './sensitive.js';
import { CAPS, type ConfigAt, findConfig, type LockAt, loadConfigAt } from './snapshot.js';
import { judgeSources } from './sources.js';
import { summarise } from './summary.js';
import type { CheckReport } from './types.js';

export async function runCheck(opts: CheckOptions): Promise<CheckReport> {
  const repoDir = await repoRoot(opts.cwd);
  const head = await resolveCommit(repoDir, opts.head ?? 'HEAD', '--head');
  let base = opts.mergeOf === undefined ? undefined : await firstParentOfMerge(repoDir, head, opts.mergeOf);
  if (base === undefined) {
    base =
      opts.base === undefined
        ? await defaultBase(repoDir, head)
        : await resolveCommit(repoDir, opts.base, '--base');
    if (opts.mergeBase && opts.base !== undefined) base = await mergeBase(repoDir, base, head, opts.base);
  }
  const reader = new BlobReader(repoDir);
  try {
    return await check(newContext(repoDir, base, head, reader, opts), startDir(repoDir, opts.cwd));
  } finally {
    reader.close();
  }
}

async function check(ctx: CheckContext, startDir: string): Promise<CheckReport> {
  const cfgFile = (await findConfig(ctx.atHead, startDir)) ?? (await findConfig(ctx.atBase, startDir));
  if (!cfgFile) {
    throw new InputError(
      'config/not-found',
      `no ringlock.yaml in ${startDir === '.' ? 'the repository' : `${startDir} or above`} at ${ctx.head.slice(0, 12)}`,
      { expected: 'a ringlock.yaml at the top of the platform repository (or --cwd naming its folder)' },
    );
  }
  const changed = await changedPaths(ctx.repoDir, ctx.base, ctx.head);
  ctx.stats.changedFiles = changed.length;
  const headCfg = await loadConfigAt(ctx.atHead, cfgFile);
  const cfgTouched =
    changed.includes(cfgFile) || (headCfg.versionFile !== undefined && changed.includes(headCfg.versionFile));
  if (!headCfg.cfg) {
    // Without a valid config at head nothing else can be judged; a config that did not change is not this change's fault.
    if (headCfg.findings.length === 0)
      throw new InputError('config/not-found', `${cfgFile} is missing at ${ctx.head.slice(0, 12)}`, {
        expected: 'the pull request to keep ringlock.yaml',
      });
    ctx.ran.add(RULE.schema);
    ctx.findings.push(...headCfg.findings);
    ctx.stats.relevantFiles = changed.filter((p) => p === cfgFile || p === headCfg.versionFile).length;
    return summarise(ctx, []);
  }
  if (changed.includes(cfgFile) && headCfg.doc) await guardSensitive(ctx, cfgFile, headCfg.doc);
  const baseCfg = cfgTouched ? await loadConfigAt(ctx.atBase, cfgFile) : headCfg;
  return judge(ctx, headCfg, headCfg.cfg, baseCfg.cfg, changed, cfgTouched);
}

async function judge(
  ctx: CheckContext,
  at: ConfigAt,
  cfg: LoadedConfig,
  baseCfg: LoadedConfig | undefined,
  changed: string[],
  cfgTouched: boolean,
): Promise<CheckReport> {
  const scope = await readScope(ctx, at, cfg, baseCfg, changed, cfgTouched);
  const sources = await judgeSources(ctx, cfg, scope);
  const plans = await judgeRings(ctx, at, cfg, baseCfg, scope, sources);
  await judgeTenants(ctx, scope, changed);
  for (const [ring, l] of scope.headLocks)
    if (!l.doc && l.lock && ctx.findings.some((f) => f.ring === ring)) await lockDoc(ctx, l);
  return summarise(ctx, plans, (ring) => scope.lockFile(ring));
}

/** RL012: the security-relevant keys of ringlock.yaml the change touches (a base side that is missing or unreadable counts as empty). */
async function guardSensitive(ctx: CheckContext, file: string, head: SourceDoc): Promise<void> {
  ctx.ran.add(RULE.sensitive);
  const read = await ctx.atBase.read(file, CAPS.config);
  let base: unknown;
  if (read && 'text' in read) {
    try {
      base = parseSource(file, read.text).value;
    } catch {
      // Unparsable at base: every key at head is new.
    }
  }
  const { findings, changes } = sensitiveFindings(file, base, head, ctx.sensitiveOverride);
  ctx.findings.push(...findings);
  ctx.sensitive = changes;
}

async function lockDoc(ctx: CheckContext, l: LockAt): Promise<void> {
  const text = (await ctx.atHead.read(l.file, CAPS.lock)) as { text?: string } | undefined;
  if (text?.text === undefined) return;
  try {
    ctx.docs.set(l.file, parseSource(l.file, text.text));
  } catch {
    // An unparsable lock has no positions; its findings point at the file.
  }
}
