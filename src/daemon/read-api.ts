// The read API (`ringlock daemon --serve-api`): what the ring has active, for a shell that cannot read Redis or the
// target — `GET /api/v1/modules/active[?tenant=…]` and `GET /api/v1/modules/:name`, answered from the snapshot the
// daemon last published (schemas/read-api.openapi.json describes them). Read-only and unauthenticated, like /status.
// Strong ETags from the generation and the body; `Cache-Control: no-cache`: a client may keep a copy but asks again
// every time (a 304 costs nothing), so a switch or a rollback reaches the platform at once, never after a max-age.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Published } from '../publish/publication.js';
import { canonical } from '../publish/snapshot.js';
import type { ActiveSnapshot } from '../publish/types.js';
import { HttpError } from './http-reply.js';

export const READ_API_PREFIX = '/api/v1/';

const TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MODULE = /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

/** An error reply of the API: JSON with `ok: false`, the message, and what else helps (the tenant's ring). */
class ApiError extends HttpError {
  constructor(
    status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    opts: { retryAfter?: number } = {},
  ) {
    super(status, message, opts);
  }
}

/**
 * Handles a request under /api/v1/; `published()` is the daemon's last snapshot (undefined before the first pass).
 * `scrub` removes the daemon's secrets from what a module's hook printed (lastError, quarantine reasons), as /status
 * does, before the ETag is computed.
 */
export function readApi(
  ring: string,
  published: () => Published | undefined,
  scrub: (text: string) => string,
) {
  return (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    try {
      const route = routeOf(url.pathname);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        throw new ApiError(405, `${req.method} not allowed on ${url.pathname}: the read API is read-only`);
      }
      const p = published();
      if (!p)
        throw new ApiError(
          503,
          'nothing published yet: the first pass has not finished',
          {},
          { retryAfter: 5 },
        );
      const body =
        route.kind === 'active' ? activeBody(p.snapshot, ring, url) : moduleBody(p, route.name, scrub);
      reply(req, res, p.snapshot.generation, body);
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      const extra = e instanceof ApiError ? e.extra : {};
      const text = `${JSON.stringify({ ok: false, error: e.message, ...extra }, null, 2)}\n`;
      const headers: Record<string, string | number> = {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'content-length': Buffer.byteLength(text),
      };
      if (e.opts.retryAfter !== undefined) headers['retry-after'] = e.opts.retryAfter;
      res.writeHead(e.status, headers);
      res.end(req.method === 'HEAD' ? undefined : text);
    }
  };
}

type Route = { kind: 'active' } | { kind: 'module'; name: string };

/** `/api/v1/modules/active`, `/api/v1/modules/orders`, `…/%40acme%2Fanalytics` or `…/@acme/analytics`. */
function routeOf(pathname: string): Route {
  const rest = pathname.slice(READ_API_PREFIX.length).split('/');
  if (rest[0] !== 'modules' || rest.length < 2 || rest.length > 3 || rest.some((s) => s === ''))
    throw new ApiError(404, `no such endpoint: ${pathname}`);
  let parts: string[];
  try {
    parts = rest.slice(1).map((s) => decodeURIComponent(s));
  } catch {
    throw new ApiError(400, `${pathname}: not a valid percent-encoded path`);
  }
  if (parts.length === 1 && parts[0] === 'active' && rest[1] === 'active') return { kind: 'active' };
  if (parts.length === 2 && !parts[0]!.startsWith('@'))
    throw new ApiError(404, `no such endpoint: ${pathname}`);
  const name = parts.join('/');
  if (!MODULE.test(name) || name.length > 214)
    throw new ApiError(400, `"${name.slice(0, 100)}" is not a module name`, {
      expected: 'orders, or @scope/name (URL-encoded as %40scope%2Fname, or as two path segments)',
    });
  return { kind: 'module', name };
}

/** The ring's active set; with `?tenant=`, the tenant's view (its ring must be this daemon's). */
function activeBody(s: ActiveSnapshot, ring: string, url: URL): unknown {
  const given = url.searchParams.getAll('tenant');
  const unknownParams = [...url.searchParams.keys()].filter((k) => k !== 'tenant');
  if (unknownParams.length > 0)
    throw new ApiError(400, `unknown query parameter "${unknownParams[0]!.slice(0, 40)}"`, {
      expected: 'tenant=<id>, or none',
    });
  if (given.length === 0) return s;
  if (given.length > 1) throw new ApiError(400, 'tenant given more than once');
  const tenant = given[0]!;
  if (!TENANT.test(tenant))
    throw new ApiError(400, `"${tenant.slice(0, 100)}" is not a tenant id`, {
      expected: "letters, digits, '.', '_' or '-', at most 128 characters, starting with a letter or digit",
    });
  const at = Object.hasOwn(s.tenants, tenant) ? s.tenants[tenant] : undefined;
  if (at === undefined)
    throw new ApiError(404, `tenant "${tenant}" is not assigned to any ring (rings/tenants.yaml)`, {
      tenant,
    });
  if (at !== ring)
    throw new ApiError(404, `tenant "${tenant}" is in ring ${at}; this daemon serves ring ${ring}`, {
      tenant,
      ring: at,
    });
  return {
    apiVersion: s.apiVersion,
    kind: 'TenantModules',
    ring,
    tenant,
    ...(s.commit !== undefined ? { commit: s.commit } : {}),
    modules: s.modules,
    generation: s.generation,
    publishedAt: s.publishedAt,
  };
}

/** One module: what is active (if anything), its status, the version before it and its quarantine entries. */
function moduleBody(p: Published, name: string, scrub: (text: string) => string): unknown {
  const rec = Object.hasOwn(p.state.modules, name) ? p.state.modules[name] : undefined;
  const quarantine = p.state.quarantine
    .filter((q) => q.module === name)
    .map((q) => ({ version: q.version, reason: scrub(q.reason), at: q.at }));
  if (!rec && quarantine.length === 0)
    throw new ApiError(404, `module "${name}" is not deployed in ring ${p.snapshot.ring}`, { module: name });
  const active = Object.hasOwn(p.snapshot.modules, name) ? p.snapshot.modules[name] : undefined;
  return {
    apiVersion: 'ringlock/v1',
    kind: 'Module',
    ring: p.snapshot.ring,
    name,
    status: rec?.status ?? 'absent',
    active: active ?? null,
    ...(rec?.previous ? { previous: { version: rec.previous.version, sha256: rec.previous.sha256 } } : {}),
    // A hook's output tail: it may quote a secret of the daemon's environment.
    ...(rec?.lastError !== undefined ? { lastError: scrub(rec.lastError) } : {}),
    quarantine,
    generation: p.snapshot.generation,
    publishedAt: p.snapshot.publishedAt,
  };
}

/** Strong: equal only for byte-equal bodies (the generation first, for a reader of logs). */
export function etagOf(generation: number, text: string): string {
  return `"${generation}-${createHash('sha256').update(text).digest('hex').slice(0, 32)}"`;
}

/** `If-None-Match` compares weakly (RFC 9110 13.1.2): `W/` is ignored; `*` matches any current representation. */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}

function reply(req: IncomingMessage, res: ServerResponse, generation: number, body: unknown): void {
  const text = `${canonical(body, 2)}\n`;
  const etag = etagOf(generation, text);
  const headers = { etag, 'cache-control': 'no-cache' };
  if (matches(req.headers['if-none-match'], etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(req.method === 'HEAD' ? undefined : text);
}
