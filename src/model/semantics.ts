// Checks that JSON Schema cannot express: semver ranges that parse, names that fold together.
import semver from 'semver';
import type { Diagnostic } from '../errors.js';
import { escapePointer, type SourceDoc } from './source.js';

/** A node-semver range, minus the forms node-semver reads as "any version" that are almost always typos:
 * a blank range, a blank `||` alternative, or a comparison with a bare wildcard (`>=x`). `*` is accepted. */
export function validRange(range: string): boolean {
  if (range.trim() === '') return false;
  if (range.split('||').some((alt) => alt.trim() === '')) return false;
  if (/(?:[<>]=?|=|~|\^)\s*[xX*](?![.\w])/.test(range)) return false;
  return semver.validRange(range, { loose: false }) !== null;
}

/** The semver pattern of the schemas (schemas/defs.schema.json#/$defs/semver). */
export const SEMVER_RE =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export function isSemver(v: string): boolean {
  return SEMVER_RE.test(v) && semver.valid(v) !== null;
}

/**
 * Whether `version` satisfies `range`. A prerelease is matched as its release (2.1.0-rc.1 as 2.1.0), so a
 * release candidate of the next major does not slip under an upper bound (3.0.0-rc.1 fails <3.0.0) and a
 * candidate of a minor passes the caret range its release will pass (2.1.0-rc.1 satisfies ^2.0.0).
 */
export function satisfies(version: string, range: string): boolean {
  const v = semver.parse(version);
  if (!v) return false;
  return semver.satisfies(`${v.major}.${v.minor}.${v.patch}`, range);
}

export function isPrerelease(version: string): boolean {
  return (semver.prerelease(version)?.length ?? 0) > 0;
}

/** Semver order, build metadata included (1.2.1+b1 and 1.2.1+b2 are different versions to a lock). */
export function compareVersions(a: string, b: string): number {
  return semver.compareBuild(a, b);
}

/** A diagnostic located at `pointer` in `doc`. */
export function diagAt(
  doc: SourceDoc,
  pointer: string,
  rule: string,
  message: string,
  expected?: string,
  target: 'value' | 'key' = 'value',
  severity: Diagnostic['severity'] = 'error',
): Diagnostic {
  const p = doc.locate(pointer, target);
  return { severity, rule, message, expected, file: doc.file, line: p.line, column: p.column, pointer };
}

/** Range diagnostics for a `{name: range}` map at `pointer`. */
export function checkRanges(
  doc: SourceDoc,
  pointer: string,
  ranges: Record<string, string> | undefined,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [name, range] of Object.entries(ranges ?? {})) {
    if (!validRange(range)) {
      const ptr = `${pointer}/${escapePointer(name)}`;
      out.push(
        diagAt(
          doc,
          ptr,
          'semver/range',
          `${ptr}: invalid semver range ${JSON.stringify(range)}`,
          'a semver range like ^2.0.0, >=1.8.0 <3.0.0 or 1.x',
        ),
      );
    }
  }
  return out;
}
