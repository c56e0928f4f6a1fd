// What the HTTP registry drivers share: sending one request, which failures are worth another attempt, and the
// backoff loop.
import { createReadStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';

/** A failure worth another attempt. */
export class Retryable extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

// Resets, refusals, timeouts and DNS hiccups: the network failed, not the request.
export const RETRY_CODES = new Set(
  `ECONNRESET EPIPE ECONNREFUSED ECONNABORTED ETIMEDOUT ENETUNREACH EHOSTUNREACH
   EAI_AGAIN ENOTFOUND ERR_STREAM_PREMATURE_CLOSE`.split(/\s+/),
);
export interface RetryPolicy {
  retries: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
}

/**
 * Runs `fn` until it succeeds, `classify` throws (a final failure), or `retries` more attempts failed (then `fail`'s
 * error). Full-jitter exponential backoff between attempts, at least a Retry-After; an abort ends the wait.
 */
export async function retrying<T>(
  o: RetryPolicy,
  signal: AbortSignal | undefined,
  fn: () => Promise<T>,
  classify: (e: unknown) => Retryable,
  fail: (attempts: number, last: Retryable) => Error,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (signal?.aborted) throw signal.reason ?? e;
      const r = classify(e);
      if (attempt >= o.retries) throw fail(attempt + 1, r);
      const cap = o.backoffCapMs;
      const jitter = o.random() * Math.min(cap, o.backoffBaseMs * 2 ** attempt);
      try {
        await o.sleep(Math.min(cap, Math.max(jitter, r.retryAfterMs ?? 0)), signal);
      } catch (slept) {
        throw signal?.aborted ? (signal.reason ?? slept) : slept;
      }
    }
  }
}

export function truncated(received: number, declared: number, cause?: unknown): Retryable {
  return new Retryable(`truncated body: ${received} of ${declared} bytes`, undefined, cause);
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function retryAfter(v: string | undefined): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

export const defaultSleep = (ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal });

/** How one request is sent: the transport options both registry drivers share. */
export interface SendOptions {
  method: string;
  headers: http.OutgoingHttpHeaders;
  /** A whole body, or a file streamed (its content-length is the caller's). */
  body?: Buffer | { file: string };
  signal?: AbortSignal;
  agent?: http.Agent;
  ca?: string | Buffer | Array<string | Buffer>;
  /** Until the response's headers arrive; then the request is destroyed with a Retryable. */
  timeoutMs: number;
}

/** Sends one request over http or https by the URL's scheme and resolves with the response once its headers arrive. */
export function sendRequest(url: URL, o: SendOptions): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const opts: https.RequestOptions = { method: o.method, headers: o.headers };
    if (o.signal) opts.signal = o.signal;
    if (o.agent) opts.agent = o.agent;
    if (o.ca) opts.ca = o.ca;
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(url, opts, (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    const timer = setTimeout(
      () => req.destroy(new Retryable(`no response within ${o.timeoutMs} ms`)),
      o.timeoutMs,
    );
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    const body = o.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else
      createReadStream(body.file)
        .on('error', (e) => req.destroy(e))
        .pipe(req);
  });
}
