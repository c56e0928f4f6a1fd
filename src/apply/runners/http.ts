// The http hook runner: a POST of the hook context to the platform's endpoint (for platforms that run hooks
// in-process), signed with HMAC-SHA256 over "<timestamp>.<body>" with the operator's key. The endpoint answers 2xx for
// success (a JSON body {exitCode, output} carries the hook's own outcome), anything else is a failure. Redirects are
// not followed, the answer is capped, and nothing of ringlock's environment is sent.
import { createHmac, randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { InputError } from '../../errors.js';
import { parseDuration } from '../../model/duration.js';
import type { HttpRunnerSpec } from '../../model/operator-config.js';
import type { HookInvocation, HookRunner, HookRunResult, RunnerFactory } from '../hook-runner.js';

/** The largest answer read; a larger one fails the hook (the endpoint is the platform's, its output is a tail anyway). */
export const HTTP_RUNNER_MAX_RESPONSE = 1024 * 1024;

export const SIGNATURE = 'X-Ringlock-Signature';
export const TIMESTAMP = 'X-Ringlock-Timestamp';
export const DELIVERY = 'X-Ringlock-Delivery';

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`: what the endpoint recomputes and compares in constant time. */
export function hookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export class HttpRunner implements HookRunner {
  readonly timeoutMs?: number;

  constructor(
    readonly name: string,
    private readonly spec: HttpRunnerSpec,
    /** The HMAC key (the value of spec.secretEnv), read once at start. */
    private readonly secret: string,
    private readonly token: string | undefined,
  ) {
    this.timeoutMs = spec.timeout !== undefined ? parseDuration(spec.timeout) : undefined;
  }

  /** The endpoint without its query (which may carry something the operator would not print). */
  describe(): string {
    const u = new URL(this.spec.url);
    return `POST ${u.origin}${u.pathname}`;
  }

  async run(inv: HookInvocation): Promise<HookRunResult> {
    const started = Date.now();
    const context = inv.context ?? (JSON.parse(inv.stdin) as Record<string, unknown>);
    const body = JSON.stringify({ ...context, reference: inv.reference, hookPoint: inv.hookPoint });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const operation =
      typeof context.operationId === 'string' && context.operationId ? context.operationId : randomUUID();
    const tenant = typeof context.tenant === 'string' ? `:${context.tenant}` : '';
    const headers: Record<string, string> = {
      ...this.spec.headers,
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      'User-Agent': 'ringlock',
      [SIGNATURE]: hookSignature(this.secret, timestamp, body),
      [TIMESTAMP]: timestamp,
      [DELIVERY]: `${operation}:${inv.hookPoint ?? 'hook'}${tenant}`,
      ...(this.token !== undefined ? { Authorization: `Bearer ${this.token}` } : {}),
    };
    const outcome = await post(this.spec.url, headers, body, inv);
    const durationMs = Date.now() - started;
    const keep = (s: string) => (inv.keepOutput > 0 ? s.slice(-inv.keepOutput) : '');
    if (outcome.kind === 'timeout')
      return { code: null, signal: null, timedOut: true, aborted: false, output: '', durationMs };
    if (outcome.kind === 'aborted')
      return { code: null, signal: 'SIGTERM', timedOut: false, aborted: true, output: '', durationMs };
    if (outcome.kind === 'too-large')
      return fail(`the answer is larger than ${HTTP_RUNNER_MAX_RESPONSE} bytes`, durationMs);
    const { res, text } = outcome;
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      const where =
        status >= 300 && status < 400
          ? ` (redirects are not followed: ${res.headers.location ?? 'no Location'})`
          : '';
      // The status first, then as much of the body's end as the tail keeps.
      const head = `HTTP ${status}${where}`;
      const room = Math.max(0, inv.keepOutput - head.length - 2);
      return fail(text && room > 0 ? `${head}: ${text.slice(-room)}` : head, durationMs);
    }
    if (/^application\/(?:[\w.+-]+\+)?json\b/i.test(res.headers['content-type'] ?? '')) {
      const answer = parseAnswer(text);
      if (answer === undefined)
        return fail(
          `HTTP ${status}: the JSON answer is not {"exitCode": 0-255, "output": "…"}: ${text.slice(0, 500)}`,
          durationMs,
        );
      return {
        code: answer.exitCode,
        signal: null,
        timedOut: false,
        aborted: false,
        output: keep(answer.output),
        durationMs,
      };
    }
    return { code: 0, signal: null, timedOut: false, aborted: false, output: keep(text), durationMs };
  }
}

function fail(output: string, durationMs: number, keep: (s: string) => string = (s) => s): HookRunResult {
  return { code: 1, signal: null, timedOut: false, aborted: false, output: keep(output), durationMs };
}

/** `{exitCode, output?}` with an exit code a process could have; anything else is malformed. */
function parseAnswer(text: string): { exitCode: number; output: string } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const { exitCode, output } = v as { exitCode?: unknown; output?: unknown };
  if (typeof exitCode !== 'number' || !Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255)
    return undefined;
  if (output !== undefined && typeof output !== 'string') return undefined;
  return { exitCode, output: output ?? '' };
}

type Outcome =
  | { kind: 'answer'; res: IncomingMessage; text: string }
  | { kind: 'timeout' }
  | { kind: 'aborted' }
  | { kind: 'too-large' };

/** One POST, no redirects followed, no proxy from the environment; the answer read up to the cap. */
function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  inv: HookInvocation,
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const done = (o: Outcome | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      inv.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      if (o instanceof Error) reject(o);
      else resolve(o);
    };
    const req = request(u, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (b: Buffer) => {
        size += b.length;
        if (size > HTTP_RUNNER_MAX_RESPONSE) return done({ kind: 'too-large' });
        chunks.push(b);
      });
      res.on('end', () => done({ kind: 'answer', res, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => done(new Error(`POST ${u.origin}${u.pathname}: ${e.message}`)));
    });
    const timer = setTimeout(() => done({ kind: 'timeout' }), inv.timeoutMs);
    const onAbort = () => done({ kind: 'aborted' });
    if (inv.signal?.aborted) return done({ kind: 'aborted' });
    inv.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e) => done(new Error(`POST ${u.origin}${u.pathname}: ${e.message}`)));
    req.end(body);
  });
}

const isHttp = (spec: unknown): spec is HttpRunnerSpec =>
  spec !== null &&
  typeof spec === 'object' &&
  !Array.isArray(spec) &&
  (spec as { type?: unknown }).type === 'http';

/** `{type: "http", …}`; its key's variable (and the token's, when named) must be set and non-empty at start. */
export const httpRunnerFactory: RunnerFactory = (name, spec, ctx) => {
  if (!isHttp(spec)) return undefined;
  const value = (env: string, field: string) => {
    const v = ctx.env[env];
    if (v === undefined || v === '')
      throw new InputError(
        'operator/runner-secret',
        `hooks.runners.${name}.${field}: the environment variable ${env} is not set`,
        {
          expected: `${env} holding the ${field === 'secretEnv' ? 'HMAC key the endpoint verifies' : 'bearer token'}`,
        },
      );
    return v;
  };
  const secret = value(spec.secretEnv, 'secretEnv');
  const token = spec.tokenEnv !== undefined ? value(spec.tokenEnv, 'tokenEnv') : undefined;
  return new HttpRunner(name, spec, secret, token);
};
