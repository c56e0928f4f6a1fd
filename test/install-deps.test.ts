// install and upgrade check dependencies as plan does (missing, out of range, incompatible → refused with the chain,
// nothing changed; --with-deps brings the chain in order), and verify --dir reports a deployed module whose
// dependency is missing. The real CLI on a real target.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlatform, scratch, show } from './fixtures-platform.js';

type Ctx = { onTestFinished(fn: () => void): void };

/** reports 1.0.0 ← @acme/analytics 0.4.0 (^1.0.0) ← board 1.0.0, plus base; all released in canary, nothing deployed. */
function platform(t: Ctx) {
  return buildPlatform(scratch(t, 'deps'), {
    base: { version: '1.0.0' },
    reports: { version: '1.0.0', dependencies: { base: '^1.0.0' } },
    '@acme/analytics': { version: '0.4.0', dependencies: { reports: '^1.0.0' } },
  });
}

describe.concurrent('install and upgrade check dependencies', () => {
  it('install with a missing dependency is refused with the chain (exit 1) and changes nothing', async (t) => {
    const p = await platform(t);
    const r = await p.cli(['install', '@acme/analytics@0.4.0', '--yes']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain(
      'install @acme/analytics 0.4.0 refused: @acme/analytics needs reports ^1.0.0 → reports is not installed',
    );
    expect(r.stderr).toMatch(/install it first or pass --with-deps \(installs reports 1\.0\.0, base 1\.0\.0/);
    expect(existsSync(join(p.target, '@acme'))).toBe(false);
    expect(p.state().modules).toEqual({});
    expect(p.history()).toEqual([]);

    const json = await p.cli(['install', '@acme/analytics@0.4.0', '--yes', '--json']);
    expect(json.code, show(json)).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'deps/unmet', exitCode: 1 } });
  });

  it('--with-deps installs the chain in dependency order, each at a pinned version', async (t) => {
    const p = await platform(t);
    const r = await p.cli(['install', '@acme/analytics@0.4.0', '--with-deps', '--yes', '--json']);
    expect(r.code, show(r)).toBe(0);
    const out = JSON.parse(r.stdout) as { results: { module: string; action: string; outcome: string }[] };
    expect(out.results.map((x) => [x.module, x.action, x.outcome])).toEqual([
      ['base', 'install', 'succeeded'],
      ['reports', 'install', 'succeeded'],
      ['@acme/analytics', 'install', 'succeeded'],
    ]);
    expect(p.history().map((h) => h.module)).toEqual(['base', 'reports', '@acme/analytics']);
    expect(p.link('@acme/analytics')).toBeDefined();
    expect(Object.values(p.state().modules).every((m) => m.origin === 'imperative')).toBe(true);
  });

  it('a dependency installed out of range is refused, also with --with-deps (it installs only missing modules)', async (t) => {
    const p = await platform(t);
    await p.ok(['install', 'base@1.0.0', '--yes']);
    p.writeModule('reports', { version: '1.1.0', dependencies: { base: '^2.0.0' } });
    await p.release(['reports']);
    const r = await p.cli(['install', 'reports@1.1.0', '--with-deps', '--yes']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain('reports needs base ^2.0.0 → base 1.0.0 is installed');
    expect(p.state().modules.reports).toBeUndefined();
  });

  it('a module that does not fit the platform is refused before anything is fetched', async (t) => {
    const p = await platform(t);
    p.writeModule('base', { version: '3.0.0', platform: '^3.0.0' });
    await p.release(['base']);
    const r = await p.cli(['install', 'base@3.0.0', '--yes']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain('base 3.0.0 is incompatible with platform 2.0.0 (needs ^3.0.0)');
    expect(p.history()).toEqual([]);
  });

  it('a lock entry that records no dependencies is installed with a note, as plan notes it', async (t) => {
    const p = await platform(t);
    const lock = JSON.parse(p.readLock()) as { modules: Record<string, Record<string, unknown>> };
    delete lock.modules.base!.dependencies;
    p.writeLock(`${JSON.stringify(lock, null, 2)}\n`);
    const r = await p.cli(['install', 'base@1.0.0', '--yes']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toContain(
      'note: dependencies of base 1.0.0 unknown (the lock entry records none): not checked',
    );
  });

  it('upgrade refuses to break an installed dependent, naming it', async (t) => {
    const p = await platform(t);
    await p.ok(['install', 'reports@1.0.0', '--with-deps', '--yes']);
    p.writeModule('base', { version: '2.0.0' });
    await p.release(['base']);
    const r = await p.cli(['upgrade', 'base', '--to', '2.0.0', '--yes']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain(
      'upgrade base 2.0.0 refused: upgrading it would break reports 1.0.0: reports needs base ^1.0.0 → base 2.0.0 is installed',
    );
    expect(p.state().modules.base?.active.version).toBe('1.0.0');
    expect(p.history().map((h) => h.module)).toEqual(['base', 'reports']);
  });

  it("upgrade refuses when the new version's dependency is missing", async (t) => {
    const p = await platform(t);
    await p.ok(['install', 'base@1.0.0', '--yes']);
    await p.ok(['install', 'reports@1.0.0', '--yes']);
    p.writeModule('reports', { version: '1.1.0', dependencies: { base: '^1.0.0', audit: '^1.0.0' } });
    p.writeModule('audit', { version: '1.0.0' });
    await p.release(['reports', 'audit']);
    const r = await p.cli(['upgrade', 'reports', '--to', '1.1.0', '--yes']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain('reports needs audit ^1.0.0 → audit is not installed');
    expect(p.state().modules.reports?.active.version).toBe('1.0.0');
    const up = await p.cli(['upgrade', 'reports', '--to', '1.1.0', '--with-deps', '--yes', '--json']);
    expect(up.code, show(up)).toBe(0);
    expect(
      p
        .history()
        .slice(-2)
        .map((h) => [h.module, h.op]),
    ).toEqual([
      ['audit', 'install'],
      ['reports', 'upgrade'],
    ]);
  });
});

describe.concurrent('verify --dir', () => {
  it('reports a deployed module whose dependency is missing (exit 1)', async (t) => {
    const p = await platform(t);
    await p.ok(['install', '@acme/analytics@0.4.0', '--with-deps', '--yes']);
    // A ring that pins only the analytics module, and a tree that lost reports: every pin matches.
    const lock = JSON.parse(p.readLock()) as { ring: string; modules: Record<string, unknown> };
    lock.ring = 'stable';
    lock.modules = { '@acme/analytics': lock.modules['@acme/analytics'], base: lock.modules.base };
    writeFileSync(join(p.repo, 'rings/stable.lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
    rmSync(join(p.target, 'reports'));
    const r = await p.cli(['verify', '--ring', 'stable', '--dir', p.target, '--json']);
    expect(r.code, show(r)).toBe(1);
    const findings = (
      JSON.parse(r.stdout) as { findings: { module: string; rule: string; message: string }[] }
    ).findings;
    expect(findings.filter((f) => f.rule !== 'verify/ok')).toEqual([
      {
        module: '@acme/analytics',
        status: 'failed',
        rule: 'verify/dependency',
        actual: '0.4.0',
        message: '@acme/analytics needs reports ^1.0.0 → reports is not deployed',
      },
    ]);
  });
});
