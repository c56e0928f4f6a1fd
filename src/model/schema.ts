// Runs the precompiled JSON Schema validators and turns ajv's errors into diagnostics at file:line:column.

import configSchema from '../../schemas/config.schema.json' with { type: 'json' };
import defs from '../../schemas/defs.schema.json' with { type: 'json' };
import moduleSchema from '../../schemas/module.schema.json' with { type: 'json' };
import operatorSchema from '../../schemas/operator-config.schema.json' with { type: 'json' };
import lockSchema from '../../schemas/ring-lock.schema.json' with { type: 'json' };
import tenantsSchema from '../../schemas/tenants.schema.json' with { type: 'json' };
import type { Diagnostic } from '../errors.js';
import {
  validateConfig,
  validateLock,
  validateModule,
  validateOperator,
  validateTenants,
} from './generated/validators.js';
import { escapePointer, parsePointer, type SourceDoc } from './source.js';
import type { AjvError, CompiledValidator } from './validate-types.js';

export type SchemaKind = 'module' | 'lock' | 'config' | 'tenants' | 'operator';

const VALIDATORS: Record<SchemaKind, CompiledValidator> = {
  module: validateModule,
  lock: validateLock,
  config: validateConfig,
  tenants: validateTenants,
  operator: validateOperator,
};

/** Validates a parsed document against its schema; returns one diagnostic per problem, most specific first. */
export function validateSchema(kind: SchemaKind, doc: SourceDoc): Diagnostic[] {
  const validate = VALIDATORS[kind];
  if (validate(doc.value)) return [];
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'propertyNames' && e.keyword !== 'if');
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const d = toDiagnostic(kind, e, doc);
    const key = `${d.pointer}|${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

function toDiagnostic(kind: SchemaKind, e: AjvError, doc: SourceDoc): Diagnostic {
  const base = e.instancePath;
  let pointer = base;
  let target: 'value' | 'key' = 'value';
  let message: string;
  let expected = describeAt(kind, base, doc.value, e.keyword) ?? describe(kind, e.schemaPath);
  const value = valueAt(doc.value, base);
  switch (e.keyword) {
    case 'required': {
      const prop = String(e.params.missingProperty);
      message = `missing required property "${prop}"`;
      expected =
        describeAt(kind, `${base}/${escapePointer(prop)}`, doc.value) ??
        describe(kind, `${e.schemaPath.replace(/\/required$/, '')}/properties/${prop}/x`) ??
        `a "${prop}" property`;
      break;
    }
    case 'additionalProperties': {
      const prop = String(e.params.additionalProperty);
      pointer = `${base}/${escapePointer(prop)}`;
      target = 'key';
      message = `unknown property "${prop}"`;
      expected = `one of: ${allowedProperties(kind, base, doc.value).join(', ') || '(none)'}`;
      break;
    }
    case 'type':
      message = `must be ${article(String(e.params.type))}, got ${typeName(value)}`;
      break;
    case 'const':
      message = `must be ${JSON.stringify(e.params.allowedValue)}, got ${preview(value)}`;
      expected = expected ?? JSON.stringify(e.params.allowedValue);
      break;
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      message = `must be one of ${allowed}, got ${preview(value)}`;
      expected = expected ?? `one of ${allowed}`;
      break;
    }
    default:
      if (e.propertyName !== undefined) {
        pointer = `${base}/${escapePointer(e.propertyName)}`;
        target = 'key';
        message = `invalid name ${JSON.stringify(e.propertyName)}`;
      } else if (e.keyword === 'pattern') {
        message = `invalid value ${preview(value)}`;
      } else {
        message = `${preview(value)} ${e.message ?? 'is invalid'}`;
      }
  }
  const where = doc.locate(pointer, target);
  return {
    severity: 'error',
    rule: `schema/${e.keyword}`,
    message: pointer ? `${pointer}: ${message}` : message,
    expected,
    file: doc.file,
    line: where.line,
    column: where.column,
    pointer,
  };
}

// Human text for what a keyword expected: the "description" of the schema that holds the keyword
// (following a $ref into the shared definitions).
function describe(kind: SchemaKind, schemaPath: string): string | undefined {
  const hash = schemaPath.indexOf('#');
  const file = hash > 0 ? schemaPath.slice(0, hash) : '';
  const root: unknown = file.endsWith('defs.schema.json') ? defs : SCHEMAS[kind];
  const parts = parsePointer(schemaPath.slice(hash + 1)).slice(0, -1);
  let node: unknown = root;
  for (const p of parts) node = (node as Record<string, unknown> | undefined)?.[p];
  const n = node as { description?: unknown; $ref?: unknown } | undefined;
  if (typeof n?.description === 'string') return n.description;
  if (typeof n?.$ref === 'string' && n.$ref.startsWith('defs.schema.json#')) {
    let d: unknown = defs;
    for (const p of parsePointer(n.$ref.slice(n.$ref.indexOf('#') + 1)))
      d = (d as Record<string, unknown>)?.[p];
    const desc = (d as { description?: unknown } | undefined)?.description;
    return typeof desc === 'string' ? desc : undefined;
  }
  return undefined;
}

const SCHEMAS: Record<SchemaKind, unknown> = {
  module: moduleSchema,
  lock: lockSchema,
  config: configSchema,
  tenants: tenantsSchema,
  operator: operatorSchema,
};

/**
 * The properties the object at `instancePath` may have. ajv's schemaPath cannot say: a standalone validator gives it
 * relative to the $ref'd schema that failed (`#/additionalProperties` for a lock entry), so the schema node is found by
 * walking the instance path from the document's schema instead, through properties, additionalProperties, items and
 * $refs, and choosing among anyOf/oneOf/if-then-else the branches whose type fits the value.
 */
