// Checks that JSON Schema cannot express: semver ranges that parse, names that fold together.
import semver from 'semver';
import type { Diagnostic } from '../errors.js';
import type { SourceDoc } from './source.js';

/** A node-semver range, minus the forms node-semver reads as "any version" that are almost always typos:
 * a blank range, a blank `||` alternative, or a comparison with a bare wildcard (`>=x`). `*` is accepted. */
export function validRange(range: string): boolean {
  if (range.trim() === '') return false;
  if (range.split('||').some((alt) => alt.trim() === '')) return false;
  if (/(?:[<>]=?|=|~|\^)\s*[xX*](?![.\w])/.test(range)) return false;
  return semver.validRange(range, { loose: false }) !== null;
}

export function satisfies(version: string, range: string): boolean {
  return semver.satisfies(version, range, { includePrerelease: true });
}

export function isPrerelease(version: string): boolean {
  return (semver.prerelease(version)?.length ?? 0) > 0;
}

export function compareVersions(a: string, b: string): number {
  return semver.compare(a, b);
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
      const ptr = `${pointer}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
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
