// A platform's hook endpoint on 127.0.0.1, as the README tells one to write it: it verifies ringlock's signature
// (HMAC-SHA256 of "<timestamp>.<body>", constant-time compare, a 5-minute timestamp window) and runs the hook — here the
// reference as a shell script body, the context on stdin — answering {exitCode, output}. A client that goes away (the
// runner's timeout) kills the script.
import { spawn } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HookEndpoint {
  url: string;
  /** Every request as received: headers and body (what the tests assert on). */
  received: { headers: IncomingMessage['headers']; body: string; verified: boolean }[];
  close(): Promise<void>;
}

/** Whether `signature` is ringlock's for this body and a timestamp within five minutes. */
export function verify(secret: string, timestamp: string, body: string, signature: string): boolean {
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const want = Buffer.from(
    `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`,
  );
  const got = Buffer.from(signature);
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * Starts the endpoint. `answer`, when given, replaces running the script for the requests it handles (returns true):
 * the http runner's own tests answer with a status, a redirect or a flood.
 */
export async function startHookEndpoint(
  secret: string,
  answer?: (req: IncomingMessage, res: ServerResponse, body: string) => boolean,
): Promise<HookEndpoint> {
  const received: HookEndpoint['received'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verified = verify(
        secret,
        String(req.headers['x-ringlock-timestamp'] ?? ''),
        body,
        String(req.headers['x-ringlock-signature'] ?? ''),
      );
      received.push({ headers: req.headers, body, verified });
      if (!verified) {
        res.writeHead(401, { 'Content-Type': 'text/plain' }).end('bad signature');
        return;
      }
      if (answer?.(req, res, body)) return;
      const context = JSON.parse(body) as { reference: string };
      const child = spawn('sh', ['-c', context.reference], { stdio: ['pipe', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (b: Buffer) => {
        output += b.toString('utf8');
      });
      child.stderr.on('data', (b: Buffer) => {
        output += b.toString('utf8');
      });
      child.stdin.on('error', () => {});
      child.stdin.end(body);
      // ringlock gave up (its timeout, or it is stopping): the hook stops too.
      res.on('close', () => {
        if (!res.writableEnded) child.kill('SIGKILL');
      });
      child.on('close', (code, signal) => {
        if (res.destroyed) return;
        res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ exitCode: code ?? (signal ? 128 : 1), output }));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ringlock/hooks`,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
