// POST /hooks/github. Authenticated before the body is read: without a secret or a well-formed X-Hub-Signature-256
// the request is refused as soon as its headers arrive (the connection closes; nothing is buffered). A signed body
// streams through the HMAC with the size cap counted while reading, and only a bounded number of requests may be in
// that unverified phase at once. A verified push must then be new (delivery id and body not seen before), for the
// watched repository and branch; the fetch it asks for is rate-limited and coalesced.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, send } from './http-reply.js';
import type { Logger } from './logger.js';
import type { DaemonMetrics } from './metrics.js';
import { RateLimiter, RecentKeys, sameRepository } from './webhook-guards.js';

export interface WebhookOptions {
  secret?: string;
  /** The watched repository (URL or local path) and branch. */
  repo: string;
  branch: string;
  /** Largest body accepted (GitHub caps push payloads at 25 MB; most are a few KB). */
  maxBodyBytes: number;
  /** Requests whose signature is not checked yet (body still arriving) at once; more get 503. */
  maxUnverified?: number;
  /** Shortest time between two fetches forced by webhooks; pushes within it are coalesced. */
  fetchIntervalMs?: number;
  /** Delivery memory for replays: how many, how long. */
  rememberDeliveries?: number;
  rememberMs?: number;
  logger: Logger;
  metrics: DaemonMetrics;
  /** Asks the daemon to fetch and reconcile now. */
  trigger(): void;
}

/** Why a delivery was not acted on: the `result` label of ringlock_webhooks_total and the reason in the log. */
type Refusal = 'unauthorized' | 'too_large' | 'busy' | 'replay' | 'other_repo' | 'ignored' | 'bad_request';

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

export interface WebhookHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Shutdown: pending coalesced fetches are dropped. */
  stop(): void;
}

