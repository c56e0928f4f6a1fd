// A plan for people: a table of the actions and a summary line (the data and `--json` form are in plan/format.ts).
import { publishHint, summaryLine } from '../plan/format.js';
import type { ActionKind, Plan, PlanAction } from '../plan/types.js';
import { type Io, paint, type Style, table } from './output.js';

export interface FormatPlanOptions {
  /** List unchanged modules too instead of counting them. */
  verbose?: boolean;
}

const STYLE: Record<ActionKind, Style> = {
  install: 'green',
  upgrade: 'green',
  rollback: 'yellow',
  reinstall: 'yellow',
  remove: 'red',
  disable: 'yellow',
  enable: 'green',
  blocked: 'red',
  noop: 'dim',
};

function detail(a: PlanAction, io: Pick<Io, 'color'>): string {
  const hint = a.needsPublish ? `${paint(io, 'yellow', 'needs publish')}: ${publishHint(a)}` : undefined;
  return [hint, a.reason, ...(a.notes ?? [])].filter((x) => x !== undefined).join('; ');
}

export function formatPlan(plan: Plan, io: Pick<Io, 'color'>, opts: FormatPlanOptions = {}): string {
  let out = `Plan for ring ${plan.ring} (platform ${plan.platform})\n`;
  for (const w of plan.warnings ?? []) out += `${paint(io, 'yellow', 'warning')}: ${w}\n`;
  const shown = opts.verbose ? plan.actions : plan.actions.filter((a) => a.kind !== 'noop');
  const hidden = plan.actions.length - shown.length;
  if (shown.length > 0) {
    const rows = shown.map((a) => [
      a.module,
      paint(io, STYLE[a.kind], a.kind),
      a.from ?? '-',
      a.to ?? '-',
      a.kind === 'noop' && detail(a, io) !== '' ? paint(io, 'dim', detail(a, io)) : detail(a, io),
    ]);
    out += table(['MODULE', 'ACTION', 'FROM', 'TO', 'DETAIL'], rows, io);
  }
  if (hidden > 0)
    out += `${paint(io, 'dim', `${hidden} unchanged module${hidden === 1 ? '' : 's'} not listed (--verbose lists them)`)}\n`;
  out += `${summaryLine(plan)}\n`;
  return out;
}
