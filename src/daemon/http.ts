// The daemon's HTTP surface: liveness, readiness, status, metrics, the GitHub push webhook, a reconcile endpoint for
// scripts and, with --serve-api, the read API (read-api.ts). Routing and probes here; the webhook's checks (signature
// before body, replays, repository, rate limit) are in webhook.ts.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Published } from '../publish/publication.js';
import { HttpError, send } from './http-reply.js';
import type { Logger } from './logger.js';
import type { DaemonMetrics } from './metrics.js';
import { READ_API_PREFIX, readApi } from './read-api.js';
import type { DaemonStatus } from './status.js';
import { webhookHandler } from './webhook.js';

export interface HttpApi {
  ready(): boolean;
  /**
   * The target has matched the lock at least once: a pass applied every change the lock asks for (or found none to
   * make). Stricter than ready(): a pass whose module failed and rolled back is ready, not synced.
   */
  synced(): boolean;
  status(): DaemonStatus;
  trigger(trigger: string, opts?: { full?: boolean }): void;
  branch: string;
  /** The watched repository (URL without credentials, or a local path): webhooks about another are ignored. */
  repo: string;
  /** Removes secret values from text that leaves the process (status may quote a hook's output). */
  scrub(text: string): string;
  /** The ring's last published snapshot, for the read API (`serveApi`). */
  published?(): Published | undefined;
  ring?: string;
}

export interface HttpOptions {
  host: string;
  port: number;
  webhookSecret?: string;
  apiToken?: string;
  /** Largest webhook body accepted (GitHub caps push payloads at 25 MB; most are a few KB). */
  maxBodyBytes: number;
  logger: Logger;
  metrics: DaemonMetrics;
  /** Serve the read API under /api/v1/ (`--serve-api`): read-only and unauthenticated, like /status. */
  serveApi?: boolean;
}

export interface DaemonHttp {
  server: Server;
  /** host:port actually bound (port 0 picks one). */
  address: string;
  /** Refuses new webhooks and reconcile requests (shutdown); probes keep answering until close(). */
  drain(): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > max) {
      reject(new HttpError(413, `body larger than ${max} bytes`, { close: true }));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new HttpError(413, `body larger than ${max} bytes`, { close: true }));
        req.pause();
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

export function startHttp(api: HttpApi, o: HttpOptions): Promise<DaemonHttp> {
  let draining = false;
  const log = o.logger;
  const webhook = webhookHandler({
    secret: o.webhookSecret,
    repo: api.repo,
    branch: api.branch,
    maxBodyBytes: o.maxBodyBytes,
    logger: log,
    metrics: o.metrics,
    trigger: () => api.trigger('webhook'),
  });
  const reconcile = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const auth = String(req.headers.authorization ?? '');
    const m = /^Bearer (.+)$/.exec(auth);
    if (!o.apiToken || !m || !sameToken(m[1]!, o.apiToken)) {
      throw new HttpError(
        401,
        o.apiToken
          ? 'missing or wrong bearer token'
          : 'disabled: the daemon has no API token (RINGLOCK_API_TOKEN)',
        { close: true },
      );
    }
    await readBody(req, 64 * 1024);
    const full = url.searchParams.get('full');
    api.trigger('api', { full: full === '1' || full === 'true' });
    send(res, 202, { ok: true, triggered: true, full: full === '1' || full === 'true' });
  };
  const api1 =
    o.serveApi && api.published && api.ring !== undefined
      ? readApi(api.ring, api.published, api.scrub.bind(api))
      : undefined;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://daemon');
    if (api1 && url.pathname.startsWith(READ_API_PREFIX)) return api1(req, res, url);
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /healthz':
        return send(res, 200, 'ok\n', 'text/plain; charset=utf-8');
      case 'GET /readyz':
        // `?synced`: the sidecar's readiness probe, so the pod joins its Service only with a complete module set.
        if (url.searchParams.has('synced'))
          return api.synced()
            ? send(res, 200, 'synced\n', 'text/plain; charset=utf-8')
            : send(
                res,
                503,
                'not synced: the target has not matched the lock yet\n',
                'text/plain; charset=utf-8',
              );
        return api.ready()
          ? send(res, 200, 'ready\n', 'text/plain; charset=utf-8')
          : send(res, 503, 'not ready: no successful sync yet\n', 'text/plain; charset=utf-8');
      case 'GET /status':
        return send(res, 200, api.scrub(`${JSON.stringify(api.status(), null, 2)}\n`), 'application/json');
      case 'GET /metrics':
        return send(res, 200, o.metrics.registry.render(), 'text/plain; version=0.0.4; charset=utf-8');
      case 'POST /hooks/github':
        if (draining) throw new HttpError(503, 'shutting down', { close: true });
        return webhook.handle(req, res);
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
        send(
          res,
          status,
          { ok: false, error: e instanceof HttpError ? e.message : 'internal error' },
          'application/json',
          e instanceof HttpError ? e.opts : {},
        );
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
          webhook.stop();
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
