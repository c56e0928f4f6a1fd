// ringlock revert: the GitOps rollback. Puts back an earlier pin of a module from the ring lock's own git history,
// as a pull request labelled ringlock:rollback: the lock stays the truth, and the daemon downgrades when it merges.
import { InputError } from '../errors.js';
import { findEarlierPin } from '../git/history.js';
import { changelogBetween } from '../model/changelog.js';
import { compareVersions, satisfies } from '../model/semantics.js';
import { compatFindings, type Finding, prereleaseFinding } from '../rules/promotion.js';
import { formatBytes, kindOf } from './body.js';
import { editLockChecked } from './lock-edit.js';
import { slug } from './promote.js';
import type { Outcome, Session } from './session.js';

export interface RevertInput {
  module: string;
  ring: string;
  /** A version the ring pinned before; default: the previous distinct version. */
  to?: string;
  reason: string;
}

export type RevertResult =
  | { status: 'refused'; ring: string; errors: Finding[] }
  | ({
      ring: string;
      module: string;
      from: string;
      to: string;
      since: string;
      title: string;
      body: string;
    } & Outcome);

export const ROLLBACK_MARKER = '<!-- ringlock:rollback -->';

export async function revert(s: Session, input: RevertInput): Promise<RevertResult> {
  const ring = s.ring(input.ring, '--ring');
  const current = await s.lock(ring.name);
  const now = current.lock.modules[input.module];
  if (!now)
    throw new InputError('revert/not-pinned', `ring ${ring.name} does not pin ${input.module} on ${s.base}`, {
      file: current.file,
      expected: `a module of ${ring.name}: ${Object.keys(current.lock.modules).slice(0, 20).join(', ')}`,
    });
  if (input.to === now.version)
    throw new InputError(
      'revert/same-version',
      `ring ${ring.name} already pins ${input.module} ${now.version}`,
      {
        expected: 'an earlier version to go back to',
      },
    );
  const earlier = await findEarlierPin({
    repoDir: s.repo.top,
    ref: s.baseCommit,
    lockPath: current.file,
    module: input.module,
    // The previous *lower* version: after a rollback was merged, running revert again must not bring the bad one back.
    wanted: (e) =>
      input.to === undefined ? compareVersions(e.version, now.version) < 0 : e.version === input.to,
  });
  if (!earlier)
    throw new InputError(
      'revert/no-earlier-pin',
      input.to === undefined
        ? `the history of ${current.file} on ${s.base} holds no version of ${input.module} lower than ${now.version}`
        : `ring ${ring.name} never pinned ${input.module} ${input.to} on ${s.base}`,
      { expected: `a version ${ring.name} pinned before (see git log -p ${current.file})` },
    );
  const back = earlier.entry;
  const result = { ...current.lock, modules: { ...current.lock.modules, [input.module]: back } };
  const errors = [
    ...compatFindings(ring.name, result, new Set([input.module])),
    ...[prereleaseFinding(ring, input.module, back)].filter((f): f is Finding => f !== undefined),
  ];
  // Dependents that need the newer version are what the reviewer must see; refuse rather than break the ring.
  if (errors.length > 0) return { status: 'refused', ring: ring.name, errors };

  const since = `${new Date(earlier.time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const title = `revert ${input.module} ${now.version} → ${back.version} in ${ring.name}`;
  const undone = await undoneChangelog(s, back.source ?? now.source, back.version, now.version);
  const dependents = Object.entries(result.modules)
    .filter(([, e]) => e.dependencies?.[input.module] !== undefined)
    .map(
      ([n, e]) =>
        `\`${n}\` needs \`${e.dependencies![input.module]}\` ${satisfies(back.version, e.dependencies![input.module]!) ? '✓' : '✗'}`,
    );
  const body = [
    ROLLBACK_MARKER,
    `## Roll back \`${input.module}\` in \`${ring.name}\``,
    '',
    `**Reason:** ${input.reason}`,
    '',
    '| module | now | after merge | integrity | pinned in this ring at |',
    '| --- | --- | --- | --- | --- |',
    `| \`${input.module}\` | ${now.version} | **${back.version}** | ${back.integrity ? `\`${back.integrity.slice(0, 20)}…\`` : '—'} | ${since} (\`${earlier.commit.slice(0, 7)}\`) |`,
    '',
    '### What this undoes',
    '',
    undone ?? '_No changelog found for these versions._',
    '',
    ...(dependents.length
      ? ['### Modules that depend on it', '', ...dependents.map((d) => `- ${d}`), '']
      : []),
    '### When this merges',
    '',
    `The \`${ring.name}\` daemon runs a **${kindOf({ before: now, after: back })}** of \`${input.module}\` ${now.version} → ${back.version}: ${
      back.artifact
        ? `fetch \`${back.artifact}\`${back.artifact_size !== undefined ? ` (${formatBytes(back.artifact_size)})` : ''}`
        : 'fetch its artifact'
    } (or take it from its store when it ran there before), run its \`onDowngrade\` hook if it has one, switch, health-check.`,
    '',
    '<sub>Opened by `ringlock revert`. The pull-request check accepts a version going down in a pull request labelled `ringlock:rollback`.</sub>',
  ].join('\n');
  const message = `${title}\n\n${input.reason}\n\nRinglock-Rollback: ${input.module}@${back.version} ${ring.name} (from ${now.version})\n`;
  const outcome = await s.publish({
    branch: `ringlock/revert/${ring.name}/${slug(input.module)}-${back.version}`,
    files: new Map([
      [
        current.file,
        editLockChecked(
          current.file,
          ring.name,
          current.text,
          new Map([[input.module, back]]),
          result.modules,
        ),
      ],
    ]),
    message,
    title,
    body,
    labels: ['ringlock:rollback', `ring:${ring.name}`],
    reviewers: ring.reviewers,
  });
  return {
    ring: ring.name,
    module: input.module,
    from: now.version,
    to: back.version,
    since,
    title,
    body,
    ...outcome,
  };
}

async function undoneChangelog(
  s: Session,
  dir: string | undefined,
  back: string,
  now: string,
): Promise<string | undefined> {
  if (!dir) return undefined;
  const text = await s.read(s.path(`${dir}/CHANGELOG.md`));
  if (text === undefined) return undefined;
  const sections = changelogBetween(text, back, now);
  if (sections.length === 0) return undefined;
  return sections.map((x) => `#### ${x.version}${x.date ? ` — ${x.date}` : ''}\n\n${x.body}`).join('\n\n');
}
