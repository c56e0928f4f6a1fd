// The two platform shapes (../shared/platform-formats.md) as their teams write them, through lock, lock --check,
// verify, compat, check and init, without editing a manifest.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AUTOCOM_CONFIG,
  AUTOCOM_ORDERS,
  autocomTree,
  SEPTEMCORE_CONFIG,
  SEPTEMCORE_CRM,
  septemcoreTree,
} from './fixtures-shapes.js';
import { cli, testdir } from './helpers.js';
import { git } from './support/check-repo.js';

const lockOf = (dir: string, ring = 'canary') =>
  JSON.parse(readFileSync(join(dir, 'rings', `${ring}.lock.json`), 'utf8')) as {
    modules: Record<string, Record<string, unknown>>;
  };

/** lock, lock --check, verify and compat all pass. */
function passesTheLockCommands(dir: string) {
  const lock = cli(['lock'], { cwd: dir });
  expect(lock.code, lock.stderr).toBe(0);
  expect(lock.stderr).toBe('');
  expect(cli(['lock', '--check'], { cwd: dir }).code).toBe(0);
  const verify = cli(['verify'], { cwd: dir });
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  const compat = cli(['compat', '--json'], { cwd: dir });
  expect(compat.code, compat.stdout + compat.stderr).toBe(0);
  return JSON.parse(compat.stdout);
}

/** A pull request that bumps a module and its lock: `check` passes with no RL001 error. */
function checkPasses(dir: string, bump: () => void) {
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'base']);
  git(dir, ['checkout', '-q', '-b', 'pr']);
  bump();
  expect(cli(['lock'], { cwd: dir }).code).toBe(0);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'bump']);
  const r = cli(['check', '--base', 'main', '--head', 'HEAD', '--json'], { cwd: dir });
  const report = JSON.parse(r.stdout);
  expect(
    report.findings.filter((f: { rule: string; severity: string }) => f.severity === 'error'),
    r.stdout,
  ).toEqual([]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  // The manifests were read and judged: the version-bump rule ran on them and passed.
  expect(report.rules.find((x: { id: string }) => x.id === 'RL002').outcome).toBe('pass');
  return report;
}

