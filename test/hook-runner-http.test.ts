// The http hook runner's own contract, through a real apply against an endpoint on 127.0.0.1: what it sends (signed,
// the context and nothing of ringlock's environment), what it makes of the answer (a non-2xx status, a redirect it does
// not follow, an answer past the cap, a JSON outcome), a missing secret refused at start, and a hook stopped through
// its AbortSignal when ringlock stops.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRunners } from '../src/apply/hook-runner.js';
import { killRunningHooks, runHook } from '../src/apply/hooks.js';
import { buildPlatform, type Platform, scratch, show } from './fixtures-platform.js';
import { type HookEndpoint, startHookEndpoint } from './support/hook-endpoint.js';

const SECRET = 'the-endpoint-key';

type Answer = (req: IncomingMessage, res: ServerResponse, body: string) => boolean;

async function platform(
  t: { onTestFinished(fn: () => Promise<void> | void): void },
  opts: { answer?: Answer; runner?: Record<string, unknown>; ref?: string } = {},
): Promise<{
  p: Platform;
  endpoint: HookEndpoint;
  apply(env?: Record<string, string>): ReturnType<Platform['apply']>;
}> {
  const endpoint = await startHookEndpoint(SECRET, opts.answer);
  t.onTestFinished(() => endpoint.close());
  const root = scratch(t, 'runner-http');
  const p = await buildPlatform(root, {
    orders: {
      version: '1.0.0',
      lifecycle: { onInstall: { ref: opts.ref ?? 'echo installed', runner: 'web' } },
    },
  });
  const op = join(root, 'operator.json');
  writeFileSync(
    op,
    JSON.stringify({
      apiVersion: 'ringlock/v1',
      kind: 'OperatorConfig',
      hooks: { runners: { web: { type: 'http', url: endpoint.url, secretEnv: 'HOOK_KEY', ...opts.runner } } },
    }),
  );
  return {
    p,
    endpoint,
    apply: (env = {}) => p.apply(['--operator-config', op], { env: { HOOK_KEY: SECRET, ...env } }),
  };
}

const hooks = (p: Platform) => p.history().flatMap((h) => h.hooks ?? []);