function allowedProperties(kind: SchemaKind, instancePath: string, root: unknown): string[] {
  const keys = new Set<string>();
  for (const at of schemasAt(kind, instancePath, root)) {
    const n = at.node as SchemaNode;
    if (n.additionalProperties === false && n.properties)
      for (const k of Object.keys(n.properties)) keys.add(k);
  }
  keys.delete('$schema');
  return [...keys];
}

/**
 * The description of the schema describing the value at `instancePath` (preferring one that holds the failing
 * keyword), found by the instance path as allowedProperties finds its object: ajv's schemaPath is relative to a $ref'd
 * schema and cannot say which.
 */
function describeAt(
  kind: SchemaKind,
  instancePath: string,
  root: unknown,
  keyword?: string,
): string | undefined {
  const found = schemasAt(kind, instancePath, root).filter(
    (at) => typeof (at.node as { description?: unknown }).description === 'string',
  );
  const best =
    found.find((at) => keyword !== undefined && Object.hasOwn(at.node as object, keyword)) ?? found[0];
  return best && (best.node as { description: string }).description;
}

/** The schemas (each $ref followed, with the branches that fit the value) that describe the value at `instancePath`. */
function schemasAt(kind: SchemaKind, instancePath: string, root: unknown): SchemaAt[] {
  let here: SchemaAt[] = [{ node: SCHEMAS[kind], file: SCHEMAS[kind] }];
  let value = root;
  for (const seg of parsePointer(instancePath)) {
    const next: SchemaAt[] = [];
    for (const at of here.flatMap((h) => branches(h, value))) {
      const n = at.node as SchemaNode;
      const props = n.properties;
      if (!Array.isArray(value) && props && Object.hasOwn(props, seg))
        next.push({ node: props[seg], file: at.file });
      else if (Array.isArray(value) && isSchema(n.items)) next.push({ node: n.items, file: at.file });
      else if (!Array.isArray(value) && isSchema(n.additionalProperties))
        next.push({ node: n.additionalProperties, file: at.file });
    }
    here = next;
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[seg] : undefined;
  }
  // A value of the wrong type (the type error being described) fits no branch: then every branch describes it.
  const typed = here.flatMap((h) => branches(h, value));
  return typed.length > 0 ? typed : here.flatMap((h) => branches(h, undefined));
}

interface SchemaAt {
  node: unknown;
  /** The schema file the node is in: its local $refs (`#/$defs/…`) resolve against it. */
  file: unknown;
}
interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, unknown>;
  additionalProperties?: unknown;
  items?: unknown;
  anyOf?: unknown[];
  oneOf?: unknown[];
  allOf?: unknown[];
  if?: unknown;
  then?: unknown;
  else?: unknown;
}

