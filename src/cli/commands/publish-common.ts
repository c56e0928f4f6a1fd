// What promote, revert and ring assign share on the command line: the session from the flags, and how an outcome reads.
import { InputError } from '../../errors.js';
import { type Mode, type Outcome, Session } from '../../promote/session.js';
import { operatorPolicy } from '../operator.js';
import { paint } from '../output.js';
import type { CommandContext } from '../spec.js';

export async function openSession(ctx: CommandContext): Promise<Session> {
  const o = ctx.options;
  if (o['dry-run'] === true && o['no-pr'] === true)
    throw new InputError('cli/mode', '--dry-run and --no-pr do not go together', {
      expected: '--dry-run (change nothing) or --no-pr (commit locally)',
    });
  const mode: Mode = o['dry-run'] === true ? 'dry-run' : o['no-pr'] === true ? 'no-pr' : 'pr';
  if (
    o.base !== undefined &&
    (typeof o.base !== 'string' || !/^[A-Za-z0-9._/-]+$/.test(o.base) || o.base.startsWith('-'))
  )
    throw new InputError('cli/base', `--base ${String(o.base)}: not a branch name`, {
      expected: '--base main',
    });
  return Session.open({
    cwd: ctx.cwd,
    env: process.env,
    mode,
    policy: operatorPolicy(ctx),
    ...(typeof o.base === 'string' ? { base: o.base } : {}),
  });
}

export function describeOutcome(ctx: CommandContext, o: Outcome, body: string): string {
  switch (o.status) {
    case 'dry-run':
      return `\n${paint(ctx.io, 'bold', `dry run: branch ${o.branch} would get this change`)}\n${o.diff}\n${paint(ctx.io, 'bold', 'pull request body:')}\n${body}\n`;
    case 'committed':
      return o.unchanged
        ? `unchanged: local branch ${o.branch} already holds this change at ${o.commit.slice(0, 12)} (not pushed; no pull request)\n`
        : `committed ${o.commit.slice(0, 12)} on local branch ${o.branch} (not pushed; no pull request)\n`;
    case 'declined':
      return `${paint(ctx.io, 'yellow', 'skipped')}: pull request #${o.pr.number} for ${o.branch} was closed without merging (${o.pr.url}); a scheduled run leaves it closed — run the command by hand to open a new one\n`;
    default: {
      const verb = { opened: 'opened', updated: 'updated', unchanged: 'already up to date:' }[o.status];
      const warn = o.warnings.map((w) => `${paint(ctx.io, 'yellow', 'warning')}: ${w}\n`).join('');
      const closed = o.superseded.length
        ? `  closed the pull request(s) it supersedes: ${o.superseded.map((n) => `#${n}`).join(', ')}\n`
        : '';
      return `${verb} pull request #${o.pr.number}: ${o.pr.url}\n  branch ${o.branch} at ${o.commit.slice(0, 12)}${o.pushed ? ' (pushed)' : ''}\n${closed}${warn}`;
    }
  }
}
