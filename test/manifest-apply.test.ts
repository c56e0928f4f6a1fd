// A SeptemCore module (module.manifest.json, string healthCheck, platform fields) through publish and apply: the
// whole manifest, its platform fields included, reaches the hook's context, and the health path is probed against
// the operator's health base URL.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { buildPlatform, HOOK_SCRIPT, scratch, show, startHealthServer } from './fixtures-platform.js';
import { SEPTEMCORE_CRM } from './fixtures-shapes.js';
import { writeTree } from './helpers.js';

it('applies a module.manifest.json module: the hook gets the full manifest, the string healthCheck is probed, its changelog is recorded', async (t) => {
  const p = await buildPlatform(scratch(t), {}, { unreleased: true });
  const manifest = {
    ...SEPTEMCORE_CRM,
    dependencies: { '@platform/sdk': '^3.0.0' },
    compatibility: { platform: '^2.0.0' },
    lifecycle: { onInstall: 'sh ./hook.sh' },
    healthCheck: '/health/crm',
    changelog: 'HISTORY.md',
  };
  writeTree(join(p.repo, 'modules/@acme/crm'), {
    'module.manifest.json': `${JSON.stringify(manifest, null, 2)}\n`,
    'remoteEntry.js': 'export const CrmApp = () => null;\n',
    'hook.sh': HOOK_SCRIPT,
    'HISTORY.md': '# Changelog\n\n## [1.2.0] - 2026-03-02\n\n- Deals board\n',
  });
  await p.release();
  const health = await startHealthServer();
  t.onTestFinished(() => health.close());
  mkdirSync(join(p.out, '@acme'), { recursive: true }); // hook.sh writes <out>/<module>-…: a scoped name is a folder
  const r = await p.apply(['--health-url', health.url], { env: { RL_HOOK_OUT: p.out } });
  expect(r.code, show(r)).toBe(0);
  expect(health.count('/health/crm')).toBeGreaterThan(0);
  const ctx = JSON.parse(readFileSync(join(p.out, '@acme/crm-onInstall-1.2.0.json'), 'utf8'));
  expect(ctx.manifest).toEqual(manifest);
  expect(ctx.manifest.permissions).toEqual(SEPTEMCORE_CRM.permissions);
  expect(p.state().modules['@acme/crm']).toMatchObject({ status: 'active', active: { version: '1.2.0' } });
  expect(p.state().modules['@acme/crm']!.active.dependencies).toEqual({}); // @platform/sdk is the platform's
  // The history record's excerpt comes from the changelog module.manifest.json names.
  expect(p.history().at(-1)!.changelog).toEqual([
    { version: '1.2.0', date: '2026-03-02', body: '- Deals board' },
  ]);
  // The deployed tree is read by its module.manifest.json too.
  const v = await p.cli(['verify', '--dir', p.target]);
  expect(v.code, show(v)).toBe(0);
});

it('warns (health/unresolved) when a health path cannot be probed for want of a base URL; apply still succeeds', async (t) => {
  const p = await buildPlatform(scratch(t), {}, { unreleased: true });
  writeTree(join(p.repo, 'modules/@acme/crm'), {
    'module.manifest.json': `${JSON.stringify({ ...SEPTEMCORE_CRM, healthCheck: '/api/crm/health' }, null, 2)}\n`,
    'remoteEntry.js': 'export const CrmApp = () => null;\n',
  });
  await p.release();
  const r = await p.apply(['--json'], { env: { RINGLOCK_HEALTH_URL: '' } });
  expect(r.code, show(r)).toBe(0);
  const result = JSON.parse(r.stdout).results.find((x: { module: string }) => x.module === '@acme/crm');
  expect(result.outcome).toBe('succeeded');
  expect(result.warnings).toEqual([
    'its healthCheck "/api/crm/health" is not probed: no health base URL is set (--health-url, RINGLOCK_HEALTH_URL or health.baseUrl); no health check runs [health/unresolved]',
  ]);
});
