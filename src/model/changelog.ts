// A module's changelog between two versions, for a promotion pull request's body and an operation's history record.
// Understands Keep a Changelog and release-please headings (`## [1.5.0] - 2026-04-08`, `## 1.5.0 (2026-04-08)`, `## v1.5.0`).
import semver from 'semver';

export interface ChangelogSection {
  version: string;
  date?: string;
  /** The section's text without its heading, trimmed. */
  body: string;
}

const HEADING =
  /^(#{1,3})\s+\[?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)\]?(?:\([^)]*\))?\s*(?:[-–—(]\s*(\d{4}-\d\d-\d\d))?/;

export function parseChangelog(text: string): ChangelogSection[] {
  const out: ChangelogSection[] = [];
  let level = 0;
  let current: { version: string; date?: string; lines: string[] } | undefined;
  const flush = () => {
    if (current)
      out.push({
        version: current.version,
        ...(current.date ? { date: current.date } : {}),
        body: current.lines.join('\n').trim(),
      });
  };
  for (const line of text.split(/\r?\n/)) {
    const m = HEADING.exec(line);
    if (m && semver.valid(m[2]!) && (level === 0 || m[1]!.length === level)) {
      flush();
      level = m[1]!.length;
      current = { version: m[2]!, ...(m[3] ? { date: m[3] } : {}), lines: [] };
      continue;
    }
    // A heading at or above the version level that is not a version ends the section (e.g. "## Unreleased").
    const h = /^(#{1,6})\s/.exec(line);
    if (h && level > 0 && h[1]!.length <= level) {
      flush();
      current = undefined;
      continue;
    }
    current?.lines.push(line);
  }
  flush();
  return out;
}

/** The sections after `from` up to and including `to`, newest first (a downgrade gets the sections it undoes). */
export function changelogBetween(text: string, from: string | undefined, to: string): ChangelogSection[] {
  const sections = parseChangelog(text);
  const [lo, hi] = from !== undefined && semver.valid(from) && semver.lt(to, from) ? [to, from] : [from, to];
  return sections
    .filter((s) => semver.lte(s.version, hi!) && (lo === undefined || semver.gt(s.version, lo)))
    .sort((a, b) => semver.rcompare(a.version, b.version));
}

/** At most this much of each section's body goes into a history record: an excerpt, not the file. */
const EXCERPT_BODY = 2000;
const EXCERPT_SECTIONS = 20;

/** The sections between two versions, bounded for an audit record (each body cut with an ellipsis, the oldest dropped). */
export function changelogExcerpt(text: string, from: string | undefined, to: string): ChangelogSection[] {
  return changelogBetween(text, from, to)
    .slice(0, EXCERPT_SECTIONS)
    .map((s) => (s.body.length > EXCERPT_BODY ? { ...s, body: `${s.body.slice(0, EXCERPT_BODY)}…` } : s));
}
