// How a check report is shown: Markdown for the job summary and the pull-request comment (bounded in size), GitHub
// workflow commands for annotations (bounded in count), and plain text for a terminal. Pure functions.
import { formatPosition } from '../errors.js';
import { code, controls, escapeData, escapeProperty, inline, md } from './neutralise.js';
import { RULE_NAMES } from './rules.js';
import type { CheckFinding, CheckReport, RingChange, RingPlan } from './types.js';

/** GitHub shows at most this many annotations of each kind per step; the rest go to the summary. */
export const MAX_ANNOTATIONS = 10;
/** GitHub refuses a step summary over 1 MiB; stay clear of it. */
export const SUMMARY_MAX_BYTES = 1_000_000;
/** GitHub's comment body limit is 65,536 characters. */
export const COMMENT_MAX_CHARS = 65_000;

const ACTION_ICON: Record<RingChange['action'], string> = {
  install: '➕ install',
  upgrade: '⬆️ upgrade',
  rollback: '⏪ rollback',
  remove: '🗑️ remove',
  reinstall: '🔁 reinstall',
  update: '📝 update',
};

// ---------- workflow commands ----------

export { code, escapeData, escapeProperty, md };

export function workflowCommand(
  kind: 'error' | 'warning' | 'notice',
  props: Record<string, string | number | undefined>,
  message: string,
): string {
  const p = Object.entries(props)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  return `::${kind}${p ? ` ${p}` : ''}::${escapeData(message)}\n`;
}

/** Annotations for the first MAX_ANNOTATIONS errors and warnings; `rest` counts what only the summary shows. */
export function annotations(report: CheckReport): {
  text: string;
  annotated: Set<CheckFinding>;
  rest: number;
} {
  const annotated = new Set<CheckFinding>();
  let text = '';
  for (const severity of ['error', 'warning'] as const) {
    for (const f of report.findings.filter((x) => x.severity === severity).slice(0, MAX_ANNOTATIONS)) {
      annotated.add(f);
      // Line breaks inside the repository's text are shown as escapes; the one before "expected" is ringlock's.
      const message = f.expected
        ? `${controls(f.message)}\nexpected: ${controls(f.expected)}`
        : controls(f.message);
      text += workflowCommand(
        severity,
        {
          file: f.file,
          line: f.file ? f.line : undefined,
          col: f.file ? f.column : undefined,
          title: f.rule,
        },
        message,
      );
    }
  }
  const rest = report.findings.length - annotated.size;
  if (rest > 0) {
    text += workflowCommand(
      'notice',
      { title: 'ringlock check' },
      `${rest} more finding(s) than GitHub annotates per step: every finding is in the job summary`,
    );
  }
  return { text, annotated, rest };
}

// ---------- Markdown ----------

function headline(report: CheckReport): string {
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.length - errors;
  const w = `${warnings} warning${warnings === 1 ? '' : 's'}`;
  if (errors > 0) return `❌ ${errors} error${errors === 1 ? '' : 's'}${warnings ? `, ${w}` : ''}`;
  return warnings > 0 ? `⚠️ passed with ${w}` : '✅ passed';
}

function where(f: CheckFinding): string {
  const pos = formatPosition({ file: f.file ?? '', line: f.line, column: f.column });
  return pos ? code(pos) : f.ring ? `ring ${code(f.ring)}` : '';
}

function findingRow(f: CheckFinding): string {
  const icon = f.severity === 'error' ? '❌' : '⚠️';
  const msg = md(f.message) + (f.expected ? `<br>**fix:** ${md(f.expected)}` : '');
  return `| ${icon} | ${f.rule} ${md(RULE_NAMES[f.rule])} | ${where(f)} | ${msg} |\n`;
}

function planRows(plan: RingPlan): string[] {
  return plan.changes.map((c) => {
    const detail = c.fields?.length ? ` (${c.fields.map(code).join(', ')})` : '';
    return `| ${code(c.module)} | ${ACTION_ICON[c.action]}${detail} | ${c.from ? code(c.from) : '—'} | ${c.to ? code(c.to) : '—'} |\n`;
  });
}

