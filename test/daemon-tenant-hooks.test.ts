// The daemon notices a tenant assigned to its ring between passes (rings/tenants.yaml at the new commit) and runs the
// per-tenant onEnable of every module that is on, once; the tenant set is kept in the state.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlatform, HOOKS, scratch } from './fixtures-platform.js';
import { gitIn, pushEvent, serveRepo, startDaemon } from './support/daemon.js';

type Ctx = { onTestFinished(fn: () => void | Promise<void>): void };

const TENANT_HOOKS = { ...HOOKS, onEnable: 'sh ./hook.sh', onDisable: 'sh ./hook.sh' };

describe('daemon and tenants', () => {
  it('a tenant assigned to the ring at a new commit gets onEnable on the next pass', async (t: Ctx) => {
    const p = await buildPlatform(scratch(t, 'daemon-tenants'), {
      base: { version: '1.0.0', lifecycle: TENANT_HOOKS },
    });
    writeFileSync(join(p.repo, 'rings', 'tenants.yaml'), 'tenants:\n  beta: stable\n');
    const remote = await serveRepo(p);
    t.onTestFinished(() => remote.close());
    const d = await startDaemon(p, { repo: remote.url });
    t.onTestFinished(async () => {
      await d.stop('SIGKILL');
    });
    const first = gitIn(remote.bare, 'rev-parse', 'refs/heads/main');
    await d.until('first commit applied', (s) => s.appliedCommit === first);
    expect(p.state().tenants).toEqual([]);
    expect(existsSync(join(p.out, 'base-onEnable-1.0.0.json'))).toBe(false);

    writeFileSync(join(p.repo, 'rings', 'tenants.yaml'), 'tenants:\n  acme: canary\n  beta: stable\n');
    const second = remote.push('assign acme to canary');
    await d.webhook(pushEvent(second));
    await d.until('tenant change applied', (s) => s.appliedCommit === second);
    expect(JSON.parse(readFileSync(join(p.out, 'base-onEnable-1.0.0.json'), 'utf8'))).toMatchObject({
      hook: 'onEnable',
      tenant: 'acme',
      ring: 'canary',
      commit: second,
    });
    expect(p.state().tenants).toEqual(['acme']);
    expect(await d.stop()).toEqual({ code: 0, signal: null });
  }, 90_000);
});
