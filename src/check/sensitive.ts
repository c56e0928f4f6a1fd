// RL012: the keys of ringlock.yaml that decide where ringlock's credentials go and what runs with its environment
// (registry, forge, notifications, health URLs and commands, schedule, state, target, and any key naming a URL, a
// command or an environment variable). A change to any of them is a change to the platform's trust, not to its
// modules: it fails unless an explicit override says the platform's owners reviewed it. Pure functions.
import { escapePointer, type SourceDoc } from '../model/source.js';
import { RULE } from '../rules/promotion.js';
import type { CheckFinding, SensitiveChange } from './types.js';

export const LABEL_SENSITIVE = 'ringlock:sensitive';

/** Whole sections (every key under them) that are security-relevant. */
const SECTIONS: readonly (readonly string[])[] = [
  ['registry'],
  ['promotion', 'github'],
  ['promotion', 'remote'],
  ['notifications'],
  ['health', 'url'],
  ['health', 'baseUrl'],
  ['health', 'command'],
  ['schedule'],
  ['state'],
  ['target'],
];

/** A key anywhere whose name is or ends in one of these (tokenEnv, secretEnv, env, baseUrl, command, …). */
const SENSITIVE_NAME = /(?:url|uri|command|env|hosts?)$/i;

type Segment = string | number;

/** Whether the value at `path` (keys from the top of ringlock.yaml) is security-relevant. */
export function isSensitive(path: readonly Segment[]): boolean {
  if (SECTIONS.some((s) => s.every((seg, i) => path[i] === seg))) return true;
  return path.some((seg) => typeof seg === 'string' && SENSITIVE_NAME.test(seg));
}

/** `registry.url`, `notifications.webhooks[0].url`. */
export function keyName(path: readonly Segment[]): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s === '' ? seg : `.${seg}`;
  return s;
}

const MAX_SHOWN = 200;

/** A value as shown before/after: JSON (strings quoted), shortened; the caller neutralises it for its output. */
export function showValue(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  const s = JSON.stringify(v) ?? String(v);
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s;
}

type Kind = 'object' | 'array' | 'scalar' | 'missing';
const kindOf = (v: unknown): Kind =>
  v === undefined
    ? 'missing'
    : Array.isArray(v)
      ? 'array'
      : typeof v === 'object' && v !== null
        ? 'object'
        : 'scalar';

function children(v: unknown): Segment[] {
  if (Array.isArray(v)) return v.map((_, i) => i);
  if (typeof v === 'object' && v !== null) return Object.keys(v);
  return [];
}

function child(v: unknown, seg: Segment): unknown {
  if (Array.isArray(v)) return typeof seg === 'number' ? v[seg] : undefined;
  if (typeof v === 'object' && v !== null && Object.hasOwn(v, seg))
    return (v as Record<string, unknown>)[seg as string];
  return undefined;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ka = kindOf(a);
  if (ka !== kindOf(b) || ka === 'scalar' || ka === 'missing') return false;
  const ca = children(a);
  const cb = children(b);
  if (ca.length !== cb.length) return false;
  return ca.every(
    (k) => (ka === 'object' ? Object.hasOwn(b as object, k) : true) && equal(child(a, k), child(b, k)),
  );
}

/** Every security-relevant key added, removed or changed between two values of ringlock.yaml, leaf by leaf. */
export function sensitiveDiff(
  base: unknown,
  head: unknown,
): { path: Segment[]; change: SensitiveChange['change']; before?: unknown; after?: unknown }[] {
  const out: ReturnType<typeof sensitiveDiff> = [];
  const walk = (path: Segment[], a: unknown, b: unknown): void => {
    if (equal(a, b)) return;
    const ka = kindOf(a);
    const kb = kindOf(b);
    const container = (k: Kind) => k === 'object' || k === 'array';
    // Same shape on both sides (or one side absent): look at the keys inside, so each changed key is named.
    const descend =
      (container(ka) || ka === 'missing') &&
      (container(kb) || kb === 'missing') &&
      (ka === kb || ka === 'missing' || kb === 'missing');
    const keys = descend ? [...new Set([...children(a), ...children(b)])] : [];
    if (descend && keys.length > 0) {
      for (const k of keys) walk([...path, k], child(a, k), child(b, k));
      return;
    }
    if (isSensitive(path)) {
      out.push({
        path,
        change: ka === 'missing' ? 'added' : kb === 'missing' ? 'removed' : 'changed',
        ...(ka === 'missing' ? {} : { before: a }),
        ...(kb === 'missing' ? {} : { after: b }),
      });
      return;
    }
    // A plain key whose value changed shape may hold security-relevant keys on either side.
    for (const k of children(a)) walk([...path, k], child(a, k), undefined);
    for (const k of children(b)) walk([...path, k], undefined, child(b, k));
  };
  walk([], base, head);
  return out;
}

/** The deepest ancestor of `path` (itself included) that exists in `value`. */
function existingPrefix(value: unknown, path: readonly Segment[]): Segment[] {
  const found: Segment[] = [];
  let v = value;
  for (const seg of path) {
    const next = child(v, seg);
    if (next === undefined) break;
    found.push(seg);
    v = next;
  }
  return found;
}

const pointerOf = (path: readonly Segment[]) => path.map((s) => `/${escapePointer(s)}`).join('');

/**
 * RL012 over a change to ringlock.yaml: one finding per security-relevant key, at that key's line in the head file
 * (a removed key: at the nearest enclosing key still there, else the first line), and the before/after of each.
 * `override` says why the change is allowed (a label, --allow): the findings are then warnings that call it out.
 */
export function sensitiveFindings(
  file: string,
  base: unknown,
  head: SourceDoc,
  override: string | undefined,
): { findings: CheckFinding[]; changes: SensitiveChange[] } {
  const findings: CheckFinding[] = [];
  const changes: SensitiveChange[] = [];
  for (const d of sensitiveDiff(base, head.value)) {
    const at = d.change === 'removed' ? existingPrefix(head.value, d.path) : d.path;
    const pos = at.length === 0 ? { line: 1, column: 1 } : head.locate(pointerOf(at), 'key');
    const key = keyName(d.path);
    const before = showValue(d.before);
    const after = showValue(d.after);
    changes.push({
      key,
      pointer: pointerOf(d.path),
      change: d.change,
      ...(before !== undefined ? { before } : {}),
      ...(after !== undefined ? { after } : {}),
      file,
      line: pos.line,
    });
    const what =
      d.change === 'added'
        ? `adds ${key}: ${after}`
        : d.change === 'removed'
          ? `removes ${key} (was ${before})`
          : `changes ${key}: ${before} → ${after}`;
    findings.push({
      rule: RULE.sensitive,
      severity: override ? 'warning' : 'error',
      file,
      line: pos.line,
      column: pos.column,
      pointer: pointerOf(d.path),
      ...(override ? { overriddenBy: 'sensitive' as const } : {}),
      message: override
        ? `this change ${what} (allowed: ${override})`
        : `this change ${what}: ${key} decides where ringlock sends credentials or what it runs with its environment`,
      ...(override
        ? {}
        : {
            expected: `a review by the platform's owners, then the label ${LABEL_SENSITIVE} on the pull request (or ringlock check --allow sensitive)`,
          }),
    });
  }
  return { findings, changes };
}
