// A generic HTTP(S) registry: GET `<base>/<artifact>`, PUT to publish. Built on node:http so that timeouts,
// truncated bodies and resets are ours to see; the bearer token is read at call time and never shown.
import { randomBytes } from 'node:crypto';
import { createWriteStream, openSync, renameSync, rmSync, statSync } from 'node:fs';
import type http from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError, OperationFailed, RinglockError, TransientError } from '../../errors.js';
import {
  defaultSleep,
  RETRY_CODES,
  Retryable,
  retryAfter,
  retrying,
  sendRequest,
  truncated,
} from './http-retry.js';
import {
  type ArtifactRef,
  type ArtifactRegistry,
  checkPublish,
  displayUrl,
  type PublishFile,
  resolveArtifact,
} from './types.js';

export interface HttpRegistryOptions {
  /** Base URL; artifact paths are resolved under it. */
  url: string;
  /** Name of the env var holding a bearer token; read on every request. */
  tokenEnv?: string;
  /** Connect + response headers, per request (default 30 s). */
  timeoutMs?: number;
  /** Longest silence while a body streams (default: timeoutMs). */
  idleTimeoutMs?: number;
  /** Largest body taken when the lock records no artifact_size (default 512 MiB); more fails the download. */
  maxSize?: number;
  /** Longest one fetch() may take, all attempts and backoff included (default 10 min; 0: none). */
  deadlineMs?: number;
  /** Attempts after the first (default 3). */
  retries?: number;
  /** Full-jitter exponential backoff: random(0, min(cap, base·2^n)) (defaults 200 ms, 5 s). */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  maxRedirects?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** A custom agent (proxy, pinned CA, keep-alive policy). NODE_EXTRA_CA_CERTS applies without one. */
  agent?: http.Agent;
  ca?: string | Buffer | Array<string | Buffer>;
  /** Where tokenEnv is looked up (default process.env). */
  env?: Record<string, string | undefined>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
export const DEFAULT_MAX_SIZE = 512 * 1024 * 1024;
export const DEFAULT_DEADLINE_MS = 10 * 60_000;

export class HttpRegistry implements ArtifactRegistry {
  readonly location: string;
  private readonly base: URL;
  private readonly o: Required<Omit<HttpRegistryOptions, 'tokenEnv' | 'agent' | 'ca' | 'idleTimeoutMs'>> &
    HttpRegistryOptions;

  constructor(options: HttpRegistryOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch (e) {
      throw new InputError('registry/url', 'the registry URL is malformed', {
        expected: 'https://…',
        cause: e,
      });
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new InputError('registry/url', `registry URL scheme ${base.protocol} is not http(s)`, {
        expected: 'https://…',
      });
    }
    base.search = '';
    base.hash = '';
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.base = base;
    this.location = displayUrl(base);
    const o = options;
    this.o = {
      ...o,
      timeoutMs: o.timeoutMs ?? 30_000,
      maxSize: o.maxSize ?? DEFAULT_MAX_SIZE,
      deadlineMs: o.deadlineMs ?? DEFAULT_DEADLINE_MS,
      retries: o.retries ?? 3,
      backoffBaseMs: o.backoffBaseMs ?? 200,
      backoffCapMs: o.backoffCapMs ?? 5_000,
      maxRedirects: o.maxRedirects ?? 5,
      sleep: o.sleep ?? defaultSleep,
      random: o.random ?? Math.random,
      env: o.env ?? process.env,
    };
  }

  async fetch(ref: ArtifactRef, dest: string, signal?: AbortSignal): Promise<void> {
    const target = resolveArtifact(ref, true);
    const url = typeof target === 'string' ? this.under(target) : target;
    const what = `${ref.module}@${ref.version}`;
    // One deadline over every attempt: retries must not stretch a slow download without bound (a trickling body
    // resets the idle timeout with every byte). It aborts the request in flight; the partial file is removed.
    const ms = this.o.deadlineMs;
    const deadline = new AbortController();
    const timer =
      ms > 0 &&
      setTimeout(
        () =>
          deadline.abort(
            new TransientError(
              'registry/deadline',
              `${what}: ${displayUrl(url)} not downloaded within ${ms} ms`,
              {
                expected: 'the download to finish within registry.deadline (raise it for a slow registry)',
              },
            ),
          ),
        ms,
      );
    const cancel = () => deadline.abort(signal?.reason);
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
    try {
      await this.withRetries(what, url, deadline.signal, () =>
        this.download(url, dest, ref.size, what, deadline.signal),
      );
    } finally {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', cancel);
    }
  }

