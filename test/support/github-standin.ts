// A stand-in for GitHub's REST API on 127.0.0.1 that holds requests AND its own answers to GitHub's published
// description (@octokit/openapi): a test fails on any request or answer the description does not allow.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

export interface StandinRequest {
  operationId: string;
  method: string;
  /** The path without the base URL's prefix, as in the description: /repos/o/r/deployments. */
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  headers: IncomingHttpHeaders;
}
export interface StandinResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
export type StandinHandler = (
  req: StandinRequest,
  state: Map<string, unknown>,
) => StandinResponse | Promise<StandinResponse>;

export interface GitHubStandin {
  /** Base URL for Octokit's baseUrl (includes the prefix, e.g. http://127.0.0.1:1234/api/v3). */
  url: string;
  on(operationId: string, handler: StandinHandler): void;
  /** What handlers keep between calls (also for tests to seed or inspect). */
  state: Map<string, unknown>;
  /** Every request that reached a handler, in order. */
  calls: StandinRequest[];
  /** Requests without an operation or handler, failed validation or auth, and answers that broke the contract. */
  unexpected: string[];
  assertNoUnexpected(): void;
  close(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: the description is untyped JSON
type Json = any;
interface Route {
  method: string;
  template: string;
  segments: string[];
  operationId: string;
  op: Json;
}
interface Validators {
  path: ValidateFunction;
  query: ValidateFunction;
  body?: ValidateFunction;
  responses: Map<string, ValidateFunction | null>;
}

const DOCS = 'https://docs.github.com/rest';
/** Answers GitHub may give to any request, described or not; held to the basic-error schema. */
const GENERIC_ERRORS = new Set([401, 403, 404, 429, 500, 502, 503, 504]);
const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head'];

export function githubError(status: number, message: string, extra: object = {}): StandinResponse {
  return { status, body: { message, documentation_url: DOCS, status: String(status), ...extra } };
}

// Per process: the description is 13 MB; it is parsed once and operations are compiled on first use.
let loaded:
  | { doc: Json; routes: Map<string, Route[]>; byId: Map<string, Route>; parseMs: number }
  | undefined;
const compiled = new Map<string, Validators>();
const ajv = new Ajv({ strict: false, allErrors: true });
const coercing = new Ajv({ strict: false, allErrors: true, coerceTypes: 'array' });
for (const a of [ajv, coercing]) {
  a.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d\d-\d\dT/.test(s));
  // GitHub sends "" for unset uri fields (log_url, target_url) although the description says format: uri.
  a.addFormat('uri', (s: string) => s === '' || URL.canParse(s));
}
const FORMATS = new Set(['date-time', 'uri']);

export function githubDescription() {
  if (loaded) return loaded;
  const file = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json');
  const started = performance.now();
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  const parseMs = performance.now() - started;
  const routes = new Map<string, Route[]>();
  const byId = new Map<string, Route>();
  for (const [template, item] of Object.entries<Json>(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op?.operationId) continue;
      const segments = template.split('/').slice(1);
      const route = { method: method.toUpperCase(), template, segments, operationId: op.operationId, op };
      const key = `${route.method} ${segments.length}`;
      routes.set(key, [...(routes.get(key) ?? []), route]);
      byId.set(op.operationId, route);
    }
  }
  loaded = { doc, routes, byId, parseMs };
  return loaded;
}

const isParam = (s: string) => s.startsWith('{') && s.endsWith('}');

/** The most specific route for a path: at the first position where two candidates differ, a literal wins. */
function match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
  const segs = path.split('/').slice(1);
  const candidates = githubDescription().routes.get(`${method} ${segs.length}`) ?? [];
  const fits = candidates.filter((r) =>
    r.segments.every((t, i) => (isParam(t) ? segs[i] !== '' : t === segs[i])),
  );
  fits.sort((a, b) => {
    for (let i = 0; i < segs.length; i++) {
      const d = Number(isParam(a.segments[i]!)) - Number(isParam(b.segments[i]!));
      if (d !== 0) return d;
    }
    return 0;
  });
  const route = fits[0];
  if (!route) return undefined;
  const params: Record<string, string> = {};
  route.segments.forEach((t, i) => {
    if (isParam(t)) params[t.slice(1, -1)] = decodeURIComponent(segs[i]!);
  });
  return { route, params };
}