/**
 * The report as Markdown, at most `maxBytes` (UTF-8): what merging does per ring, every finding, each rule's result.
 * When it would be larger, the findings and plan rows that do not fit are counted instead of shown.
 */
export function renderMarkdown(report: CheckReport, maxBytes: number = SUMMARY_MAX_BYTES): string {
  let top = `## ringlock check: ${headline(report)}\n\n`;
  if (report.overrides.hotfix)
    top += `> [!WARNING]\n> **Hotfix override** (${md(report.overrides.hotfix)}): promotion-order (RL005) and soak (RL006) errors are reported as warnings.\n\n`;
  if (report.overrides.rollback && report.findings.some((f) => f.overriddenBy === 'rollback'))
    top += `> [!IMPORTANT]\n> **Rollback** (${md(report.overrides.rollback)}): this change takes ring(s) back to older versions — see ⏪ below.\n\n`;
  if (report.overrides.sensitive && report.sensitive?.length)
    top += `> [!CAUTION]\n> **Sensitive configuration override** (${md(report.overrides.sensitive)}): the changes to where credentials go and what runs (RL012) below are allowed.\n\n`;
  top += `Base ${code(report.base.slice(0, 12))} → head ${code(report.head.slice(0, 12))} · ${report.stats.changedFiles} file(s) changed, ${report.stats.relevantFiles} for ringlock\n\n`;
  for (const n of report.notes) top += `> ${md(n)}\n\n`;

  let rules = '### Rules\n\n| rule | result |\n| --- | --- |\n';
  for (const r of report.rules) {
    const icon = { pass: '✅ pass', fail: '❌ fail', warn: '⚠️ warning', skipped: '➖ skipped' }[r.outcome];
    const counts =
      r.errors + r.warnings > 0
        ? ` (${[r.errors ? `${r.errors} error(s)` : '', r.warnings ? `${r.warnings} warning(s)` : ''].filter(Boolean).join(', ')})`
        : '';
    rules += `| ${r.id} ${md(r.name)} | ${icon}${counts}${r.note ? ` — ${md(r.note)}` : ''} |\n`;
  }
  rules += '\n';

  const sections: { head: string; rows: string[]; empty: string; what: string }[] = [];
  if (report.sensitive?.length)
    sections.push({
      head: '### Sensitive configuration (RL012)\n\nKeys of ringlock.yaml that decide where credentials go and what runs:\n\n| key | change | before | after |\n| --- | --- | --- | --- |\n',
      rows: report.sensitive.map(
        (c) =>
          `| ${code(c.key)} ${code(`${c.file}:${c.line}`)} | ${c.change} | ${c.before === undefined ? '—' : code(c.before)} | ${c.after === undefined ? '—' : code(c.after)} |\n`,
      ),
      empty: '',
      what: 'sensitive key(s)',
    });
  sections.push({
    head: '### Findings\n\n|   | rule | where | message |\n| --- | --- | --- | --- |\n',
    rows: [
      ...report.findings.filter((f) => f.severity === 'error'),
      ...report.findings.filter((f) => f.severity === 'warning'),
    ].map(findingRow),
    empty: '### Findings\n\nNone.\n\n',
    what: 'finding(s)',
  });
  const planHead = '### What merging does\n\n';
  if (report.plans.length === 0)
    sections.push({ head: planHead, rows: [], empty: `${planHead}No ring lock changes.\n\n`, what: '' });
  for (const plan of report.plans) {
    let h = `#### Ring ${code(plan.ring)} (${code(plan.lockFile)})${plan.created ? ' — new lock' : ''}${plan.deleted ? ' — lock deleted' : ''}\n\n`;
    if (plan.platform)
      h += `Platform ${code(plan.platform.from ?? '—')} → ${code(plan.platform.to ?? '—')}\n\n`;
    if (plan === report.plans[0]) h = planHead + h;
    sections.push({
      head: `${h}| module | action | from | to |\n| --- | --- | --- | --- |\n`,
      rows: planRows(plan),
      empty: plan.changes.length === 0 ? `${h}No module changes.\n\n` : h,
      what: `change(s) in ring ${plan.ring}`,
    });
  }
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
  const footer = rules;
  let budget = maxBytes - bytes(top) - bytes(footer) - 200 * (sections.length + 1);
  let body = '';
  for (const s of sections) {
    if (s.rows.length === 0) {
      body += s.empty;
      budget -= bytes(s.empty);
      continue;
    }
    let part = s.head;
    let shown = 0;
    for (const row of s.rows) {
      if (bytes(part) + bytes(row) > budget) break;
      part += row;
      shown++;
    }
    if (shown < s.rows.length)
      part += `\n_${s.rows.length - shown} more ${s.what} not shown: the summary is limited in size (ringlock check --json lists everything)._\n`;
    part += '\n';
    body += part;
    budget -= bytes(part);
  }
  return top + body + footer;
}