  async publish(module: string, version: string, files: PublishFile[]): Promise<{ artifact: string }> {
    const artifact = checkPublish(module, version, files);
    for (const f of files) {
      const url = this.under(`${module}/${version}/${f.name}`);
      const what = `${module}@${version} ${f.name}`;
      await this.withRetries(what, url, undefined, async () => {
        const { res } = await this.open('PUT', url, f.path, what);
        res.resume();
      });
    }
    return { artifact };
  }

  private under(rel: string): URL {
    const encoded = rel.split('/').map((s) => encodeURIComponent(s).replace(/%40/g, '@'));
    return new URL(encoded.join('/'), this.base);
  }

  private withRetries(what: string, url: URL, signal: AbortSignal | undefined, fn: () => Promise<void>) {
    return retrying(
      this.o,
      signal,
      fn,
      (e) => this.classify(e, what, url),
      (attempts, r) =>
        new TransientError(
          'registry/unavailable',
          `${what}: ${displayUrl(url)} failed after ${attempts} attempt(s): ${r.message}`,
          { cause: r.cause ?? r, expected: 'the registry to answer; try again later' },
        ),
    );
  }

  /** Returns the failure as Retryable, or throws it as final. */
  private classify(e: unknown, what: string, url: URL): Retryable {
    if (e instanceof Retryable) return e;
    if (e instanceof RinglockError) throw e;
    const code = (e as NodeJS.ErrnoException | undefined)?.code ?? '';
    const message = e instanceof Error ? e.message : String(e);
    if (RETRY_CODES.has(code)) return new Retryable(`${message} (${code})`, undefined, e);
    if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
      throw new OperationFailed(
        'registry/tls',
        `${what}: TLS failure talking to ${displayUrl(url)} (${code})`,
        {
          expected: 'a certificate the system or NODE_EXTRA_CA_CERTS trusts',
          cause: e,
        },
      );
    }
    throw new OperationFailed('registry/request', `${what}: ${displayUrl(url)}: ${code || message}`, {
      cause: e,
    });
  }

