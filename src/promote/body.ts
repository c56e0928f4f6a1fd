// What a reviewer reads: the title, the commit message and the pull request body of a promotion or a rollback.
// Pure: the plan, changelog sections and module facts in; markdown out.

import type { ChangelogSection } from '../model/changelog.js';
import { compareVersions } from '../model/semantics.js';
import type { LockEntry } from '../model/types.js';
import type { Finding } from '../rules/promotion.js';
import type { PinChange } from './plan.js';

/** A module fact the body mentions when it knows it: the lifecycle hooks of the version promoted. */
export interface ModuleFacts {
  hooks?: string[];
  changelog?: ChangelogSection[];
  /** Why the changelog is missing, when it is. */
  changelogNote?: string;
}

export type ChangeKind = 'install' | 'upgrade' | 'downgrade' | 'reinstall';

export function kindOf(c: { before?: LockEntry; after: LockEntry }): ChangeKind {
  if (!c.before) return 'install';
  const d = compareVersions(c.after.version, c.before.version);
  return d > 0 ? 'upgrade' : d < 0 ? 'downgrade' : 'reinstall';
}

const arrow = (c: { before?: LockEntry; after: LockEntry }) =>
  c.before ? `${c.before.version} → ${c.after.version}` : `${c.after.version} (new)`;

export function promotionTitle(to: string, changes: readonly PinChange[]): string {
  const [first] = changes;
  if (changes.length === 1 && first) return `promote ${first.module} ${arrow(first)} to ${to}`;
  const names = changes.map((c) => `${c.module} ${c.after.version}`);
  const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ', …' : '');
  return `promote ${changes.length} modules to ${to} (${shown})`;
}

export function trailer(from: string, to: string, changes: readonly PinChange[]): string {
  return changes.map((c) => `Ringlock-Promotion: ${c.module}@${c.after.version} ${from}->${to}`).join('\n');
}

export function promotionMessage(
  from: string,
  to: string,
  changes: readonly PinChange[],
  forced: boolean,
): string {
  const lines = changes.map(
    (c) => `- ${c.module} ${arrow(c)}${c.forDependency ? ` (needed by ${c.forDependency})` : ''}`,
  );
  return `${promotionTitle(to, changes)}\n\nCarries the pins of ring ${from} to ring ${to}:\n${lines.join('\n')}\n${
    forced ? '\nSoak time overridden with --force.\n' : ''
  }\n${trailer(from, to, changes)}\n`;
}

export interface BodyInput {
  from: string;
  to: string;
  platform: string;
  changes: readonly PinChange[];
  overridden: readonly Finding[];
  facts: ReadonlyMap<string, ModuleFacts>;
  /** The target ring's minimum soak, as written in ringlock.yaml. */
  minSoak?: string;
  /** The modules in the order the daemon will apply them. */
  order: readonly string[];
}

export const PROMOTION_MARKER = '<!-- ringlock:promotion -->';

export function promotionBody(b: BodyInput): string {
  const out: string[] = [PROMOTION_MARKER, `## Promote to \`${b.to}\` from \`${b.from}\``, ''];
  if (b.overridden.length > 0) {
    out.push(
      `> **⚠️ Soak time overridden with \`--force\`.** ${b.overridden.map((f) => f.message).join(' ')}`,
      '',
    );
  }
  out.push(
    // Absolute times only: the body must read the same on every rerun, or a scheduled run would edit every open PR.
    `| module | ${b.to} now | after merge | integrity | in ${b.from} since | soak needed |`,
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const c of b.changes) {
    const since = c.appeared
      ? `${c.appeared.atLeast ? 'before ' : ''}${isoMinute(c.appeared.time)} (\`${c.appeared.commit.slice(0, 7)}\`)`
      : 'not on the default branch yet';
    const soaked = b.minSoak ?? '—';
    out.push(
      `| \`${c.module}\`${c.forDependency ? ` (for \`${c.forDependency}\`)` : ''} | ${c.before?.version ?? '—'} | **${c.after.version}** | ${code(short(c.after.integrity))} | ${since} | ${soaked} |`,
    );
  }
  out.push('', '### Changelog', '');
  for (const c of b.changes) {
    const f = b.facts.get(c.module);
    out.push(`#### \`${c.module}\` ${arrow(c)}`, '');
    if (f?.changelog && f.changelog.length > 0) {
      for (const s of f.changelog)
        out.push(`##### ${s.version}${s.date ? ` — ${s.date}` : ''}`, '', s.body || '_(no entries)_', '');
    } else out.push(`_${f?.changelogNote ?? 'No changelog entries between these versions.'}_`, '');
  }
  out.push('### Compatibility', '', `Ring \`${b.to}\` runs platform **${b.platform}**.`, '');
  for (const c of b.changes) {
    const deps = Object.entries(c.after.dependencies ?? {});
    const platform = c.after.compatibility?.platform;
    out.push(
      `- \`${c.module}\` ${c.after.version}: platform ${platform ? `\`${platform}\`` : '(no constraint)'}${
        deps.length ? `; needs ${deps.map(([d, r]) => `\`${d}\` \`${r}\``).join(', ')}` : '; no dependencies'
      }`,
    );
  }
  out.push('', '### When this merges', '', `The \`${b.to}\` daemon applies, in dependency order:`, '');
  const byName = new Map(b.changes.map((c) => [c.module, c]));
  for (const name of b.order) {
    const c = byName.get(name);
    if (c) out.push(`- ${daemonStep(c, b.facts.get(name))}`);
  }
  out.push(
    '',
    'Each module is downloaded, checked against its integrity before anything is extracted, extracted safely, switched atomically and health-checked; a failed health check switches it back on its own and quarantines that version.',
    '',
    '<sub>Opened by `ringlock promote`. Running it again updates this pull request.</sub>',
  );
  return out.join('\n');
}

function daemonStep(c: PinChange, f: ModuleFacts | undefined): string {
  const kind = kindOf(c);
  const hook = {
    install: 'onInstall',
    upgrade: 'onUpgrade',
    downgrade: 'onDowngrade',
    reinstall: 'onInstall',
  }[kind];
  const runs = f?.hooks?.includes(hook) ? `, run its \`${hook}\` hook` : '';
  const size = c.after.artifact_size !== undefined ? ` (${formatBytes(c.after.artifact_size)})` : '';
  const artifact = c.after.artifact ? `fetch \`${c.after.artifact}\`${size}` : 'fetch its artifact';
  return `**${kind}** \`${c.module}\` ${arrow(c)}: ${artifact}${runs}, switch, health-check`;
}

function isoMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function short(integrity: string | undefined): string | undefined {
  return integrity === undefined ? undefined : `${integrity.slice(0, 20)}…`;
}

const code = (s: string | undefined) => (s === undefined ? '—' : `\`${s}\``);

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
