// The check's report: overrides applied to findings, findings placed at file:line, and one outcome per rule.
import { RULE, type RuleId } from '../rules/promotion.js';
import type { CheckContext } from './context.js';
import { RULE_NAMES } from './rules.js';
import type { CheckReport, RingPlan, RuleResult } from './types.js';

export function summarise(
  ctx: CheckContext,
  plans: RingPlan[],
  lockFile?: (ring: string) => string,
): CheckReport {
  const findings = ctx.findings.map((f) => {
    let out = f;
    if (ctx.hotfix && f.severity === 'error' && (f.rule === RULE.promotionOrder || f.rule === RULE.soak)) {
      out = {
        ...f,
        severity: 'warning',
        overriddenBy: 'hotfix',
        message: `${f.message} (overridden: hotfix, ${ctx.hotfix})`,
      };
    }
    const file = out.file ?? (out.ring !== undefined && lockFile ? lockFile(out.ring) : undefined);
    if (!file) return out;
    const doc = ctx.docs.get(file);
    if (out.line !== undefined || !doc || out.pointer === undefined) return { ...out, file };
    const pos = doc.locate(out.pointer);
    return { ...out, file, line: pos.line, column: pos.column };
  });
  const rules: RuleResult[] = (Object.keys(RULE_NAMES) as RuleId[]).map((id) => {
    const errors = findings.filter((f) => f.rule === id && f.severity === 'error').length;
    const warnings = findings.filter((f) => f.rule === id && f.severity === 'warning').length;
    const ran = ctx.ran.has(id) || errors + warnings > 0;
    return {
      id,
      name: RULE_NAMES[id],
      outcome: !ran ? 'skipped' : errors > 0 ? 'fail' : warnings > 0 ? 'warn' : 'pass',
      errors,
      warnings,
      ...(!ran ? { note: 'nothing it covers changed' } : {}),
    };
  });
  const overrides: CheckReport['overrides'] = {};
  if (ctx.hotfix) overrides.hotfix = ctx.hotfix;
  if (ctx.rollback) overrides.rollback = ctx.rollback;
  if (ctx.sensitiveOverride) overrides.sensitive = ctx.sensitiveOverride;
  return {
    ok: !findings.some((f) => f.severity === 'error'),
    base: ctx.base,
    head: ctx.head,
    overrides,
    findings,
    plans,
    rules,
    sensitive: ctx.sensitive,
    notes: ctx.notes,
    stats: ctx.stats,
  };
}
