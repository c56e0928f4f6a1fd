// Answers of the daemon's HTTP surface: a JSON or text reply, and the error a handler throws to get one. `close` asks
// for the connection to be closed once the reply is out, so a refused request's unread body is never read.
import type { ServerResponse } from 'node:http';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly opts: { close?: boolean; retryAfter?: number } = {},
  ) {
    super(message);
  }
}

export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  type = 'application/json',
  opts: { close?: boolean; retryAfter?: number } = {},
): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body, null, 2)}\n`;
  const headers: Record<string, string | number> = {
    'content-type': type === 'application/json' ? 'application/json; charset=utf-8' : type,
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  };
  if (opts.retryAfter !== undefined) headers['retry-after'] = opts.retryAfter;
  if (opts.close) {
    headers.connection = 'close';
    // The reply is flushed first; then the socket goes, with whatever body the client was still sending.
    res.once('finish', () => res.req.socket.destroy());
  }
  res.writeHead(status, headers);
  res.end(text);
}
