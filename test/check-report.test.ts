// How a check report is shown: GitHub's workflow-command escaping, safe Markdown, and the size bounds.
import { describe, expect, it } from 'vitest';
import {
  annotations,
  code,
  escapeData,
  escapeProperty,
  md,
  renderMarkdown,
  workflowCommand,
} from '../src/check/report.js';
import type { CheckFinding, CheckReport } from '../src/check/types.js';

function report(findings: CheckFinding[], changes = 0): CheckReport {
  return {
    ok: !findings.some((f) => f.severity === 'error'),
    base: 'a'.repeat(40),
    head: 'b'.repeat(40),
    overrides: {},
    findings,
    plans: [
      {
        ring: 'canary',
        lockFile: 'rings/canary.lock.json',
        changes: Array.from({ length: changes }, (_, i) => ({
          module: `m${i}`,
          action: 'install' as const,
          to: '1.0.0',
        })),
      },
    ],
    rules: [{ id: 'RL002', name: 'version bump', outcome: 'fail', errors: findings.length, warnings: 0 }],
    notes: [],
    stats: {
      changedFiles: 1,
      relevantFiles: 1,
      locksRead: 1,
      manifestsRead: 0,
      treesHashed: 0,
      historyWalks: 0,
    },
  };
}

const finding = (i: number, severity: 'error' | 'warning' = 'error'): CheckFinding => ({
  rule: 'RL002',
  severity,
  module: `m${i}`,
  file: 'modules/m/module.json',
  line: 3,
  column: 14,
  message: `finding ${i} ${'x'.repeat(200)}`,
});

describe('workflow commands', () => {
  it("escapes data and properties by GitHub's rules", () => {
    expect(escapeData('50% done\r\nnext')).toBe('50%25 done%0D%0Anext');
    expect(escapeProperty('a,b:c%\n')).toBe('a%2Cb%3Ac%25%0A');
    expect(
      workflowCommand(
        'error',
        { file: 'rings/a,b.json', line: 3, col: 4, title: 'RL001' },
        'bad: x\n::set-output',
      ),
    ).toBe('::error file=rings/a%2Cb.json,line=3,col=4,title=RL001::bad: x%0A::set-output\n');
  });

  it('annotates at most 10 errors and 10 warnings, and says how many more the summary has', () => {
    const r = report([
      ...Array.from({ length: 13 }, (_, i) => finding(i)),
      ...Array.from({ length: 11 }, (_, i) => finding(i, 'warning')),
    ]);
    const { text, rest } = annotations(r);
    const lines = text.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('::error '))).toHaveLength(10);
    expect(lines.filter((l) => l.startsWith('::warning '))).toHaveLength(10);
    expect(rest).toBe(4);
    expect(lines.at(-1)).toMatch(/^::notice title=ringlock check::4 more finding/);
  });
});

describe('Markdown', () => {
  it('never mentions, links or breaks a table', () => {
    expect(md('@acme/team <img src=x> a|b *c* [l](u)')).toBe(
      '@&#8203;acme/team &lt;img src=x&gt; a\\|b \\*c\\* \\[l\\](u)',
    );
    expect(code('@acme/analytics')).toBe('`@acme/analytics`');
    expect(code('a`b')).toBe('a\\`b');
  });

  it('stays within the size limit and counts what it leaves out', () => {
    const r = report(
      Array.from({ length: 3000 }, (_, i) => finding(i)),
      5000,
    );
    const out = renderMarkdown(r, 65_000);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(65_000);
    expect(out).toMatch(/_\d+ more finding\(s\) not shown/);
    expect(out).toContain('### Rules');
    const big = renderMarkdown(r);
    expect(Buffer.byteLength(big)).toBeLessThanOrEqual(1_000_000);
  });
});
