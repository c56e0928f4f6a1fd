// One request to an OCI registry, authenticated as the registry asks: anonymous first, then its WWW-Authenticate
// challenge (a bearer token from its token service for the scope, or Basic), or a pre-issued bearer token. Credentials
// are read at call time, sent only where oci-auth allows, and never shown; redirects (blob storage) get none.
import type http from 'node:http';
import { OperationFailed, RinglockError } from '../../errors.js';
import { RETRY_CODES, Retryable, retryAfter, sendRequest } from './http-retry.js';
import { basicHeader, type Credentials, describeCredentials, parseChallenge, realmUrl } from './oci-auth.js';
import type { OciLocation } from './oci-ref.js';
import { displayUrl } from './types.js';

export interface OciClientOptions {
  loc: OciLocation;
  tokenEnv?: string;
  /** The variable holding the user name sent with the token (default RINGLOCK_REGISTRY_USER). */
  userEnv?: string;
  env: Record<string, string | undefined>;
  insecure: boolean;
  /** Whether the operator allows the credentials at this URL (a token service on another host). */
  credentialsAllowed?: (url: string) => boolean;
  timeoutMs: number;
  ca?: string | Buffer | Array<string | Buffer>;
  agent?: http.Agent;
}

export type Body = Buffer | { file: string; size: number };

export interface OciRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT';
  /** A path under the registry (`/v2/…`) or an absolute URL it gave (an upload location). */
  url: string | URL;
  scope: string;
  headers?: http.OutgoingHttpHeaders;
  body?: Body;
  signal?: AbortSignal;
  what: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const TOKEN_MAX = 1024 * 1024;

export class OciClient {
  readonly origin: string;
  private readonly tokens = new Map<string, string>();
  private basic = false;

  constructor(private readonly o: OciClientOptions) {
    this.origin = `${o.loc.protocol}//${o.loc.host}`;
  }

  credentials(): Credentials {
    const userEnv = this.o.userEnv ?? 'RINGLOCK_REGISTRY_USER';
    const secret = this.o.tokenEnv ? this.o.env[this.o.tokenEnv] || undefined : undefined;
    const user = this.o.env[userEnv] || undefined;
    return { userEnv, tokenEnv: this.o.tokenEnv, user: secret === undefined ? undefined : user, secret };
  }

  /** The response to a request: any status but 401 (after the challenge was answered), which is thrown. */
  async send(r: OciRequest): Promise<http.IncomingMessage> {
    let url = typeof r.url === 'string' ? new URL(r.url, this.origin) : r.url;
    let answered = false;
    for (let hop = 0; ; hop++) {
      const own = url.origin === this.origin;
      const res = await this.raw(
        r.method,
        url,
        { ...r.headers, ...(own ? this.auth(r.scope) : {}) },
        r.body,
        r.signal,
      );
      const s = res.statusCode ?? 0;
      if (s === 401 && own && !answered) {
        res.resume();
        answered = true;
        await this.answer(res.headers['www-authenticate'], r.scope, r.what, r.signal);
        continue;
      }
      if (s === 401 || (s === 403 && own)) {
        res.resume();
        throw new OperationFailed(
          'registry/auth',
          `${r.what}: ${r.method} ${displayUrl(url)} answered HTTP ${s}; ${describeCredentials(this.credentials())} was not accepted for ${r.scope}`,
          {
            expected:
              'credentials the registry accepts: registry.tokenEnv (and RINGLOCK_REGISTRY_USER) in the operator config',
          },
        );
      }
      if (REDIRECTS.has(s) && res.headers.location && (r.method === 'GET' || r.method === 'HEAD')) {
        res.resume();
        const next = new URL(res.headers.location, url);
        if (hop >= 5) throw new OperationFailed('registry/redirects', `${r.what}: more than 5 redirects`);
        if (next.protocol !== 'https:' && (next.protocol !== 'http:' || url.protocol === 'https:')) {
          throw new OperationFailed(
            'registry/insecure-redirect',
            `${r.what}: ${displayUrl(url)} redirects to ${next.protocol} ${next.host}; refused`,
            { expected: 'redirects to https (or http from http)' },
          );
        }
        url = next;
        continue;
      }
      return res;
    }
  }

  /** The Authorization header for the registry's own origin. */
  private auth(scope: string): http.OutgoingHttpHeaders {
    const token = this.tokens.get(scope);
    if (token) return { authorization: `Bearer ${token}` };
    const c = this.credentials();
    if (c.secret === undefined) return {};
    if (this.basic && c.user !== undefined) return { authorization: basicHeader(c.user, c.secret) };
    // A token without a user is a pre-issued bearer token, sent as it is.
    if (c.user === undefined) return { authorization: `Bearer ${c.secret}` };
    return {};
  }