// ---------- plain text ----------

export function renderText(
  report: CheckReport,
  paint: (style: 'red' | 'yellow' | 'green' | 'gray' | 'bold', s: string) => string,
): string {
  // Everything from the repository is one inert line: it may be printed in a CI log that runs workflow commands.
  const t = inline;
  let s = `ringlock check: ${report.base.slice(0, 12)} → ${report.head.slice(0, 12)} (${report.stats.changedFiles} file(s) changed, ${report.stats.relevantFiles} for ringlock)\n`;
  if (report.overrides.hotfix)
    s += paint(
      'yellow',
      `hotfix override (${t(report.overrides.hotfix)}): promotion-order and soak errors are reported as warnings\n`,
    );
  for (const n of report.notes) s += `note: ${t(n)}\n`;
  if (report.sensitive?.length) {
    s += `\n${paint('bold', 'sensitive configuration (RL012)')}${report.overrides.sensitive ? ` — allowed: ${t(report.overrides.sensitive)}` : ''}\n`;
    for (const c of report.sensitive)
      s += `  ${c.change.padEnd(8)} ${t(c.key)} (${t(c.file)}:${c.line}): ${t(c.before ?? '(none)')} → ${t(c.after ?? '(none)')}\n`;
  }
  for (const plan of report.plans) {
    s += `\n${paint('bold', `ring ${t(plan.ring)}`)} (${t(plan.lockFile)})${plan.created ? ' new lock' : ''}${plan.deleted ? ' lock deleted' : ''}\n`;
    if (plan.platform) s += `  platform ${t(plan.platform.from ?? '-')} → ${t(plan.platform.to ?? '-')}\n`;
    for (const c of plan.changes) {
      const ver = c.from && c.to && c.from !== c.to ? `${c.from} → ${c.to}` : (c.to ?? c.from ?? '');
      s += `  ${c.action.padEnd(9)} ${t(c.module)} ${t(ver)}${c.fields?.length ? ` (${t(c.fields.join(', '))})` : ''}\n`;
    }
  }
  if (report.findings.length > 0) s += '\n';
  for (const f of report.findings) {
    const pos = formatPosition({ file: f.file ?? '', line: f.line, column: f.column });
    const sev = f.severity === 'error' ? paint('red', 'error') : paint('yellow', 'warning');
    s += `${sev}${pos ? ` ${t(pos)}:` : f.ring ? ` ring ${t(f.ring)}:` : ':'} ${t(f.message)} ${paint('gray', `[${f.rule}]`)}\n`;
    if (f.expected) s += `  expected: ${t(f.expected)}\n`;
    if (f.chain?.length) s += `  chain: ${t(f.chain.join(' → '))}\n`;
  }
  s += `\nrules: ${report.rules.map((r) => `${r.id} ${r.outcome}`).join(' · ')}\n`;
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.length - errors;
  s +=
    errors > 0
      ? paint('red', `✗ ${errors} error(s)${warnings ? `, ${warnings} warning(s)` : ''}\n`)
      : paint('green', warnings ? `✓ passed with ${warnings} warning(s)\n` : '✓ passed\n');
  return s;
}
