// What the HTTP registry drivers share about failing: which failures are worth another attempt, and the backoff loop.
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
