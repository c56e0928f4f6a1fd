// Freeze windows (ringlock.yaml promotion.freeze): a fixed window (from/until) or one that recurs at each time a
// 5-field cron expression names (UTC) and lasts `duration`. Pure: validation with positions, and "is it frozen now".
import type { Diagnostic } from '../errors.js';
import { parseDuration } from './duration.js';
import { diagAt } from './semantics.js';
import type { SourceDoc } from './source.js';

export interface FreezeConfig {
  rings?: string[];
  reason: string;
  from?: string;
  until?: string;
  cron?: string;
  duration?: string;
}

export interface ActiveFreeze {
  reason: string;
  /** When the window began and ends (ms since the epoch). */
  start: number;
  end: number;
  /** Index in promotion.freeze, for messages. */
  index: number;
}

const MAX_RECURRING_MS = 31 * 86_400_000;
const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;
const NAMES: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
  sun: 0,
  mon: 1,
  tue: 2,
  wed: 3,
  thu: 4,
  fri: 5,
  sat: 6,
};

export interface Cron {
  sets: Set<number>[];
  /** Day of month and day of week both restricted: cron matches either (Vixie cron's rule). */
  domOrDow: boolean;
}

/** Parses a 5-field cron expression; throws Error with a message naming the bad field. */
export function parseCron(expr: string): Cron {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`"${expr}" has ${parts.length} fields, not 5`);
  const sets = parts.map((part, i) => {
    const f = FIELDS[i]!;
    const set = new Set<number>();
    for (const item of part.split(',')) {
      const m = /^(\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:\/([0-9]+))?$/i.exec(item);
      if (!m) throw new Error(`${f.name} "${item}" is not a value, range, list or step`);
      const step = m[2] === undefined ? 1 : Number(m[2]);
      let lo: number = f.min;
      let hi: number = f.max;
      if (m[1] !== '*') {
        const [a, b] = m[1]!.split('-').map((v) => value(v, f.name));
        lo = a!;
        hi = b ?? (m[2] === undefined ? a! : f.max);
      }
      if (lo < f.min || hi > f.max || lo > hi || step < 1)
        throw new Error(`${f.name} "${item}" is outside ${f.min}-${f.max}`);
      for (let v = lo; v <= hi; v += step) set.add(i === 4 && v === 7 ? 0 : v);
    }
    return set;
  });
  return { sets, domOrDow: parts[2] !== '*' && parts[4] !== '*' };
}

function value(v: string, field: string): number {
  const n = /^[0-9]+$/.test(v) ? Number(v) : NAMES[v.toLowerCase()];
  if (n === undefined) throw new Error(`${field} "${v}" is not a number`);
  return n;
}

export function cronMatches(c: Cron, t: Date): boolean {
  const [min, hour, dom, mon, dow] = c.sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (!min.has(t.getUTCMinutes()) || !hour.has(t.getUTCHours()) || !mon.has(t.getUTCMonth() + 1))
    return false;
  const d = dom.has(t.getUTCDate());
  const w = dow.has(t.getUTCDay());
  return c.domOrDow ? d || w : d && w;
}

/** An ISO 8601 date (midnight UTC) or date-time; NaN when it is neither. */
export function parseInstant(s: string): number {
  if (/^\d{4}-\d\d-\d\d$/.test(s)) return Date.parse(`${s}T00:00:00Z`);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?$/.test(s)) return Number.NaN;
  return Date.parse(/(Z|[+-]\d\d:\d\d)$/.test(s) ? s : `${s}Z`);
}

/** Problems in promotion.freeze beyond the schema: which shape, valid dates and cron, known rings. */
export function freezeDiagnostics(doc: SourceDoc, freezes: FreezeConfig[], rings: string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  freezes.forEach((f, i) => {
    const at = `/promotion/freeze/${i}`;
    const add = (ptr: string, msg: string, expected: string) =>
      out.push(diagAt(doc, ptr, 'config/freeze', `${at}: ${msg}`, expected));
    const fixed = f.from !== undefined || f.until !== undefined;
    const recurring = f.cron !== undefined || f.duration !== undefined;
    if (fixed === recurring || (fixed && (f.from === undefined || f.until === undefined)))
      add(
        at,
        'a freeze is either from + until, or cron + duration',
        'from: 2026-12-20, until: 2027-01-04 — or cron: "0 15 * * 5", duration: 66h',
      );
    else if (recurring && (f.cron === undefined || f.duration === undefined))
      add(at, 'a recurring freeze needs both cron and duration', 'cron: "0 15 * * 5" and duration: 66h');
    if (f.from !== undefined && f.until !== undefined) {
      const a = parseInstant(f.from);
      const b = parseInstant(f.until);
      if (Number.isNaN(a))
        add(
          `${at}/from`,
          `"${f.from}" is not a date`,
          'an ISO 8601 date or date-time, e.g. 2026-12-20 or 2026-12-20T18:00:00Z',
        );
      if (Number.isNaN(b))
        add(`${at}/until`, `"${f.until}" is not a date`, 'an ISO 8601 date or date-time, e.g. 2027-01-04');
      if (!Number.isNaN(a) && !Number.isNaN(b) && b <= a)
        add(`${at}/until`, 'until is not after from', 'an end later than the start');
    }
    if (f.cron !== undefined) {
      try {
        parseCron(f.cron);
      } catch (e) {
        add(
          `${at}/cron`,
          (e as Error).message,
          'a 5-field cron expression (minute hour day-of-month month day-of-week), in UTC',
        );
      }
    }
    if (f.duration !== undefined) {
      const ms = parseDuration(f.duration);
      if (ms <= 0 || ms > MAX_RECURRING_MS)
        add(
          `${at}/duration`,
          `duration ${f.duration} is not between 1m and 31d`,
          'a duration such as 66h or 2d',
        );
    }
    (f.rings ?? []).forEach((r, j) => {
      if (!rings.includes(r)) add(`${at}/rings/${j}`, `unknown ring "${r}"`, `one of: ${rings.join(', ')}`);
    });
  });
  return out;
}

/** The freeze windows in force for `ring` at `now` (config already validated). */
export function activeFreezes(freezes: readonly FreezeConfig[], ring: string, now: number): ActiveFreeze[] {
  const out: ActiveFreeze[] = [];
  freezes.forEach((f, index) => {
    if (f.rings && !f.rings.includes(ring)) return;
    if (f.from !== undefined && f.until !== undefined) {
      const start = parseInstant(f.from);
      const end = parseInstant(f.until);
      if (now >= start && now < end) out.push({ reason: f.reason, start, end, index });
      return;
    }
    if (f.cron === undefined || f.duration === undefined) return;
    const cron = parseCron(f.cron);
    const len = parseDuration(f.duration);
    // The latest start within `duration` before now: walk back minute by minute (at most 31 days, 44,640 steps).
    const minute = Math.floor(now / 60_000) * 60_000;
    for (let t = minute; t > now - len; t -= 60_000) {
      if (cronMatches(cron, new Date(t))) {
        out.push({ reason: f.reason, start: t, end: t + len, index });
        return;
      }
    }
  });
  return out;
}
