// The daemon's HTTP surface: liveness, readiness, status, metrics, the GitHub push webhook and a reconcile endpoint for
// scripts. Webhooks are authenticated (HMAC-SHA256 of the exact body, constant-time), bodies are capped, and nothing
// is triggered by a request that fails either check.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from './logger.js';
import type { DaemonMetrics } from './metrics.js';
import { verifySignature } from './notify.js';
import type { DaemonStatus } from './status.js';

export interface HttpApi {
  ready(): boolean;
  status(): DaemonStatus;
  trigger(trigger: string, opts?: { full?: boolean }): void;
  branch: string;
  /** Removes secret values from text that leaves the process (status may quote a hook's output). */
  scrub(text: string): string;
}

export interface HttpOptions {
  host: string;
  port: number;
  webhookSecret?: string;
  apiToken?: string;
  /** Largest request body accepted (GitHub caps push payloads at 25 MB; most are a few KB). */
  maxBodyBytes: number;
  logger: Logger;
  metrics: DaemonMetrics;
}

export interface DaemonHttp {
  server: Server;
  /** host:port actually bound (port 0 picks one). */
  address: string;
  /** Refuses new webhooks and reconcile requests (shutdown); probes keep answering until close(). */
  drain(): void;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    'content-type': type === 'application/json' ? 'application/json; charset=utf-8' : type,
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > max) {
      reject(new HttpError(413, `body larger than ${max} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new HttpError(413, `body larger than ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sameToken(given: string, want: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
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

export function startHttp(api: HttpApi, o: HttpOptions): Promise<DaemonHttp> {
  let draining = false;
  const log = o.logger;
  const webhook = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req, o.maxBodyBytes);
    const event = String(req.headers['x-github-event'] ?? '');
    const delivery = String(req.headers['x-github-delivery'] ?? '');
    const signature = req.headers['x-hub-signature-256'];
    if (!o.webhookSecret) {
      o.metrics.webhooks.inc({ result: 'unauthorized' });
      log.warn(
        { event, delivery },
        'webhook refused: no webhook secret is configured (RINGLOCK_WEBHOOK_SECRET)',
      );
      throw new HttpError(
        401,
        'webhooks are disabled: the daemon has no webhook secret (RINGLOCK_WEBHOOK_SECRET)',
      );
    }
    if (typeof signature !== 'string' || !verifySignature(o.webhookSecret, body, signature)) {
      o.metrics.webhooks.inc({ result: 'unauthorized' });
      log.warn(
        { event, delivery, signed: typeof signature === 'string' },
        'webhook refused: bad or missing signature',
      );
      throw new HttpError(401, 'bad or missing X-Hub-Signature-256');
    }
    if (event === 'ping') {
      o.metrics.webhooks.inc({ result: 'ping' });
      send(res, 200, { ok: true, pong: true });
      return;
    }
    if (event !== 'push') {
      o.metrics.webhooks.inc({ result: 'ignored' });
      send(res, 202, { ok: true, triggered: false, reason: `event "${event || '(none)'}" is not handled` });
      return;
    }
    const payload = webhookPayload(req, body);
    const ref = payload.ref;
    if (typeof ref !== 'string') throw new HttpError(400, 'push payload without a "ref"');
    const watched = `refs/heads/${api.branch}`;
    if (ref !== watched) {
      o.metrics.webhooks.inc({ result: 'ignored' });
      send(res, 202, { ok: true, triggered: false, reason: `push to ${ref}, the daemon watches ${watched}` });
      return;
    }
    o.metrics.webhooks.inc({ result: 'triggered' });
    log.info({ delivery, after: payload.after }, 'push webhook: reconciling now');
    api.trigger('webhook');
    send(res, 202, { ok: true, triggered: true });
  };
  const reconcile = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    await readBody(req, 64 * 1024);
    const auth = String(req.headers.authorization ?? '');
    const m = /^Bearer (.+)$/.exec(auth);
    if (!o.apiToken || !m || !sameToken(m[1]!, o.apiToken)) {
      throw new HttpError(
        401,
        o.apiToken
          ? 'missing or wrong bearer token'
          : 'disabled: the daemon has no API token (RINGLOCK_API_TOKEN)',
      );
    }
    const full = url.searchParams.get('full');
    api.trigger('api', { full: full === '1' || full === 'true' });
    send(res, 202, { ok: true, triggered: true, full: full === '1' || full === 'true' });
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://daemon');
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /healthz':
        return send(res, 200, 'ok\n', 'text/plain; charset=utf-8');
      case 'GET /readyz':
        return api.ready()
          ? send(res, 200, 'ready\n', 'text/plain; charset=utf-8')
          : send(res, 503, 'not ready: no successful sync yet\n', 'text/plain; charset=utf-8');
      case 'GET /status':
        return send(res, 200, api.scrub(`${JSON.stringify(api.status(), null, 2)}\n`), 'application/json');
      case 'GET /metrics':
        return send(res, 200, o.metrics.registry.render(), 'text/plain; version=0.0.4; charset=utf-8');
      case 'POST /hooks/github':
        if (draining) throw new HttpError(503, 'shutting down');
        return webhook(req, res);
      case 'POST /reconcile':
        if (draining) throw new HttpError(503, 'shutting down');
        return reconcile(req, res, url);
      default:
        if (
          ['/healthz', '/readyz', '/status', '/metrics', '/hooks/github', '/reconcile'].includes(url.pathname)
        )
          throw new HttpError(405, `${req.method} not allowed on ${url.pathname}`);
        throw new HttpError(404, `no such endpoint: ${url.pathname}`);
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (status === 500) log.error({ err: e, url: req.url }, 'HTTP handler failed');
      if (!res.headersSent)
        send(res, status, { ok: false, error: e instanceof HttpError ? e.message : 'internal error' });
      else res.destroy();
    });
  });
  // Slow or stalled clients cannot hold the daemon's sockets.
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      const a = server.address();
      const address =
        typeof a === 'object' && a
          ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`
          : String(a);
      resolve({
        server,
        address,
        drain() {
          draining = true;
        },
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
