// Text → text edits of a ring's lock that keep the file's formatting: only the lines of the values that change are
// touched, new keys go in sorted order, so a promotion's diff shows exactly what moves.
import { findNodeAtLocation, type Node as JsonNode, parseTree } from 'jsonc-parser';
import { InputError } from '../errors.js';
import { parseLockDoc, sortKeys } from '../model/lock.js';
import { parseSource } from '../model/source.js';
import type { LockEntry, RingLock } from '../model/types.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Indentation unit and line ending as the file has them (two spaces and \n when it cannot tell). */
function formatting(text: string): Fmt {
  const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
  return { unit: indent.startsWith('\t') ? '\t' : indent, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

interface Fmt {
  unit: string;
  eol: string;
}

/** The whitespace a line starts with, for the line holding `offset`. */
function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))![0];
}

/** `value` as JSON with the file's indentation unit, every line after the first indented by `indent`. */
function render(value: Json, indent: string, f: Fmt, path: string[]): string {
  return JSON.stringify(sortFor(path, value), null, f.unit)
    .split('\n')
    .join(f.eol + indent);
}

function nodeAt(text: string, path: string[]): JsonNode | undefined {
  const root = parseTree(text);
  return root ? findNodeAtLocation(root, path) : undefined;
}

function valueAt(text: string, path: string[]): Json | undefined {
  const node = nodeAt(text, path);
  return node ? (JSON.parse(text.slice(node.offset, node.offset + node.length)) as Json) : undefined;
}

/** Sets the value at `path` (its parent object exists): replaced where it stands, or inserted in sorted order. */
function setPath(text: string, path: string[], value: Json, f: Fmt): string {
  const node = nodeAt(text, path);
  if (node) {
    return (
      text.slice(0, node.offset) +
      render(value, lineIndent(text, node.offset), f, path) +
      text.slice(node.offset + node.length)
    );
  }
  const parent = nodeAt(text, path.slice(0, -1))!;
  const key = path[path.length - 1]!;
  const props = parent.children ?? [];
  const parentIndent = lineIndent(text, parent.offset);
  const memberIndent = props[0] ? lineIndent(text, props[0].offset) : parentIndent + f.unit;
  const member = `${JSON.stringify(key)}: ${render(value, memberIndent, f, path)}`;
  if (props.length === 0) {
    const body = `{${f.eol}${memberIndent}${member}${f.eol}${parentIndent}}`;
    return text.slice(0, parent.offset) + body + text.slice(parent.offset + parent.length);
  }
  const next = props.find((p) => String(p.children?.[0]?.value) > key);
  if (next) return `${text.slice(0, next.offset)}${member},${f.eol}${memberIndent}${text.slice(next.offset)}`;
  const last = props[props.length - 1]!;
  const end = last.offset + last.length;
  return `${text.slice(0, end)},${f.eol}${memberIndent}${member}${text.slice(end)}`;
}

/** Removes a property with its separator, leaving the lines around it as they are. */
function removePath(text: string, path: string[]): string {
  const parent = nodeAt(text, path.slice(0, -1));
  const props = parent?.children ?? [];
  const i = props.findIndex((p) => p.children?.[0]?.value === path[path.length - 1]);
  const prop = props[i];
  if (!parent || !prop) return text;
  const next = props[i + 1];
  if (next) return text.slice(0, prop.offset) + text.slice(next.offset);
  const prev = props[i - 1];
  if (prev) return text.slice(0, prev.offset + prev.length) + text.slice(prop.offset + prop.length);
  return `${text.slice(0, parent.offset)}{}${text.slice(parent.offset + parent.length)}`;
}

const isObject = (v: Json | undefined): v is { [k: string]: Json } =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Makes the value at `path` equal `want`, descending into objects so unchanged members keep their lines. */
function reconcile(text: string, path: string[], want: Json | undefined, fmt: Fmt): string {
  const have = valueAt(text, path);
  if (JSON.stringify(have) === JSON.stringify(want)) return text;
  if (want === undefined) return removePath(text, path);
  if (
    isObject(have) &&
    isObject(want) &&
    Object.keys(have).length > 0 &&
    Object.keys(want).length > 0 &&
    !isPlatformData(path)
  ) {
    let out = text;
    for (const k of Object.keys(have)) if (!(k in want)) out = removePath(out, [...path, k]);
    for (const k of Object.keys(want).sort()) out = reconcile(out, [...path, k], want[k], fmt);
    return out;
  }
  return setPath(text, path, want, fmt);
}

/** modules.<name>.manifest: the platform's own manifest data, written whole in its own key order. */
const isPlatformData = (path: string[]) =>
  path.length === 3 && path[0] === 'modules' && path[2] === 'manifest';

/** `value` (at `path`) with its keys sorted, except inside an entry's platform data (as `ringlock lock` writes it). */
function sortFor(path: string[], value: Json): Json {
  if (isPlatformData(path)) return value;
  if (path.length === 2 && path[0] === 'modules' && isObject(value) && value.manifest !== undefined) {
    const sorted = sortDeep({ ...value, manifest: 0 }) as { [k: string]: Json };
    sorted.manifest = value.manifest;
    return sorted;
  }
  return sortDeep(value);
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

/**
 * editLockText, then proof that the result is what was meant: a valid lock (the schema and the ring) whose modules are
 * exactly `expected`. A file the text edit cannot handle safely (duplicate keys) is refused, never half-edited.
 */
export function editLockChecked(
  file: string,
  ring: string,
  text: string,
  entries: ReadonlyMap<string, LockEntry | undefined>,
  expected: RingLock['modules'],
): string {
  const out = editLockText(text, entries);
  const { lock } = parseLockDoc(parseSource(file, out), ring);
  if (JSON.stringify(sortKeys(lock.modules)) !== JSON.stringify(sortKeys(expected)))
    throw new InputError(
      'lock/edit',
      `${file} could not be edited safely (duplicate keys, or an unusual layout)`,
      {
        file,
        expected: `a lock as "ringlock lock --ring ${ring}" writes it`,
      },
    );
  return out;
}
