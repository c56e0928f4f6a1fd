// Outbound webhook notifications: signed JSON POSTs, one FIFO queue per target, retried with backoff.
// emit() never throws and never waits; flush() is for shutdown.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import { InputError } from '../errors.js';
import { redactUrl, scrub } from '../redact.js';
import { VERSION } from '../version.js';

export type NotificationEventName =
  | 'module.installed'
  | 'module.upgraded'
  | 'module.rolled_back'
  | 'module.failed'
  | 'module.blocked'
  | 'module.disabled'
  | 'module.enabled'
  | 'module.removed'
  | 'reconcile.failed'
  | 'drift.detected';

export const NOTIFICATION_EVENTS: readonly NotificationEventName[] = Object.freeze([
  'module.installed',
  'module.upgraded',
  'module.rolled_back',
  'module.failed',
  'module.blocked',
  'module.disabled',
  'module.enabled',
  'module.removed',
  'reconcile.failed',
  'drift.detected',
]);

/**
 * The version of every event's payload (schemas/event.schema.json). A breaking change to an event's fields raises it,
 * and both versions are sent during the migration (see README, Events).
 */
export const EVENT_SCHEMA_VERSION = 1;

export interface WebhookTarget {
  url: string;
  /** HMAC key for X-Ringlock-Signature-256. */
  secret?: string;
  /** Events sent to this target (default: all). */
  events?: NotificationEventName[];
}

export interface NotifierLogger {
  warn(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export interface NotifierOptions {
  targets: WebhookTarget[];
  ring: string;
  logger?: NotifierLogger;
  /** Per attempt, connect to response headers (default 10 s). */
  timeoutMs?: number;
  /** Attempts after the first (default 3). */
  retries?: number;
  /** Pending deliveries per target before the oldest is dropped (default 1000). */
  maxQueue?: number;
  userAgent?: string;
  /** Full-jitter backoff: random(0, min(cap, base·2^n)) (defaults 1 s, 30 s). */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Longest Retry-After honoured (default 60 s). */
  retryAfterCapMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export const SIGNATURE_HEADER = 'X-Ringlock-Signature-256';
const USER_AGENT = `ringlock/${VERSION}`;
const MAX_RESPONSE_BYTES = 64 * 1024;

/** GitHub's X-Hub-Signature-256 format: `sha256=<hex HMAC-SHA256 of the body bytes>`. */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Checks a `sha256=<hex>` header against the body in constant time; false for missing or malformed headers. */
export function verifySignature(
  secret: string,
  body: string | Buffer,
  header: string | string[] | undefined | null,
): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signBody(secret, body), 'utf8');
  const given = Buffer.from(header.trim(), 'utf8');
  // timingSafeEqual throws on different lengths; the length of a well-formed signature is public anyway.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

interface Delivery {
  id: string;
  event: NotificationEventName;
  body: string;
}

interface Target {
  url: URL;
  display: string;
  secret?: string;
  events: ReadonlySet<NotificationEventName>;
  queue: Delivery[];
  running?: Promise<void>;
}

interface Outcome {
  ok: boolean;
  retry: boolean;
  status?: number;
  retryAfterMs?: number;
  error?: string;
}

export class Notifier {
  readonly stats = { delivered: 0, failed: 0, dropped: 0 };
  private readonly targets: Target[];
  private readonly ring: string;
  private readonly logger?: NotifierLogger;
  private readonly o: Required<Omit<NotifierOptions, 'targets' | 'ring' | 'logger'>>;

  constructor(opts: NotifierOptions) {
    this.ring = opts.ring;
    this.logger = opts.logger;
    this.o = {
      timeoutMs: opts.timeoutMs ?? 10_000,
      retries: opts.retries ?? 3,
      maxQueue: Math.max(1, opts.maxQueue ?? 1000),
      userAgent: opts.userAgent ?? USER_AGENT,
      backoffBaseMs: opts.backoffBaseMs ?? 1000,
      backoffCapMs: opts.backoffCapMs ?? 30_000,
      retryAfterCapMs: opts.retryAfterCapMs ?? 60_000,
      sleep: opts.sleep ?? ((ms) => delay(ms)),
      random: opts.random ?? Math.random,
    };
    this.targets = opts.targets.map((t, i) => parseTarget(t, i));
  }

  emit(event: NotificationEventName, data: Record<string, unknown>): void {
    try {
      const wanted = this.targets.filter((t) => t.events.has(event));
      if (wanted.length === 0) return;
      // One id per event, kept by every retry and every target: a receiver that sees an id twice has seen it already.
      const id = randomUUID();
      const body = JSON.stringify({
        schemaVersion: EVENT_SCHEMA_VERSION,
        id,
        event,
        ring: this.ring,
        timestamp: new Date().toISOString(),
        data,
      });
      for (const t of wanted) this.enqueue(t, { id, event, body });
    } catch (e) {
      // A payload JSON cannot encode (a cycle, a BigInt) is our bug, but must not break the reconcile loop.
      this.stats.failed++;
      this.warn({ event, error: errorText(e) }, 'notification not sent: the event could not be encoded');
    }
  }

  /** Resolves once every queued delivery has been sent or given up, or after timeoutMs, whichever is first. */
  async flush(timeoutMs: number): Promise<void> {
    const idle = async () => {
      for (;;) {
        const running = this.targets.flatMap((t) => (t.running ? [t.running] : []));
        if (running.length === 0) return;
        await Promise.all(running);
      }
    };
    const timer = new AbortController();
    const expired = delay(timeoutMs, 'timeout' as const, { signal: timer.signal }).catch(
      () => 'done' as const,
    );
    const first = await Promise.race([idle().then(() => 'done' as const), expired]);
    timer.abort();
    if (first === 'timeout') {
      const pending = this.targets.reduce((n, t) => n + t.queue.length + (t.running ? 1 : 0), 0);
      this.warn({ pending, timeoutMs }, 'notifications still pending at shutdown');
    }
  }

  // A logger that throws must not stop deliveries.
  private warn(obj: object, msg: string): void {
    try {
      this.logger?.warn(obj, msg);
    } catch {}
  }

  private debug(obj: object, msg: string): void {
    try {
      this.logger?.debug?.(obj, msg);
    } catch {}
  }

  private enqueue(t: Target, d: Delivery): void {
    if (t.queue.length >= this.o.maxQueue) {
      const old = t.queue.shift()!;
      this.stats.dropped++;
      this.warn(
        { url: t.display, event: old.event, delivery: old.id, maxQueue: this.o.maxQueue },
        'notification queue full: dropped the oldest delivery',
      );
    }
    t.queue.push(d);
    this.kick(t);
  }

  /** One worker per target keeps deliveries in order; it restarts itself if work arrived as it finished. */
  private kick(t: Target): void {
    if (t.running) return;
    t.running = (async () => {
      for (let d = t.queue.shift(); d; d = t.queue.shift()) {
        try {
          await this.deliver(t, d);
        } catch (e) {
          this.stats.failed++;
          this.warn({ url: t.display, delivery: d.id, error: errorText(e) }, 'notification failed');
        }
      }
    })().finally(() => {
      t.running = undefined;
      if (t.queue.length > 0) this.kick(t);
    });
  }

  private async deliver(t: Target, d: Delivery): Promise<void> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': this.o.userAgent,
      'X-Ringlock-Event': d.event,
      'X-Ringlock-Delivery': d.id,
    };
    if (t.secret !== undefined) headers[SIGNATURE_HEADER] = signBody(t.secret, d.body);
    const secrets = [t.secret, decodeURIComponent(t.url.password)];
    for (let attempt = 0; ; attempt++) {
      const r = await post(t.url, headers, d.body, this.o.timeoutMs);
      const where = {
        url: t.display,
        event: d.event,
        delivery: d.id,
        attempt: attempt + 1,
        status: r.status,
      };
      if (r.ok) {
        this.stats.delivered++;
        this.debug(where, 'notification delivered');
        return;
      }
      const error = scrub(r.error ?? `HTTP ${r.status}`, secrets);
      if (!r.retry || attempt >= this.o.retries) {
        this.stats.failed++;
        this.warn({ ...where, error }, 'notification failed');
        return;
      }
      const { backoffBaseMs: base, backoffCapMs: cap } = this.o;
      const jitter = this.o.random() * Math.min(cap, base * 2 ** attempt);
      const wait = Math.max(jitter, Math.min(r.retryAfterMs ?? 0, this.o.retryAfterCapMs));
      this.debug({ ...where, error, retryInMs: Math.round(wait) }, 'notification will be retried');
      await this.o.sleep(wait);
    }
  }
}

