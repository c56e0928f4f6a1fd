// Text → text edits of a ring's lock that keep the file's formatting: only the lines of the values that change are
// touched, new keys go in sorted order, so a promotion's diff shows exactly what moves.
import { applyEdits, type FormattingOptions, modify, parseTree } from 'jsonc-parser';
import type { LockEntry } from '../model/types.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Indentation and line ending as the file has them (two spaces and \n when it cannot tell). */
function formatting(text: string): FormattingOptions {
  const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return indent.startsWith('\t')
    ? { insertSpaces: false, tabSize: 1, eol }
    : { insertSpaces: true, tabSize: indent.length, eol };
}

const sortedIndex = (key: string) => (props: string[]) => {
  const i = props.findIndex((p) => p > key);
  return i < 0 ? props.length : i;
};

function valueAt(text: string, path: string[]): Json | undefined {
  let node = parseTree(text);
  for (const seg of path) {
    const prop = node?.children?.find((c) => c.children?.[0]?.value === seg);
    node = prop?.children?.[1];
  }
  if (!node) return undefined;
  return JSON.parse(text.slice(node.offset, node.offset + node.length)) as Json;
}

function setPath(text: string, path: string[], value: Json | undefined, fmt: FormattingOptions): string {
  const edits = modify(text, path, value, {
    formattingOptions: fmt,
    getInsertionIndex: sortedIndex(path[path.length - 1]!),
  });
  return applyEdits(text, edits);
}

const isObject = (v: Json | undefined): v is { [k: string]: Json } =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Makes the value at `path` equal `want`, descending into objects so unchanged members keep their lines. */
function reconcile(text: string, path: string[], want: Json | undefined, fmt: FormattingOptions): string {
  const have = valueAt(text, path);
  if (JSON.stringify(have) === JSON.stringify(want)) return text;
  if (isObject(have) && isObject(want) && Object.keys(have).length > 0 && Object.keys(want).length > 0) {
    let out = text;
    for (const k of Object.keys(have)) if (!(k in want)) out = setPath(out, [...path, k], undefined, fmt);
    for (const k of Object.keys(want).sort()) out = reconcile(out, [...path, k], want[k], fmt);
    return out;
  }
  return setPath(text, path, want === undefined ? undefined : sortDeep(want), fmt);
}

function sortDeep(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (!isObject(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortDeep(v[k]!)]),
  );
}

/**
 * The lock text with each named module's entry set to the given one (undefined removes it). Entries are written with
 * sorted keys like `ringlock lock` writes them; everything else in the file is left byte for byte.
 */
export function editLockText(text: string, entries: ReadonlyMap<string, LockEntry | undefined>): string {
  const fmt = formatting(text);
  let out = text;
  for (const [name, entry] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    out = reconcile(out, ['modules', name], entry as unknown as Json | undefined, fmt);
  return out;
}
