// ringlock check: judge a change (base → head) to the platform repository, as a pull request's check.
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { runCheck } from '../../check/check.js';
import { type GitHubRun, readGitHubRun, splitRepository } from '../../check/github-env.js';
import { inline, safeJson } from '../../check/neutralise.js';
import {
  annotations,
  COMMENT_MAX_CHARS,
  renderMarkdown,
  renderText,
  SUMMARY_MAX_BYTES,
} from '../../check/report.js';
import type { CheckReport } from '../../check/types.js';
import { ExitCode, InputError, RinglockError } from '../../errors.js';
import { git } from '../../git/cli.js';
import { listOpt, stringOpt } from '../common.js';
import { json, paint } from '../output.js';
import type { CommandContext } from '../spec.js';

export const COMMENT_MARKER = '<!-- ringlock:check -->';
const ALLOWED = ['hotfix', 'rollback', 'sensitive'] as const;
type Allow = (typeof ALLOWED)[number];

export async function run(ctx: CommandContext): Promise<number> {
  const allow = new Set<Allow>();
  for (const a of listOpt(ctx, 'allow') ?? []) {
    if (!(ALLOWED as readonly string[]).includes(a))
      throw new InputError('cli/usage', `check: --allow ${inline(a)}: unknown override`, {
        expected: '--allow hotfix, --allow rollback or --allow sensitive',
      });
    allow.add(a as Allow);
  }
  const gh = readGitHubRun(process.env);
  const wantsComment = ctx.options.comment === true;
  const commentTarget = wantsComment ? commentSettings(gh) : undefined;
  const baseFlag = stringOpt(ctx, 'base');
  const headFlag = stringOpt(ctx, 'head');
  const head = headFlag ?? (await firstPresent(ctx.cwd, gh.heads));
  const base = baseFlag ?? gh.base;
  // On pull_request the head is GITHUB_SHA, the merge commit of the pull request into its base branch: that merge's
  // first parent is the base, whatever (possibly stale) base.sha the event carries.
  const mergeOf =
    headFlag === undefined && baseFlag === undefined && head !== gh.pullRequestHead
      ? gh.pullRequestHead
      : undefined;
  const report = await runCheck({
    cwd: ctx.cwd,
    ...(base !== undefined ? { base } : {}),
    ...(head !== undefined ? { head } : {}),
    ...(mergeOf !== undefined ? { mergeOf } : {}),
    mergeBase: baseFlag === undefined && gh.mergeBase,
    labels: gh.labels,
    allow,
  });

  let comment: { action: string; url: string } | { error: string } | undefined;
  if (commentTarget) comment = await postComment(commentTarget, report);
  // A comment that cannot be posted (a fork's read-only token) does not change the verdict. It is said in the summary
  // and the log, not as an annotation: GitHub shows 10 warnings per step, and those belong to the findings.
  if (comment && 'error' in comment) report.notes.push(comment.error);
  if (gh.summaryFile) appendFileSync(gh.summaryFile, renderMarkdown(report, SUMMARY_MAX_BYTES));

  if (ctx.json) {
    ctx.io.out(safeJson(json({ ...report, ...(comment ? { comment } : {}) })));
  } else {
    const text = renderText(report, (style, s) => paint(ctx.io, style, s));
    if (gh.actions) {
      ctx.io.out(annotations(report).text);
      // The report quotes the repository: the runner is told to run no workflow command until it has been printed
      // (GitHub's stop-commands, with a token nothing in the repository can know), on top of the escaping.
      const token = randomBytes(16).toString('hex');
      ctx.io.out(`::stop-commands::${token}\n${text}::${token}::\n`);
    } else ctx.io.out(text);
    if (comment && 'url' in comment) ctx.io.out(`comment ${comment.action}: ${inline(comment.url)}\n`);
  }
  if (comment && 'error' in comment) ctx.io.err(`warning: ${inline(comment.error)}\n`);
  return report.ok ? ExitCode.Ok : ExitCode.CheckFailed;
}

interface CommentTarget {
  number: number;
  owner: string;
  repo: string;
  token: string;
  baseUrl?: string;
}

function commentSettings(gh: GitHubRun): CommentTarget {
  const missing = (what: string) =>
    new InputError('cli/usage', `check --comment: ${what}`, {
      expected:
        'run it in a GitHub Actions job on pull_request, with GITHUB_TOKEN in the environment (GITHUB_TOKEN set from the job token)',
    });
  if (gh.pullRequest === undefined)
    throw missing('no pull request number in the GitHub event (GITHUB_EVENT_PATH)');
  if (!gh.repository) throw missing('GITHUB_REPOSITORY is not set');
  if (!gh.token) throw missing('GITHUB_TOKEN is not set');
  return {
    number: gh.pullRequest,
    ...splitRepository(gh.repository),
    token: gh.token,
    ...(gh.apiUrl ? { baseUrl: gh.apiUrl } : {}),
  };
}

async function postComment(
  t: CommentTarget,
  report: CheckReport,
): Promise<{ action: string; url: string } | { error: string }> {
  const { StickyComments } = await import('../../forge/comments.js');
  try {
    const sticky = new StickyComments({
      token: t.token,
      owner: t.owner,
      repo: t.repo,
      ...(t.baseUrl ? { baseUrl: t.baseUrl } : {}),
    });
    const r = await sticky.upsert(
      t.number,
      COMMENT_MARKER,
      `${COMMENT_MARKER}\n${renderMarkdown(report, COMMENT_MAX_CHARS)}`,
    );
    return { action: r.action, url: r.url };
  } catch (e) {
    if (e instanceof RinglockError) return { error: `could not post the pull-request comment: ${e.message}` };
    throw e;
  }
}

/** The first of `shas` this clone has as a commit. */
async function firstPresent(cwd: string, shas: readonly string[]): Promise<string | undefined> {
  for (const sha of shas) {
    try {
      await git(['cat-file', '-e', `${sha}^{commit}`], { cwd });
      return sha;
    } catch {
      // Not fetched: try the next.
    }
  }
  if (shas.length > 0)
    throw new InputError(
      'check/unknown-revision',
      `the event's head commit ${shas.at(-1)!.slice(0, 12)} is not in this clone`,
      {
        expected: 'actions/checkout before ringlock check (fetch-depth: 0), or --head',
      },
    );
  return undefined;
}