describe.concurrent('http hook runner', () => {
  it('POSTs the signed context with the delivery id, the operator headers and token, and none of ringlock’s environment', async (t) => {
    const { p, endpoint, apply } = await platform(t, {
      runner: { headers: { 'X-Platform': 'shop' }, tokenEnv: 'HOOK_TOKEN' },
    });
    const r = await apply({ HOOK_TOKEN: 'bearer-token-1', RINGLOCK_NOT_FOR_HOOKS: 'ringlock-own-secret' });
    expect(r.code, show(r)).toBe(0);
    expect(endpoint.received).toHaveLength(1);
    const [req] = endpoint.received;
    expect(req!.verified).toBe(true);
    const id = p.history()[0]!.id;
    expect(req!.headers).toMatchObject({
      'content-type': 'application/json',
      'x-ringlock-delivery': `${id}:onInstall`,
      'x-platform': 'shop',
      authorization: 'Bearer bearer-token-1',
    });
    expect(req!.headers['x-ringlock-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(JSON.parse(req!.body)).toMatchObject({
      reference: 'echo installed',
      hookPoint: 'onInstall',
      module: 'orders',
      toVersion: '1.0.0',
      operationId: id,
      ring: 'canary',
    });
    expect(req!.body).not.toContain('ringlock-own-secret');
    expect(req!.body).not.toContain(SECRET);
    expect(hooks(p)).toMatchObject([{ hook: 'onInstall', exit: 0, output: 'installed\n' }]);
  });

  it('a signature the endpoint rejects is a failure: nothing switched, exit 3', async (t) => {
    const { p, endpoint, apply } = await platform(t);
    const r = await apply({ HOOK_KEY: 'not-the-endpoint-key' });
    expect(r.code, show(r)).toBe(3);
    expect(endpoint.received[0]!.verified).toBe(false);
    expect(p.link('orders')).toBeUndefined();
    expect(hooks(p)).toMatchObject([{ hook: 'onInstall', exit: 1 }]);
    expect(hooks(p)[0]!.output).toContain('HTTP 401: bad signature');
  });

  it('a non-2xx answer fails the hook with the status and the body in its output', async (t) => {
    const { p, apply } = await platform(t, {
      answer: (_req, res) => {
        res.writeHead(503, { 'Content-Type': 'text/plain' }).end('migrations locked');
        return true;
      },
    });
    const r = await apply();
    expect(r.code, show(r)).toBe(3);
    expect(hooks(p)).toMatchObject([{ hook: 'onInstall', exit: 1, output: 'HTTP 503: migrations locked' }]);
    expect(p.link('orders')).toBeUndefined();
  });

  it('does not follow a redirect', async (t) => {
    const { p, endpoint, apply } = await platform(t, {
      answer: (req, res) => {
        if (req.url === '/elsewhere') {
          res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"exitCode":0}');
          return true;
        }
        res.writeHead(307, { Location: '/elsewhere' }).end();
        return true;
      },
    });
    const r = await apply();
    expect(r.code, show(r)).toBe(3);
    expect(endpoint.received).toHaveLength(1);
    expect(hooks(p)[0]!.output).toContain('HTTP 307 (redirects are not followed: /elsewhere)');
  });

  it('an answer larger than 1 MiB fails the hook', async (t) => {
    const { p, apply } = await platform(t, {
      answer: (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(Buffer.alloc(2 * 1024 * 1024, 'x'));
        return true;
      },
    });
    const r = await apply();
    expect(r.code, show(r)).toBe(3);
    expect(hooks(p)).toMatchObject([{ exit: 1, output: 'the answer is larger than 1048576 bytes' }]);
  });

  it('a 2xx text answer is success with the text as output; a JSON answer must be {exitCode, output}', async (t) => {
    const text = await platform(t, {
      answer: (_req, res) => {
        res.writeHead(202, { 'Content-Type': 'text/plain' }).end('queued and done');
        return true;
      },
    });
    const ok = await text.apply();
    expect(ok.code, show(ok)).toBe(0);
    expect(hooks(text.p)).toMatchObject([{ exit: 0, output: 'queued and done' }]);
    const bad = await platform(t, {
      answer: (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"exitCode":"zero"}');
        return true;
      },
    });
    const r = await bad.apply();
    expect(r.code, show(r)).toBe(3);
    expect(hooks(bad.p)[0]!.output).toContain('the JSON answer is not {"exitCode"');
  });

  it("the runner's own timeout replaces the hook timeout: timedOut, the endpoint's hook stopped", async (t) => {
    const { p, apply } = await platform(t, { ref: 'sleep 60', runner: { timeout: '1s' } });
    const r = await apply();
    expect(r.code, show(r)).toBe(3);
    expect(r.stderr).toContain('timed out after 1000 ms');
    expect(hooks(p)).toMatchObject([{ hook: 'onInstall', exit: null, timedOut: true }]);
  });

  it('refuses to start without its secret, naming the variable and the field (exit 2, nothing changed); list needs none', async (t) => {
    const { p, endpoint, apply } = await platform(t);
    const r = await apply({ HOOK_KEY: '' });
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('hooks.runners.web.secretEnv: the environment variable HOOK_KEY is not set');
    expect(endpoint.received).toEqual([]);
    expect(p.state().modules).toEqual({});
    expect(p.history()).toEqual([]);
    // A command that runs no hook does not need the runner's secret.
    const list = await p.cli(['list', '--operator-config', join(p.root, 'operator.json')], {
      env: { HOOK_KEY: '' },
    });
    expect(list.code, show(list)).toBe(0);
  });

  it('a running hook is stopped through its AbortSignal when ringlock stops (killRunningHooks)', async (t) => {
    let arrived!: () => void;
    const inFlight = new Promise<void>((r) => {
      arrived = r;
    });
    let closed!: () => void;
    const gone = new Promise<void>((r) => {
      closed = r;
    });
    const endpoint = await startHookEndpoint(SECRET, (_req, res) => {
      // Never answers: only the runner's abort ends the request.
      res.on('close', closed);
      arrived();
      return true;
    });
    t.onTestFinished(() => endpoint.close());
    const dir = mkdtempSync(join(tmpdir(), 'ringlock-http-abort-'));
    t.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const config = { runners: { web: { type: 'http' as const, url: endpoint.url, secretEnv: 'HOOK_KEY' } } };
    const run = runHook(
      'onInstall',
      {
        module: 'orders',
        operation: 'install',
        fromVersion: null,
        toVersion: '1.0.0',
        sourcePath: dir,
        manifest: {
          name: 'orders',
          version: '1.0.0',
          lifecycle: { onInstall: { ref: 'App\\Install', runner: 'web' } },
        } as never,
      },
      // Ten minutes: a hook that is not stopped would hold the test past its own timeout.
      { timeoutMs: 600_000, runners: buildRunners(config, undefined, { HOOK_KEY: SECRET }) },
    );
    await inFlight;
    killRunningHooks();
    await expect(run).rejects.toThrow(/failed \(signal SIGTERM\)/);
    await gone;
  });
});