describe('SeptemCore shape: @scope/name modules with module.manifest.json', () => {
  it('lock, lock --check, verify and compat take the manifests as they are; @platform/sdk is the platform’s', () => {
    const dir = testdir({ 'ringlock.yaml': SEPTEMCORE_CONFIG, ...septemcoreTree() });
    const compat = passesTheLockCommands(dir);
    const lock = lockOf(dir);
    expect(Object.keys(lock.modules)).toEqual(['@acme/crm', '@acme/reports']);
    expect(lock.modules['@acme/crm']).toMatchObject({
      version: '1.2.0',
      source: 'modules/@acme/crm',
      dependencies: {},
    });
    // A platform dependency is not a module: out of the lock's dependencies, so compat does not call it missing.
    expect(lock.modules['@acme/reports']!.dependencies).toEqual({ '@acme/crm': '^1.0.0' });
    expect(lock.modules['@acme/crm']!.manifest).toBeUndefined();
    expect(JSON.stringify(compat)).not.toContain('@platform/sdk');
  });

  it('check passes a version bump of a full manifest (RL001 finds nothing)', () => {
    const dir = testdir({ 'ringlock.yaml': SEPTEMCORE_CONFIG, ...septemcoreTree() });
    expect(cli(['lock'], { cwd: dir }).code).toBe(0);
    checkPasses(dir, () =>
      writeFileSync(
        join(dir, 'modules/@acme/crm/module.manifest.json'),
        JSON.stringify({ ...SEPTEMCORE_CRM, version: '1.2.1', route: '/crm/v2' }, null, 2),
      ),
    );
  });

  it('promote --dry-run reads the module.manifest.json: the hook the version runs is in the pull request body', () => {
    const dir = testdir({
      'ringlock.yaml': `${SEPTEMCORE_CONFIG}promotion:\n  branch: main\n`,
      ...septemcoreTree({ ...SEPTEMCORE_CRM, lifecycle: { onInstall: 'Modules\\Crm\\OnInstall' } }),
    });
    const remote = testdir();
    expect(cli(['lock'], { cwd: dir }).code).toBe(0);
    git(remote, ['init', '-q', '--bare', '-b', 'main']);
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['remote', 'add', 'origin', remote]);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'base']);
    git(dir, ['push', '-q', 'origin', 'main']);
    const r = cli(['promote', '@acme/crm', '--from', 'canary', '--dry-run'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(
      '**install** `@acme/crm` 1.2.0 (new): fetch its artifact, run its `onInstall` hook',
    );
  });

  it('init writes a config and locks that lock --check and verify accept', () => {
    const dir = testdir({ VERSION: '2.0.0\n', ...septemcoreTree() });
    const r = cli(['init'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('2 module(s) in modules/');
    expect(cli(['lock', '--check'], { cwd: dir }).code).toBe(0);
    expect(cli(['verify'], { cwd: dir }).code).toBe(0);
    expect(Object.keys(lockOf(dir).modules)).toEqual(['@acme/crm', '@acme/reports']);
  });
});

describe('AutoCom shape: Modules/<Name>/module.json with alias, released_at and PHP lifecycle classes', () => {
  it('lock, lock --check, verify and compat: lowercase module names, the PascalCase folder kept as source', () => {
    const dir = testdir({ 'ringlock.yaml': AUTOCOM_CONFIG, ...autocomTree() });
    passesTheLockCommands(dir);
    const lock = lockOf(dir);
    expect(Object.keys(lock.modules)).toEqual(['catalog', 'orders']);
    expect(lock.modules.orders).toMatchObject({
      version: '1.0.0',
      source: 'Modules/Orders',
      dependencies: { catalog: '^1.0.0' },
    });
    expect(lock.modules.catalog).toMatchObject({ source: 'Modules/Catalog' });
  });

  it('a name that is the lowercase of its PascalCase folder is the same module; "Orders" in modules/orders is not', () => {
    const dir = testdir({
      'ringlock.yaml': AUTOCOM_CONFIG,
      ...autocomTree({ ...AUTOCOM_ORDERS, name: 'orders' }),
    });
    expect(cli(['lock'], { cwd: dir }).code).toBe(0);
    expect(lockOf(dir).modules.orders).toMatchObject({ source: 'Modules/Orders' });

    const wrong = testdir({
      'ringlock.yaml': AUTOCOM_CONFIG.replace('dir: Modules', 'dir: modules'),
      VERSION: '2.0.0\n',
      'modules/orders/module.json': JSON.stringify({ name: 'Orders', version: '1.0.0' }),
    });
    const r = cli(['lock', '--json'], { cwd: wrong });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.diagnostics[0]).toMatchObject({
      rule: 'module/name-mismatch',
      file: 'modules/orders/module.json',
    });
  });

  it('check passes a version bump of a PascalCase module (RL001 finds nothing, the rules find its folder)', () => {
    const dir = testdir({ 'ringlock.yaml': AUTOCOM_CONFIG, ...autocomTree() });
    expect(cli(['lock'], { cwd: dir }).code).toBe(0);
    const report = checkPasses(dir, () => {
      writeFileSync(
        join(dir, 'Modules/Orders/module.json'),
        JSON.stringify({ ...AUTOCOM_ORDERS, version: '1.1.0' }, null, 4),
      );
      writeFileSync(
        join(dir, 'Modules/Orders/CHANGELOG.md'),
        '# Changelog\n\n## [1.1.0]\n- more\n\n## [1.0.0]\n- first\n',
      );
    });
    // The changelog rule read Modules/Orders/CHANGELOG.md: no warning that it is missing.
    expect(JSON.stringify(report.findings)).not.toContain('CHANGELOG');
    expect(JSON.stringify(report.plans)).toContain('orders');
  });

  it('init reads the manifests as they are and the result passes lock --check and verify', () => {
    const dir = testdir(autocomTree());
    const r = cli(['init'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('2 module(s) in Modules/');
    expect(readFileSync(join(dir, 'ringlock.yaml'), 'utf8')).toContain('dir: Modules');
    expect(cli(['lock', '--check'], { cwd: dir }).code).toBe(0);
    expect(cli(['verify'], { cwd: dir }).code).toBe(0);
    expect(Object.keys(lockOf(dir).modules)).toEqual(['catalog', 'orders']);
  });
});