const isSchema = (v: unknown): v is object => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A node with its $ref followed (defs.schema.json or the same file). */
function deref(at: SchemaAt): SchemaAt {
  let { node, file } = at;
  for (let i = 0; i < 16 && isSchema(node) && typeof (node as SchemaNode).$ref === 'string'; i++) {
    const ref = (node as SchemaNode).$ref!;
    const hash = ref.indexOf('#');
    if (hash > 0 && !ref.slice(0, hash).endsWith('defs.schema.json')) return { node: undefined, file };
    if (hash > 0) file = defs;
    node = file;
    for (const p of parsePointer(ref.slice(hash + 1)))
      node = (node as Record<string, unknown> | undefined)?.[p];
  }
  return { node, file };
}

/** The node and the subschemas of its anyOf/oneOf/allOf/then/else that could describe `value` (by their type). */
function branches(at: SchemaAt, value: unknown, depth = 0): SchemaAt[] {
  const d = deref(at);
  if (!isSchema(d.node) || !fitsType(d.node as SchemaNode, value)) return [];
  const n = d.node as SchemaNode;
  const out = [d];
  if (depth > 8) return out;
  // An `if` this can decide (a discriminator such as a runner's `type`) keeps only the branch it picks.
  const cond = n.if === undefined ? undefined : decide(n.if, value);
  const picked = cond === undefined ? [n.then, n.else] : [cond ? n.then : n.else];
  for (const sub of [...(n.anyOf ?? []), ...(n.oneOf ?? []), ...(n.allOf ?? []), ...picked])
    if (isSchema(sub)) out.push(...branches({ node: sub, file: d.file }, value, depth + 1));
  return out;
}

/**
 * Whether `value` meets an `if` made of `type`, `required`, `properties` with a `const`, `not` and `anyOf`; undefined
 * when it says more than that (both branches are then kept).
 */
function decide(schema: unknown, value: unknown): boolean | undefined {
  if (typeof schema === 'boolean') return schema;
  if (!isSchema(schema) || value === undefined) return undefined;
  const s = schema as Record<string, unknown>;
  const known = new Set(['type', 'required', 'properties', 'not', 'anyOf']);
  if (Object.keys(s).some((k) => !known.has(k))) return undefined;
  const obj = isSchema(value) ? (value as Record<string, unknown>) : undefined;
  const checks: (boolean | undefined)[] = [];
  if (s.type !== undefined) checks.push(fitsType({ type: s.type as string }, value));
  if (Array.isArray(s.required))
    checks.push(obj === undefined || s.required.every((k) => Object.hasOwn(obj, String(k))));
  if (isSchema(s.properties))
    for (const [k, sub] of Object.entries(s.properties as Record<string, unknown>)) {
      if (!isSchema(sub) || Object.keys(sub).some((x) => x !== 'const')) return undefined;
      checks.push(
        obj === undefined || !Object.hasOwn(obj, k) || obj[k] === (sub as { const: unknown }).const,
      );
    }
  if (s.not !== undefined) {
    const r = decide(s.not, value);
    checks.push(r === undefined ? undefined : !r);
  }
  if (Array.isArray(s.anyOf)) {
    const rs = s.anyOf.map((x) => decide(x, value));
    checks.push(rs.includes(true) ? true : rs.includes(undefined) ? undefined : false);
  }
  if (checks.includes(false)) return false;
  return checks.includes(undefined) ? undefined : true;
}

function fitsType(n: SchemaNode, value: unknown): boolean {
  if (n.type === undefined || value === undefined) return true;
  const actual =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'array'
        : typeof value === 'number'
          ? Number.isInteger(value)
            ? 'integer'
            : 'number'
          : typeof value;
  const types = Array.isArray(n.type) ? n.type : [n.type];
  return types.includes(actual) || (actual === 'integer' && types.includes('number'));
}

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const p of parsePointer(pointer)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v === 'number' && Number.isInteger(v) ? 'integer' : typeof v} ${preview(v)}`;
}

function article(t: string): string {
  const names = t
    .split(',')
    .map((x) => (x === 'object' || x === 'array' || x === 'integer' ? `an ${x}` : `a ${x}`));
  return names.join(' or ');
}

function preview(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