function deref(doc: Json, node: Json): Json {
  let n = node;
  for (let hops = 0; n && typeof n.$ref === 'string'; hops++) {
    if (hops > 20) throw new Error(`$ref loop at ${n.$ref}`);
    n = n.$ref
      .slice(2)
      .split('/')
      .reduce((o: Json, k: string) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  return n;
}

/** OpenAPI 3.0 schema → draft-07 JSON Schema: component refs become local definitions, `nullable` becomes a type. */
function toJsonSchema(doc: Json, root: Json, strictTop = false): Json {
  const { conv, definitions } = converter(doc);
  const top = conv(root);
  // Stricter than GitHub, which ignores unknown fields: a misspelt field in our request is our bug.
  if (strictTop && top.properties && top.additionalProperties === undefined) top.additionalProperties = false;
  return { ...top, definitions };
}

function converter(doc: Json) {
  const definitions: Record<string, Json> = {};
  const conv = (s: Json): Json => {
    if (typeof s !== 'object' || s === null) return s;
    if (typeof s.$ref === 'string') {
      const name = s.$ref.replace(/^#\/components\/schemas\//, '');
      if (!(name in definitions)) {
        definitions[name] = {};
        definitions[name] = conv(deref(doc, s));
      }
      return { $ref: `#/definitions/${encodeURIComponent(name.replace(/~/g, '~0').replace(/\//g, '~1'))}` };
    }
    const out: Json = {};
    for (const k of [
      'type',
      'enum',
      'const',
      'required',
      'minimum',
      'maximum',
      'multipleOf',
      'uniqueItems',
    ]) {
      if (k in s) out[k] = s[k];
    }
    for (const k of ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties']) {
      if (k in s) out[k] = s[k];
    }
    if (s.exclusiveMinimum === true) out.exclusiveMinimum = out.minimum;
    if (s.exclusiveMaximum === true) out.exclusiveMaximum = out.maximum;
    if (s.exclusiveMinimum === true) delete out.minimum;
    if (s.exclusiveMaximum === true) delete out.maximum;
    if (typeof s.format === 'string' && FORMATS.has(s.format)) out.format = s.format;
    if (typeof s.pattern === 'string' && validPattern(s.pattern)) out.pattern = s.pattern;
    if (s.properties) {
      out.properties = Object.fromEntries(Object.entries<Json>(s.properties).map(([k, v]) => [k, conv(v)]));
    }
    if ('additionalProperties' in s) out.additionalProperties = conv(s.additionalProperties);
    if (s.items) out.items = conv(s.items);
    for (const k of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(s[k])) out[k] = s[k].map(conv);
    if (s.not) out.not = conv(s.not);
    if (s.nullable === true) {
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
      if (typeof out.type === 'string') out.type = [out.type, 'null'];
      else if (out.type === undefined) return { anyOf: [{ type: 'null' }, out] };
    }
    return out;
  };
  return { conv, definitions };
}

function validPattern(p: string): boolean {
  try {
    new RegExp(p, 'u');
    return true;
  } catch {
    return false;
  }
}

function validators(route: Route): Validators {
  const hit = compiled.get(route.operationId);
  if (hit) return hit;
  const { doc } = githubDescription();
  const params = (route.op.parameters ?? []).map((p: Json) => deref(doc, p));
  const group = (where: string) => {
    const ps = params.filter((p: Json) => p.in === where);
    const { conv, definitions } = converter(doc);
    return coercing.compile({
      type: 'object',
      properties: Object.fromEntries(ps.map((p: Json) => [p.name, conv(p.schema ?? {})])),
      required: ps.filter((p: Json) => p.required).map((p: Json) => p.name),
      definitions,
    });
  };
  const bodySchema = deref(doc, route.op.requestBody)?.content?.['application/json']?.schema;
  const v: Validators = {
    path: group('path'),
    query: group('query'),
    body: bodySchema ? ajv.compile(toJsonSchema(doc, bodySchema, true)) : undefined,
    responses: new Map(),
  };
  for (const [status, r] of Object.entries<Json>(route.op.responses ?? {})) {
    const content = deref(doc, r)?.content ?? {};
    const type = Object.keys(content).find((t) => /json/.test(t));
    const schema = type ? content[type].schema : undefined;
    v.responses.set(status, schema ? ajv.compile(toJsonSchema(doc, schema)) : null);
  }
  compiled.set(route.operationId, v);
  return v;
}

let basicError: ValidateFunction | undefined;

/** Why an answer breaks the description, or undefined when it does not. */
function checkResponse(v: Validators, out: StandinResponse): string | undefined {
  const key = [String(out.status), `${String(out.status)[0]}XX`, 'default'].find((k) => v.responses.has(k));
  if (key === undefined) {
    if (!GENERIC_ERRORS.has(out.status)) {
      return `status ${out.status} is not among ${[...v.responses.keys()].join(', ')}`;
    }
    const { doc } = githubDescription();
    basicError ??= ajv.compile(toJsonSchema(doc, { $ref: '#/components/schemas/basic-error' }));
    return basicError(out.body) ? undefined : explain(basicError.errors);
  }
  const validate = v.responses.get(key);
  if (!validate)
    return out.body !== undefined && (out.status === 204 || out.status === 304) ? 'a body' : undefined;
  return validate(out.body) ? undefined : explain(validate.errors);
}

function explain(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
}

function authorized(header: string | undefined, token: string): boolean {
  const m = /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? '');
  return m?.[1] === token;
}

export async function startGitHubStandin(
  opts: { token?: string; prefix?: string } = {},
): Promise<GitHubStandin> {
  githubDescription();
  const prefix = (opts.prefix ?? '').replace(/\/+$/, '');
  const handlers = new Map<string, StandinHandler>();
  const state = new Map<string, unknown>();
  const calls: StandinRequest[] = [];
  const unexpected: string[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const send = (out: StandinResponse) => {
        const payload = out.body === undefined ? '' : JSON.stringify(out.body);
        res.writeHead(out.status, {
          'content-type': 'application/json; charset=utf-8',
          'x-github-api-version-selected': '2022-11-28',
          ...out.headers,
        });
        res.end(payload);
      };
      const url = new URL(req.url ?? '/', 'http://standin');
      const method = req.method ?? 'GET';
      const where = `${method} ${url.pathname}`;
      const fail = (why: string, out: StandinResponse) => {
        unexpected.push(`${where}: ${why}`);
        send(out);
      };
      if (!url.pathname.startsWith(`${prefix}/`))
        return fail(`outside ${prefix}/`, githubError(404, 'Not Found'));
      if (opts.token !== undefined && !authorized(req.headers.authorization, opts.token)) {
        return fail('bad or missing Authorization', githubError(401, 'Bad credentials'));
      }
      const path = url.pathname.slice(prefix.length);
      const m = match(method, path);
      if (!m) return fail("no such operation in GitHub's description", githubError(404, 'Not Found'));
      const { route, params } = m;
      const handler = handlers.get(route.operationId);
      if (!handler) return fail(`${route.operationId} has no handler`, githubError(501, 'Not Implemented'));
      const v = validators(route);
      const op = `${route.operationId}: `;
      if (!v.path({ ...params })) return fail(op + explain(v.path.errors), githubError(404, 'Not Found'));
      const query = Object.fromEntries(url.searchParams);
      if (!v.query({ ...query })) {
        return fail(
          op + explain(v.query.errors),
          githubError(422, `Invalid request.\n\n${explain(v.query.errors)}`),
        );
      }
      let body: unknown;
      const raw = Buffer.concat(chunks).toString('utf8');
      if (raw !== '') {
        try {
          body = JSON.parse(raw);
        } catch {
          return fail(`${op}body is not JSON`, githubError(400, 'Problems parsing JSON'));
        }
      }
      if (v.body && !v.body(body)) {
        const why = explain(v.body.errors);
        return fail(op + why, githubError(422, `Invalid request.\n\n${why}`));
      }
      const sreq: StandinRequest = {
        operationId: route.operationId,
        method,
        path,
        params,
        query,
        body,
        headers: req.headers,
      };
      calls.push(sreq);
      let out: StandinResponse;
      try {
        out = await handler(sreq, state);
      } catch (e) {
        return fail(`${op}handler threw ${String(e)}`, githubError(500, 'Server Error'));
      }
      const broken = checkResponse(v, out);
      if (broken)
        unexpected.push(
          `${where}: ${op}the stand-in's ${out.status} answer breaks the description: ${broken}`,
        );
      send(out);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    on(operationId, handler) {
      const route = githubDescription().byId.get(operationId);
      if (!route) throw new Error(`GitHub's description has no operation ${operationId}`);
      validators(route);
      handlers.set(operationId, handler);
    },
    state,
    calls,
    unexpected,
    assertNoUnexpected() {
      if (unexpected.length > 0) {
        throw new Error(`the GitHub stand-in saw unexpected traffic:\n  ${unexpected.join('\n  ')}`);
      }
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