  private async answer(
    header: string | string[] | undefined,
    scope: string,
    what: string,
    signal?: AbortSignal,
  ) {
    const ch = parseChallenge(header);
    const c = this.credentials();
    if (ch?.scheme === 'basic' && c.secret !== undefined && c.user !== undefined && !this.basic) {
      this.basic = true;
      return;
    }
    if (ch?.scheme !== 'bearer' || (c.secret !== undefined && c.user === undefined)) {
      // Nothing more to try: the request is sent again as it was and its 401 reported.
      return;
    }
    const realm = realmUrl(ch, this.origin, c, {
      insecure: this.o.insecure,
      allowed: this.o.credentialsAllowed,
    });
    if (ch.params.service) realm.searchParams.set('service', ch.params.service);
    realm.searchParams.set('scope', scope);
    const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
    if (c.secret !== undefined && c.user !== undefined) headers.authorization = basicHeader(c.user, c.secret);
    const res = await this.raw('GET', realm, headers, undefined, signal);
    const s = res.statusCode ?? 0;
    const body = await readLimited(res, TOKEN_MAX, `${what}: the token service's answer`);
    if (s === 401 || s === 403) {
      throw new OperationFailed(
        'registry/auth',
        `${what}: the token service at ${realm.host} answered HTTP ${s}; ${describeCredentials(c)} was refused`,
        {
          expected:
            'credentials the registry accepts: registry.tokenEnv (and RINGLOCK_REGISTRY_USER) in the operator config',
        },
      );
    }
    if (s >= 500 || s === 429)
      throw new Retryable(`token service HTTP ${s}`, retryAfter(res.headers['retry-after']));
    let token: unknown;
    try {
      const j = JSON.parse(body.toString('utf8')) as { token?: unknown; access_token?: unknown };
      token = j.token ?? j.access_token;
    } catch {
      token = undefined;
    }
    if (s !== 200 || typeof token !== 'string' || token === '' || /[\s\0]/.test(token)) {
      throw new OperationFailed(
        'registry/auth',
        `${what}: the token service at ${realm.host} gave no token (HTTP ${s})`,
      );
    }
    this.tokens.set(scope, token);
  }

  private async raw(
    method: string,
    url: URL,
    extra: http.OutgoingHttpHeaders,
    body: Body | undefined,
    signal?: AbortSignal,
  ): Promise<http.IncomingMessage> {
    const headers: http.OutgoingHttpHeaders = {
      'user-agent': 'ringlock',
      'accept-encoding': 'identity',
      ...extra,
    };
    if (body !== undefined) headers['content-length'] = Buffer.isBuffer(body) ? body.length : body.size;
    else if (method === 'POST' || method === 'PUT') headers['content-length'] = 0;
    return sendRequest(url, {
      method,
      headers,
      ...(body !== undefined ? { body: Buffer.isBuffer(body) ? body : { file: body.file } } : {}),
      signal,
      agent: this.o.agent,
      ca: this.o.ca,
      timeoutMs: this.o.timeoutMs,
    });
  }
}

/** A whole (small) body, refused past `max` bytes. */
export async function readLimited(res: http.IncomingMessage, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) {
      res.destroy();
      throw new OperationFailed('registry/too-large', `${what} is larger than ${max} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** A failure as worth another attempt, or thrown as final. */
export function classify(e: unknown, what: string, origin: string): Retryable {
  if (e instanceof Retryable) return e;
  if (e instanceof RinglockError) throw e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? '';
  const message = e instanceof Error ? e.message : String(e);
  if (RETRY_CODES.has(code) || message === 'aborted')
    return new Retryable(`${message} (${code || 'reset'})`, undefined, e);
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|EPROTO/.test(code)) {
    throw new OperationFailed('registry/tls', `${what}: TLS failure talking to ${origin} (${code})`, {
      expected:
        'a certificate the system or NODE_EXTRA_CA_CERTS trusts, or registry.insecure: true for plain HTTP',
      cause: e,
    });
  }
  throw new OperationFailed('registry/request', `${what}: ${origin}: ${code || message}`, { cause: e });
}

/** A registry error answer's codes (`MANIFEST_UNKNOWN`, `BLOB_UNKNOWN`…), for messages. */
export async function errorCodes(res: http.IncomingMessage): Promise<string> {
  try {
    const body = await readLimited(res, 64 * 1024, 'error');
    const j = JSON.parse(body.toString('utf8')) as { errors?: { code?: unknown }[] };
    const codes = (j.errors ?? []).map((e) => e.code).filter((c): c is string => typeof c === 'string');
    return codes.length ? ` (${codes.map((c) => c.replace(/[^A-Z_]/g, '').slice(0, 40)).join(', ')})` : '';
  } catch {
    return '';
  }
}

/** Throws for a status not in `ok`: 5xx/429/408 retryable, 404 not found, others final. Drains the body. */
export async function expectStatus(
  res: http.IncomingMessage,
  ok: number[],
  op: string,
  what: string,
  location: string,
): Promise<void> {
  const s = res.statusCode ?? 0;
  if (ok.includes(s)) {
    res.resume();
    return;
  }
  const codes = await errorCodes(res);
  if (s >= 500 || s === 429 || s === 408) {
    throw new Retryable(`HTTP ${s}${codes}`, retryAfter(res.headers['retry-after']));
  }
  if (s === 404) {
    throw new OperationFailed('registry/not-found', `${what}: ${op} at ${location}: not found${codes}`, {
      expected: 'the artifact ringlock publish pushed (its digest as the lock records it)',
    });
  }
  throw new OperationFailed('registry/http', `${what}: ${op} at ${location} answered HTTP ${s}${codes}`);
}