export function webhookHandler(o: WebhookOptions): WebhookHandler {
  const maxUnverified = o.maxUnverified ?? 4;
  // Two keys a delivery: its id and its signature.
  const recent = new RecentKeys(2 * (o.rememberDeliveries ?? 1_000), o.rememberMs ?? 24 * 3600_000);
  const limiter = new RateLimiter(o.fetchIntervalMs ?? 1_000, o.trigger);
  let unverified = 0;

  const refuse = (
    result: Refusal,
    why: string,
    meta: Record<string, unknown>,
  ): { result: Refusal; why: string } => {
    o.metrics.webhooks.inc({ result });
    o.logger.debug({ ...meta, result, reason: why }, `webhook ignored: ${why}`);
    return { result, why };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const event = String(req.headers['x-github-event'] ?? '');
    const delivery = String(req.headers['x-github-delivery'] ?? '');
    const meta = { event, delivery };
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (!o.secret) {
      refuse('unauthorized', 'no webhook secret is configured (RINGLOCK_WEBHOOK_SECRET)', meta);
      const why = 'webhooks are disabled: the daemon has no webhook secret (RINGLOCK_WEBHOOK_SECRET)';
      throw new HttpError(401, why, { close: true });
    }
    if (declared > o.maxBodyBytes) {
      refuse('too_large', `declared body of ${declared} bytes is over ${o.maxBodyBytes}`, meta);
      throw new HttpError(413, `body larger than ${o.maxBodyBytes} bytes`, { close: true });
    }
    const signature = req.headers['x-hub-signature-256'];
    const m = typeof signature === 'string' ? SIGNATURE.exec(signature.trim()) : null;
    if (!m) {
      refuse('unauthorized', signature === undefined ? 'unsigned' : 'malformed signature', meta);
      throw new HttpError(401, 'bad or missing X-Hub-Signature-256', { close: true });
    }
    if (unverified >= maxUnverified) {
      refuse('busy', `${unverified} webhook bodies are being verified already`, meta);
      throw new HttpError(503, 'busy: too many webhook requests at once', { close: true, retryAfter: 1 });
    }
    unverified++;
    let body: { chunks: Buffer[]; digest: Buffer };
    try {
      body = await readSigned(req, o.secret, o.maxBodyBytes);
    } catch (e) {
      if (e instanceof HttpError && e.status === 413)
        refuse('too_large', `body over ${o.maxBodyBytes} bytes`, meta);
      throw e;
    } finally {
      unverified--;
    }
    const given = Buffer.from(m[1]!, 'hex');
    if (!timingSafeEqual(given, body.digest)) {
      refuse('unauthorized', 'bad signature', meta);
      throw new HttpError(401, 'bad or missing X-Hub-Signature-256');
    }
    // Verified. A delivery id seen before, or the very same signed body again, is a replay.
    const keys = [`sig:${m[1]!.toLowerCase()}`];
    if (delivery) keys.push(`id:${delivery}`);
    if (recent.check(keys)) {
      refuse('replay', 'replay of a delivery already received', meta);
      return send(res, 202, { ok: true, triggered: false, reason: 'replay' });
    }
    if (event === 'ping') {
      o.metrics.webhooks.inc({ result: 'ping' });
      return send(res, 200, { ok: true, pong: true });
    }
    if (event !== 'push') {
      const r = refuse('ignored', `event "${event || '(none)'}" is not handled`, meta);
      return send(res, 202, { ok: true, triggered: false, reason: r.why });
    }
    let payload: Record<string, unknown>;
    try {
      payload = webhookPayload(req, Buffer.concat(body.chunks));
    } catch (e) {
      refuse('bad_request', 'the body is not a JSON object', meta);
      throw e;
    }
    if (!sameRepository(o.repo, payload.repository)) {
      const name = (payload.repository as { full_name?: unknown } | undefined)?.full_name;
      const r = refuse(
        'other_repo',
        typeof name === 'string'
          ? `push to another repository (${name})`
          : 'push without a repository that names the watched one',
        { ...meta, repository: typeof name === 'string' ? name : undefined },
      );
      return send(res, 202, { ok: true, triggered: false, reason: r.why });
    }
    const ref = payload.ref;
    if (typeof ref !== 'string') {
      refuse('bad_request', 'push payload without a "ref"', meta);
      throw new HttpError(400, 'push payload without a "ref"');
    }
    const watched = `refs/heads/${o.branch}`;
    if (ref !== watched) {
      const r = refuse('ignored', `push to ${ref}, the daemon watches ${watched}`, meta);
      return send(res, 202, { ok: true, triggered: false, reason: r.why });
    }
    const how = limiter.request();
    o.metrics.webhooks.inc({ result: 'triggered' });
    o.logger.info({ ...meta, after: payload.after, fetch: how }, 'push webhook: reconciling now');
    send(res, 202, { ok: true, triggered: true, ...(how === 'coalesced' ? { coalesced: true } : {}) });
  };

  return { handle, stop: () => limiter.stop() };
}

/** Reads the body through the HMAC, refusing it (413) as soon as it grows over the cap. */
function readSigned(
  req: IncomingMessage,
  secret: string,
  max: number,
): Promise<{ chunks: Buffer[]; digest: Buffer }> {
  return new Promise((resolve, reject) => {
    const hmac = createHmac('sha256', secret);
    let chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
    };
    req.on('data', (c: Buffer) => {
      if (settled) return;
      size += c.length;
      if (size > max) {
        chunks = [];
        settle(() => reject(new HttpError(413, `body larger than ${max} bytes`, { close: true })));
        req.pause();
        return;
      }
      hmac.update(c);
      chunks.push(c);
    });
    req.on('end', () => settle(() => resolve({ chunks, digest: hmac.digest() })));
    req.on('error', (e) => settle(() => reject(e)));
    req.on('close', () =>
      settle(() => reject(new HttpError(400, 'the request ended before its body', { close: true }))),
    );
  });
}

/** The JSON of a GitHub webhook body: application/json, or form-encoded with a `payload` field. */
function webhookPayload(req: IncomingMessage, body: Buffer): Record<string, unknown> {
  const type = String(req.headers['content-type'] ?? '');
  let text = body.toString('utf8');
  if (type.startsWith('application/x-www-form-urlencoded'))
    text = new URLSearchParams(text).get('payload') ?? '';
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'the webhook body is not a JSON object');
  }
}
