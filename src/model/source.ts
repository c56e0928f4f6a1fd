// Parsing JSON and YAML while keeping where every value sits, so errors can name file:line:column.
import { type Node as JsonNode, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node as YamlNode } from 'yaml';
import { type Diagnostic, InputError } from '../errors.js';

export interface Position {
  line: number;
  column: number;
}

/** A parsed file: its value plus a way back from a JSON pointer to a line and column. */
export interface SourceDoc {
  /** The path shown to users (relative to the working directory when possible). */
  file: string;
  text: string;
  value: unknown;
  /** Position of the value at `pointer`, or of its nearest ancestor that exists. `key` gives the property name's position. */
  locate(pointer: string, target?: 'value' | 'key'): Position;
}

export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

export function offsetToPosition(starts: number[], offset: number): Position {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

export function parsePointer(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** One JSON-pointer segment, escaped (`~` → `~0`, `/` → `~1`): module names like `@acme/x` contain a slash. */
export function escapePointer(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function toPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${escapePointer(s)}`).join('');
}

const JSON_ERROR_TEXT: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'a property name in double quotes',
  ValueExpected: 'a value',
  ColonExpected: "':'",
  CommaExpected: "','",
  CloseBraceExpected: "'}'",
  CloseBracketExpected: "']'",
  EndOfFileExpected: 'end of file',
  InvalidCommentToken: 'no comments (JSON has none)',
  UnexpectedEndOfComment: 'end of comment',
  UnexpectedEndOfString: 'a closing double quote',
  UnexpectedEndOfNumber: 'a digit',
  InvalidUnicode: 'a valid \\u escape',
  InvalidEscapeCharacter: 'a valid escape character',
  InvalidCharacter: 'no control characters inside strings',
};

/** Deeper nesting is refused before parsing: recursive parsers would overflow the stack. */
export const MAX_DEPTH = 200;

/** Offset of the bracket that goes past MAX_DEPTH, ignoring brackets inside strings. */
function jsonDepthExceeded(text: string): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > MAX_DEPTH) return i;
    } else if (c === 125 || c === 93) depth--;
  }
  return undefined;
}

/** When `offset` is a closing bracket preceded (past whitespace) by a comma, the comma's offset. */
function trailingCommaBefore(text: string, offset: number): number | undefined {
  const c = text[offset];
  if (c !== '}' && c !== ']') return undefined;
  let i = offset - 1;
  while (i >= 0 && /\s/.test(text[i]!)) i--;
  return text[i] === ',' ? i : undefined;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parses strict JSON (no comments, no trailing commas, no duplicate keys). Throws InputError with every syntax problem. */
export function parseJsonSource(file: string, raw: string): SourceDoc {
  const text = stripBom(raw);
  let starts: number[] | undefined;
  const pos = (offset: number) => {
    starts ??= lineStarts(text);
    return offsetToPosition(starts, offset);
  };
  if (text.trim() === '') {
    throw syntaxError(file, [
      {
        severity: 'error',
        rule: 'json/syntax',
        message: 'the file is empty',
        expected: 'a JSON object',
        file,
        line: 1,
        column: 1,
      },
    ]);
  }
  const deep = jsonDepthExceeded(text);
  if (deep !== undefined) {
    throw syntaxError(file, [
      {
        severity: 'error',
        rule: 'json/too-deep',
        message: `nesting deeper than ${MAX_DEPTH} levels`,
        expected: `at most ${MAX_DEPTH} nested arrays or objects`,
        file,
        ...pos(deep),
      },
    ]);
  }
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, {
    disallowComments: true,
    allowTrailingComma: false,
    allowEmptyContent: false,
  });
  const diags: Diagnostic[] = [];
  const seenOffsets = new Set<number>();
  for (const e of errors) {
    const name = printParseErrorCode(e.error);
    const comma = trailingCommaBefore(text, e.offset);
    if (comma !== undefined && (name === 'PropertyNameExpected' || name === 'ValueExpected')) {
      if (!seenOffsets.has(comma)) {
        seenOffsets.add(comma);
        diags.push({
          severity: 'error',
          rule: 'json/syntax',
          message: 'invalid JSON: trailing comma',
          expected: 'no comma after the last item',
          file,
          ...pos(comma),
        });
      }
      continue;
    }
    if (seenOffsets.has(e.offset)) continue;
    seenOffsets.add(e.offset);
    const found = text.slice(e.offset, e.offset + Math.max(1, Math.min(e.length, 20)));
    const expected = JSON_ERROR_TEXT[name] ?? name;
    const message =
      name === 'InvalidSymbol' || name === 'InvalidCharacter' || name === 'InvalidCommentToken'
        ? `invalid JSON: ${expected}${found ? ` ${JSON.stringify(found)}` : ''}`
        : `invalid JSON: expected ${expected}${e.offset >= text.length ? ' before end of file' : found ? `, found ${JSON.stringify(found)}` : ''}`;
    diags.push({ severity: 'error', rule: 'json/syntax', message, expected, file, ...pos(e.offset) });
  }
  if (root) collectDuplicateKeys(root, file, pos, diags);
  if (diags.length > 0) throw syntaxError(file, diags);
  const value: unknown = JSON.parse(text);
  return {
    file,
    text,
    value,
    locate(pointer, target = 'value') {
      let node: JsonNode = root!;
      for (const seg of parsePointer(pointer)) {
        const next = childOf(node, seg);
        if (!next) break;
        node = next;
      }
      if (target === 'key' && node.parent?.type === 'property' && node.parent.children?.[0]) {
        return pos(node.parent.children[0].offset);
      }
      return pos(node.offset);
    },
  };
}

function childOf(node: JsonNode, seg: string): JsonNode | undefined {
  if (node.type === 'object') {
    // The last duplicate wins in JSON.parse; mirror it.
    const props = node.children ?? [];
    for (let i = props.length - 1; i >= 0; i--) {
      const p = props[i]!;
      if (p.children?.[0]?.value === seg) return p.children[1] ?? p.children[0];
    }
    return undefined;
  }
  if (node.type === 'array' && /^(0|[1-9][0-9]*)$/.test(seg)) return node.children?.[Number(seg)];
  return undefined;
}

function collectDuplicateKeys(node: JsonNode, file: string, pos: (o: number) => Position, out: Diagnostic[]) {
  if (node.type === 'object') {
    const seen = new Map<string, JsonNode>();
    for (const p of node.children ?? []) {
      const key = p.children?.[0];
      if (!key) continue;
      const name = String(key.value);
      const first = seen.get(name);
      if (first) {
        const firstPos = pos(first.offset);
        out.push({
          severity: 'error',
          rule: 'json/duplicate-key',
          message: `duplicate key ${JSON.stringify(name)} (first defined at line ${firstPos.line})`,
          expected: 'each key once per object',
          file,
          ...pos(key.offset),
        });
      } else seen.set(name, key);
    }
  }
  for (const c of node.children ?? []) collectDuplicateKeys(c, file, pos, out);
}

/** Parses one YAML document (YAML 1.2 core schema, unique keys, bounded aliases). */
export function parseYamlSource(file: string, raw: string): SourceDoc {
  const text = stripBom(raw);
  const lineCounter = new LineCounter();
  const pos = (offset: number): Position => {
    const lp = lineCounter.linePos(offset);
    return { line: lp.line, column: lp.col };
  };
  if (text.trim() === '' || /^(\s*#.*\n?)*\s*$/.test(text)) {
    throw syntaxError(file, [
      {
        severity: 'error',
        rule: 'yaml/syntax',
        message: 'the file is empty',
        expected: 'a YAML mapping',
        file,
        line: 1,
        column: 1,
      },
    ]);
  }
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  } catch (cause) {
    throw yamlFailure(file, cause, { line: 1, column: 1 });
  }
  if (doc.errors.length > 0) {
    // The first error is the cause; the ones after it are mostly the parser losing its footing.
    const e = doc.errors[0]!;
    let offset = e.pos[0];
    let message = `invalid YAML: ${e.message.split('\n')[0]}`;
    let rule = 'yaml/syntax';
    if (e.code === 'DUPLICATE_KEY') {
      rule = 'yaml/duplicate-key';
      const key = /^[^:\n]*/.exec(text.slice(offset))?.[0].trim() ?? '';
      message = `duplicate key ${JSON.stringify(key.replace(/^["']|["']$/g, ''))}`;
    } else if (e.code === 'MISSING_CHAR' && /closing ("|')quote/.test(e.message)) {
      // Reported at the end of the file; the user needs where the string opens.
      const q = e.message.includes("'quote") ? "'" : '"';
      const open = text.lastIndexOf(q, Math.min(offset, text.length) - 1);
      if (open >= 0) offset = open;
      message = `invalid YAML: the quoted string opened here has no closing quote (${q})`;
    } else if (/call stack/i.test(e.message)) {
      message = `invalid YAML: nesting deeper than this parser supports`;
    }
    throw syntaxError(file, [{ severity: 'error', rule, message, file, ...pos(offset) }]);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    // Alias problems surface only when resolving; point at the first alias.
    let at: Position = { line: 1, column: 1 };
    visit(doc, {
      Alias(_k, node) {
        at = pos(node.range?.[0] ?? 0);
        return visit.BREAK;
      },
    });
    throw yamlFailure(file, cause, at);
  }
  return {
    file,
    text,
    value: value ?? null,
    locate(pointer, target = 'value') {
      let node: unknown = doc.contents;
      let keyNode: unknown;
      for (const seg of parsePointer(pointer)) {
        let next: unknown;
        if (isMap(node)) {
          const pair = node.items.find(
            (it) => (isScalar(it.key) ? String(it.key.value) : String(it.key)) === seg,
          );
          if (pair) {
            keyNode = pair.key;
            next = pair.value ?? pair.key;
          }
        } else if (isSeq(node) && /^(0|[1-9][0-9]*)$/.test(seg)) {
          next = node.items[Number(seg)];
          keyNode = undefined;
        }
        if (!next) break;
        node = next;
      }
      const chosen = (target === 'key' && keyNode ? keyNode : node) as YamlNode | null;
      const offset = chosen?.range?.[0] ?? 0;
      return pos(offset);
    },
  };
}

function yamlFailure(file: string, cause: unknown, at: Position): InputError {
  const raw = cause instanceof Error ? cause.message : String(cause);
  const message = /call stack/i.test(raw)
    ? 'invalid YAML: nesting deeper than this parser supports'
    : /alias count/i.test(raw)
      ? 'invalid YAML: too many alias expansions (at most 100)'
      : `invalid YAML: ${raw.split('\n')[0]}`;
  const d: Diagnostic = { severity: 'error', rule: 'yaml/syntax', message, file, ...at };
  return new InputError(d.rule, d.message, { ...at, file, cause, details: [d] });
}

function syntaxError(file: string, diags: Diagnostic[]): InputError {
  const first = diags[0]!;
  return new InputError(first.rule, first.message, {
    file,
    line: first.line,
    column: first.column,
    expected: first.expected,
    details: diags,
  });
}

export function parseSource(file: string, text: string): SourceDoc {
  return /\.ya?ml$/i.test(file) ? parseYamlSource(file, text) : parseJsonSource(file, text);
}

/**
 * An object from JSON that need not be valid (a file at an old commit, a manifest read for facts only): undefined when
 * it is missing, not JSON, or not an object. Never used for what ringlock applies; that goes through the schemas.
 */
export function parseJsonLoose<T extends object>(text: string | undefined): Partial<T> | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Partial<T>) : undefined;
  } catch {
    return undefined;
  }
}