function parseTarget(t: WebhookTarget, i: number): Target {
  let url: URL;
  try {
    url = new URL(t.url);
  } catch (e) {
    throw new InputError('config/notification-url', `notification webhook #${i + 1} is not a URL`, {
      expected: 'an http:// or https:// URL',
      cause: new Error(scrub(errorText(e), [t.url, t.secret])),
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(
      'config/notification-url',
      `notification webhook #${i + 1} has scheme ${url.protocol}, which is not http(s)`,
      { expected: 'an http:// or https:// URL' },
    );
  }
  for (const e of t.events ?? []) {
    if (!NOTIFICATION_EVENTS.includes(e)) {
      throw new InputError(
        'config/notification-event',
        `notification webhook #${i + 1}: unknown event "${e}"`,
        {
          expected: NOTIFICATION_EVENTS.join(', '),
        },
      );
    }
  }
  // Logged as origin + path: userinfo and the query (where tokens tend to live) stay out of logs.
  const display = redactUrl(`${url.origin}${url.pathname}`);
  return { url, display, secret: t.secret, events: new Set(t.events ?? NOTIFICATION_EVENTS), queue: [] };
}

/** One POST. Never rejects: the outcome says whether another attempt is worth it. */
function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const lib = url.protocol === 'https:' ? https : http;
    const h: Record<string, string> = { ...headers, 'Content-Length': String(Buffer.byteLength(body)) };
    if (url.username || url.password) {
      const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      h['Authorization'] = `Basic ${Buffer.from(user).toString('base64')}`;
    }
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(o);
    };
    const req = lib.request(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port,
        path: url.pathname + url.search,
        method: 'POST',
        headers: h,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        // The status is the answer; the receiver's body is drained and ignored.
        let seen = 0;
        res.on('data', (c: Buffer) => {
          seen += c.length;
          if (seen > MAX_RESPONSE_BYTES) res.destroy();
        });
        res.on('error', () => {});
        if (status >= 200 && status < 300) return finish({ ok: true, retry: false, status });
        const retry = status >= 500 || status === 429 || status === 408;
        finish({ ok: false, retry, status, retryAfterMs: retryAfter(res.headers['retry-after']) });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({ ok: false, retry: true, error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    req.on('error', (e) => finish({ ok: false, retry: true, error: errorText(e) }));
    req.end(body);
  });
}

/** Retry-After as delta-seconds or an HTTP date, in ms. */
function retryAfter(v: string | undefined): number | undefined {
  if (!v) return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
