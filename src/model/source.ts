// Parsing JSON and YAML while keeping where every value sits, so errors can name file:line:column.
import { type Node as JsonNode, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
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

export function toPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
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

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parses strict JSON (no comments, no trailing commas, no duplicate keys). Throws InputError with every syntax problem. */
export function parseJsonSource(file: string, raw: string): SourceDoc {
  const text = stripBom(raw);
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, {
    disallowComments: true,
    allowTrailingComma: false,
    allowEmptyContent: false,
  });
  let starts: number[] | undefined;
  const pos = (offset: number) => {
    starts ??= lineStarts(text);
    return offsetToPosition(starts, offset);
  };
  const diags: Diagnostic[] = errors.map((e) => {
    const name = printParseErrorCode(e.error);
    const p = pos(e.offset);
    const found = text.slice(e.offset, e.offset + Math.max(1, Math.min(e.length, 20)));
    const expected = JSON_ERROR_TEXT[name] ?? name;
    const message =
      name === 'InvalidSymbol' || name === 'InvalidCharacter' || name === 'InvalidCommentToken'
        ? `invalid JSON: ${expected}${found ? ` ${JSON.stringify(found)}` : ''}`
        : `invalid JSON: expected ${expected}${e.offset >= text.length ? ' before end of file' : found ? `, found ${JSON.stringify(found)}` : ''}`;
    return { severity: 'error', rule: 'json/syntax', message, expected, file, ...p };
  });
  if (!root && diags.length === 0) {
    diags.push({
      severity: 'error',
      rule: 'json/syntax',
      message: 'invalid JSON: the file is empty',
      file,
      line: 1,
      column: 1,
    });
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
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const pos = (offset: number): Position => {
    const lp = lineCounter.linePos(offset);
    return { line: lp.line, column: lp.col };
  };
  if (doc.errors.length > 0) {
    const diags: Diagnostic[] = doc.errors.map((e) => ({
      severity: 'error',
      rule: e.code === 'DUPLICATE_KEY' ? 'yaml/duplicate-key' : 'yaml/syntax',
      message: `invalid YAML: ${e.message.split('\n')[0]}`,
      file,
      ...pos(e.pos[0]),
    }));
    throw syntaxError(file, diags);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    throw new InputError('yaml/syntax', `${file}: invalid YAML: ${(cause as Error).message}`, {
      file,
      cause,
    });
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
