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
  let expected = describe(kind, e.schemaPath);
  const value = valueAt(doc.value, base);
  switch (e.keyword) {
    case 'required': {
      const prop = String(e.params.missingProperty);
      message = `missing required property "${prop}"`;
      expected =
        describe(kind, `${e.schemaPath.replace(/\/required$/, '')}/properties/${prop}/x`) ??
        `a "${prop}" property`;
      break;
    }
    case 'additionalProperties': {
      const prop = String(e.params.additionalProperty);
      pointer = `${base}/${escapePointer(prop)}`;
      target = 'key';
      message = `unknown property "${prop}"`;
      expected = `one of: ${allowedProperties(kind, e.schemaPath).join(', ') || '(none)'}`;
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

function allowedProperties(kind: SchemaKind, schemaPath: string): string[] {
  const parts = parsePointer(schemaPath.replace(/^#/, '').replace(/\/additionalProperties$/, ''));
  let node: unknown = SCHEMAS[kind];
  if (schemaPath.includes('defs.schema.json')) return [];
  for (const p of parts) node = (node as Record<string, unknown> | undefined)?.[p];
  const props = (node as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props).filter((k) => k !== '$schema') : [];
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