  private async download(
    url: URL,
    dest: string,
    size: number | undefined,
    what: string,
    signal?: AbortSignal,
  ) {
    const tmp = `${dest}.${randomBytes(6).toString('hex')}.part`;
    let received = 0;
    let declared: number | undefined;
    let idle: NodeJS.Timeout | undefined;
    try {
      const { res, url: final } = await this.open('GET', url, undefined, what, signal);
      const cl = res.headers['content-length'];
      declared = cl === undefined ? undefined : Number(cl);
      if (size !== undefined && declared !== undefined && declared !== size) {
        res.destroy();
        throw new OperationFailed('integrity/size', `${what}: ${displayUrl(final)} has ${declared} bytes`, {
          expected: `${size} bytes`,
        });
      }
      const max = this.o.maxSize;
      const tooLarge = () =>
        new OperationFailed(
          'registry/too-large',
          `${what}: ${displayUrl(final)} is larger than ${max} bytes and the lock records no artifact_size`,
          { expected: `at most registry.maxSize (${max} bytes), or an artifact_size in the lock` },
        );
      if (size === undefined && declared !== undefined && declared > max) {
        res.destroy();
        throw tooLarge();
      }
      const idleMs = this.o.idleTimeoutMs ?? this.o.timeoutMs;
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(() => res.destroy(new Retryable(`no data for ${idleMs} ms`)), idleMs);
      };
      const count = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          received += chunk.length;
          arm();
          if (size !== undefined && received > size) {
            cb(
              new OperationFailed('integrity/size', `${what}: more than ${size} bytes`, {
                expected: `${size} bytes`,
              }),
            );
          } else if (size === undefined && received > max) cb(tooLarge());
          else cb(null, chunk);
        },
      });
      arm();
      // Opened here, not lazily by the stream, so the file exists before any failure and is removed after it.
      const fd = openSync(tmp, 'wx', 0o644);
      await pipeline(res, count, createWriteStream('', { fd }));
      if (declared !== undefined && received !== declared) throw truncated(received, declared);
      renameSync(tmp, dest);
    } catch (e) {
      rmSync(tmp, { force: true });
      // Node reports a body cut short as a bare reset ("aborted"); say what it means.
      const known = e instanceof RinglockError || e instanceof Retryable;
      if (!known && declared !== undefined && received < declared) throw truncated(received, declared, e);
      throw e;
    } finally {
      clearTimeout(idle);
    }
  }

  /** One request and its redirects, up to a 2xx response; anything else is thrown (classified). */
  private async open(
    method: 'GET' | 'PUT',
    url: URL,
    body: string | undefined,
    what: string,
    signal?: AbortSignal,
  ) {
    let current = url;
    for (let hop = 0; ; hop++) {
      const res = await this.request(method, current, body, signal);
      const s = res.statusCode ?? 0;
      if (s >= 200 && s < 300) return { res, url: current };
      res.resume();
      if (REDIRECTS.has(s) && res.headers.location && (method === 'GET' || s === 307 || s === 308)) {
        const next = new URL(res.headers.location, current);
        if (hop >= this.o.maxRedirects) {
          throw new OperationFailed(
            'registry/redirects',
            `${what}: more than ${this.o.maxRedirects} redirects`,
            {
              expected: `at most ${this.o.maxRedirects} redirects`,
            },
          );
        }
        if (next.protocol !== 'https:' && (next.protocol !== 'http:' || current.protocol === 'https:')) {
          throw new OperationFailed(
            'registry/insecure-redirect',
            `${what}: ${displayUrl(current)} redirects to ${next.protocol} ${next.host}; refused`,
            { expected: 'redirects to https (or http from http)' },
          );
        }
        current = next;
        continue;
      }
      throw this.statusError(s, res.headers, method, what, current);
    }
  }

  private statusError(s: number, h: http.IncomingHttpHeaders, method: string, what: string, url: URL): Error {
    const at = `${what}: ${method} ${displayUrl(url)} answered HTTP ${s}`;
    if (s === 401 || s === 403) {
      const env = this.o.tokenEnv;
      const hint = !env
        ? 'no token is configured (set registry.tokenEnv to the name of an env var holding one)'
        : this.token()
          ? `the token from $${env} was refused`
          : `$${env} is not set`;
      return new OperationFailed('registry/auth', `${at}; ${hint}`, {
        expected: env ? `a valid bearer token in $${env}` : 'registry.tokenEnv',
      });
    }
    if (s === 404 || s === 410) return new OperationFailed('registry/not-found', `${at} (not found)`);
    if (method === 'PUT' && (s === 409 || s === 412)) {
      return new InputError('registry/immutable', `${at}; releases are immutable`, {
        expected: 'a new version number for changed content',
      });
    }
    if (s === 408 || s === 429 || s >= 500) return new Retryable(`HTTP ${s}`, retryAfter(h['retry-after']));
    return new OperationFailed('registry/http', at);
  }

  private token(): string | undefined {
    const env = this.o.tokenEnv;
    const t = env ? this.o.env[env] : undefined;
    return t ? t : undefined;
  }

  private async request(
    method: string,
    url: URL,
    body: string | undefined,
    signal?: AbortSignal,
  ): Promise<http.IncomingMessage> {
    const headers: http.OutgoingHttpHeaders = {
      'user-agent': 'ringlock',
      accept: '*/*',
      'accept-encoding': 'identity',
    };
    // The token goes only to the registry's own origin, never to a host a lock or a redirect names.
    const token = this.token();
    if (token && url.origin === this.base.origin) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      headers['content-length'] = statSync(body).size;
    }
    return sendRequest(url, {
      method,
      headers,
      ...(body !== undefined ? { body: { file: body } } : {}),
      signal,
      agent: this.o.agent,
      ca: this.o.ca,
      timeoutMs: this.o.timeoutMs,
    });
  }
}
