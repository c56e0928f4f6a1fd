// The daemon runs hooks through the same runners as `ringlock apply`, built once at start from the operator config: an
// http runner's hook reaches the platform's endpoint signed, and a runner that cannot be built (its secret unset)
// stops the daemon before it listens (exit 2), naming the variable.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlatform, scratch } from './fixtures-platform.js';
import { gitIn, serveRepo, startDaemon } from './support/daemon.js';
import { startHookEndpoint } from './support/hook-endpoint.js';

type Ctx = { onTestFinished(fn: () => void | Promise<void>): void };

const KEY = 'daemon-hook-key';

async function setup(t: Ctx) {
  // The platform runs the hook class in-process and answers with its outcome.
  const endpoint = await startHookEndpoint(KEY, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"exitCode":0,"output":"installed"}');
    return true;
  });
  t.onTestFinished(() => endpoint.close());
  const p = await buildPlatform(scratch(t, 'daemon-http-runner'), {
    orders: { version: '1.0.0', lifecycle: { onInstall: 'App\\Lifecycle\\OnInstall' } },
  });
  const op = join(p.root, 'operator.json');
  writeFileSync(
    op,
    JSON.stringify({
      apiVersion: 'ringlock/v1',
      kind: 'OperatorConfig',
      hooks: {
        runners: { web: { type: 'http', url: endpoint.url, secretEnv: 'HOOK_KEY' } },
        byHook: { onInstall: 'web' },
      },
    }),
  );
  const remote = await serveRepo(p);
  t.onTestFinished(() => remote.close());
  return { p, endpoint, remote, op };
}

describe('daemon with an http hook runner', () => {
  it('runs the hook through the operator’s http runner', async (t: Ctx) => {
    const { p, endpoint, remote, op } = await setup(t);
    const d = await startDaemon(p, {
      repo: remote.url,
      args: ['--operator-config', op],
      env: { HOOK_KEY: KEY },
    });
    t.onTestFinished(async () => {
      await d.stop('SIGKILL');
    });
    const first = gitIn(remote.bare, 'rev-parse', 'refs/heads/main');
    await d.until('first commit applied', (s) => s.appliedCommit === first);
    expect(endpoint.received).toHaveLength(1);
    expect(endpoint.received[0]!.verified).toBe(true);
    expect(JSON.parse(endpoint.received[0]!.body)).toMatchObject({
      reference: 'App\\Lifecycle\\OnInstall',
      hookPoint: 'onInstall',
      module: 'orders',
      commit: first,
    });
    const hooks = p.history().flatMap((h) => h.hooks ?? []);
    expect(hooks).toMatchObject([{ hook: 'onInstall', exit: 0, output: 'installed' }]);
    expect(p.state().modules.orders?.active.version).toBe('1.0.0');
    expect(await d.stop()).toEqual({ code: 0, signal: null });
  }, 90_000);

  it('refuses to start when the runner’s secret is not set (exit 2, naming it)', async (t: Ctx) => {
    const { p, endpoint, remote, op } = await setup(t);
    const start = startDaemon(p, {
      repo: remote.url,
      args: ['--operator-config', op],
      env: { HOOK_KEY: undefined },
    });
    await expect(start).rejects.toThrow(/exited \(2\) before listening[\s\S]*HOOK_KEY is not set/);
    expect(endpoint.received).toEqual([]);
    expect(p.state().modules).toEqual({});
  }, 90_000);
});
