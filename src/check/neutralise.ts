// Text from the repository (file paths, module and ring names, versions, messages quoting them) made harmless before it
// leaves ringlock: on stdout/stderr, where GitHub Actions reads workflow commands (`::cmd::` at a line's start after
// spaces, and the older `##[cmd]` anywhere in a line), and in Markdown for the job summary and the pull-request comment.
// Every string a pull request controls goes through one of these on its way out.

/**
 * Characters that never pass raw: C0 controls (CR and LF included), DEL, C1 controls (NEL among them), the Unicode
 * line and paragraph separators, and the invisible formatting characters that reorder or hide text (bidi overrides,
 * isolates and marks; zero-width spaces and joiners; the BOM).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** What JSON.stringify leaves raw inside strings (it escapes C0 itself; C0 outside strings is its own layout). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

const NAMED: Record<string, string> = { '\r': '\\r', '\n': '\\n', '\t': '\\t' };

/** A character shown as its escape: \r, \n, \t, \x1b, \u202e. */
function visible(c: string): string {
  const n = c.charCodeAt(0);
  return (
    NAMED[c] ??
    (n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`)
  );
}

/** Unsafe characters shown as escapes; nothing else changes. */
export function controls(s: string): string {
  return s.replace(UNSAFE, visible);
}

/**
 * One line of plain text for a terminal or a CI log: unsafe characters as escapes, and the sequences the Actions
 * runner takes for a workflow command broken (`::` → `:\:`, `##[` → `#\#[`), so no part of it can become a command.
 */
export function inline(s: string): string {
  return controls(s).replace(/::/g, ':\\:').replace(/##\[/g, '#\\#[');
}

/**
 * The report as JSON text, safe for a CI log: unsafe characters (those JSON.stringify leaves raw too) and the
 * command sequences written as \u escapes, which only occur inside strings, so the JSON parses to the same value.
 */
export function safeJson(text: string): string {
  return text
    .replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/::/g, ':\\u003a')
    .replace(/##\[/g, '#\\u0023[');
}

// ---------- workflow commands (GitHub's toolkit escaping, @actions/core command.ts) ----------

/**
 * The message part of a workflow command: `%`, CR and LF escaped; other unsafe characters shown as escapes, and the
 * runner's older `##[cmd]` form broken.
 */
export function escapeData(s: string): string {
  return s
    .replace(/%/g, '%25')
    .replace(/\r/g, '%0D')
    .replace(/\n/g, '%0A')
    .replace(UNSAFE, visible)
    .replace(/##\[/g, '#\\#[');
}

/** A property value of a workflow command: as data, plus ':' and ','. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

// ---------- Markdown (job summary, pull-request comment) ----------

/**
 * Text in Markdown: no HTML (`<`, `>`, `&` as entities), no emphasis, links, images or headings (their characters
 * backslash-escaped), no table breaks (`|`), no @mentions (a zero-width space after `@`); line breaks and other unsafe
 * characters as their escapes.
 */
export function md(s: string): string {
  return controls(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]#~])/g, '\\$1')
    .replace(/\|/g, '\\|')
    .replace(/@/g, '@&#8203;');
}

/** A code span (no HTML, mentions or emphasis apply inside one); escaped text when it cannot be one. */
export function code(s: string): string {
  if (s.includes('`') || s.trim() === '') return md(s);
  return `\`${controls(s).replace(/\|/g, '\\|')}\``;
}
