// Checks a real response of the read API against schemas/read-api.openapi.json: the status must be one the operation
// describes, its body must validate (ajv, JSON Schema 2020-12 as OpenAPI 3.1 says) against the response's schema, its
// Content-Type must be the one described, and each header the response describes must be there and match its schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { REPO_ROOT } from '../helpers.js';

// ajv-formats is CommonJS: its default export is the function, or sits on `.default` through the ESM interop.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => void;

interface Response {
  description: string;
  headers?: Record<string, { schema: object }>;
  content?: Record<string, { schema: object }>;
}
interface Doc {
  paths: Record<string, Record<string, { responses: Record<string, Response> }>>;
}

export const OPENAPI_FILE = join(REPO_ROOT, 'schemas', 'read-api.openapi.json');

const pointerEscape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

export class ReadApiContract {
  readonly doc: Doc;
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();
  /** How many bodies were validated (a test asserts it checked what it meant to). */
  checked = 0;

  constructor() {
    this.doc = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as Doc;
    // Not strict: the OpenAPI document around the schemas (openapi, info, paths) is no JSON Schema keyword.
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema(this.doc, 'read-api');
  }

  private validator(pointer: string): ValidateFunction {
    let v = this.compiled.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: `read-api#${pointer}` });
      this.compiled.set(pointer, v);
    }
    return v;
  }

  /** Throws unless `value` is valid against the component schema `name` (for answers outside the described paths). */
  component(name: string, value: unknown): void {
    const v = this.validator(`/components/schemas/${pointerEscape(name)}`);
    if (!v(value))
      throw new Error(`${name}: ${this.ajv.errorsText(v.errors)}\n${JSON.stringify(value, null, 2)}`);
    this.checked++;
  }

  /** Throws unless `r` is a response the description allows for GET `template` (e.g. `/api/v1/modules/{name}`). */
  async check(
    template: string,
    r: globalThis.Response,
    method = 'get',
  ): Promise<{ body?: unknown; text: string }> {
    const op = this.doc.paths[template]?.[method];
    if (!op) throw new Error(`${method.toUpperCase()} ${template} is not in the OpenAPI description`);
    const described = op.responses[String(r.status)];
    if (!described) throw new Error(`${template}: status ${r.status} is not described`);
    const base = `/paths/${pointerEscape(template)}/${method}/responses/${r.status}`;
    for (const [name, h] of Object.entries(described.headers ?? {})) {
      const value = r.headers.get(name);
      if (value === null) throw new Error(`${template} ${r.status}: header ${name} missing`);
      const v = this.validator(`${base}/headers/${pointerEscape(name)}/schema`);
      const typed = (h.schema as { type?: string }).type === 'integer' ? Number(value) : value;
      if (!v(typed))
        throw new Error(`${template} ${r.status}: header ${name}: ${this.ajv.errorsText(v.errors)}`);
    }
    const text = await r.text();
    if (!described.content) {
      if (text !== '') throw new Error(`${template} ${r.status}: a body where none is described`);
      return { text };
    }
    const [type] = Object.keys(described.content);
    if (!r.headers.get('content-type')?.startsWith(type!))
      throw new Error(
        `${template} ${r.status}: content-type ${r.headers.get('content-type')}, described ${type}`,
      );
    if (method === 'head') return { text };
    const body: unknown = JSON.parse(text);
    const v = this.validator(`${base}/content/${pointerEscape(type!)}/schema`);
    if (!v(body))
      throw new Error(
        `${template} ${r.status}: ${this.ajv.errorsText(v.errors)}\n${JSON.stringify(body, null, 2)}`,
      );
    this.checked++;
    return { body, text };
  }
}
