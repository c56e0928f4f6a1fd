import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeLock } from '../src/model/lock.js';
import type { RingLock } from '../src/model/types.js';
import { cli, manifest, platformRepo, testdir } from './helpers.js';

function lockedRepo() {
  const dir = platformRepo({
    orders: { version: '1.5.0', extra: { dependencies: { payments: '^2.0.0' } } },
    payments: { version: '2.1.0' },
  });
  expect(cli(['lock', '--cwd', dir]).code).toBe(0);
  return dir;
}

/** Deploys the module sources like the filesystem target will: immutable store dirs plus a symlink per module. */
function deploy(dir: string): string {
  const target = testdir();
  for (const m of ['orders', 'payments']) {
    const store = join(target, '.ringlock/store', m, 'v1');
    mkdirSync(join(target, '.ringlock/store', m), { recursive: true });
    cpSync(join(dir, 'modules', m), store, { recursive: true });
    symlinkSync(store, join(target, m));
  }
  return target;
}

const findings = (stdout: string) =>
  JSON.parse(stdout).findings as Array<{ module: string; status: string; rule: string; message: string }>;

describe('ringlock verify (sources)', () => {
  it('passes when the tracking ring matches, and lists every failure with its reason when not', () => {
    const dir = lockedRepo();
    expect(cli(['verify', '--cwd', dir]).code).toBe(0);
    writeFileSync(join(dir, 'modules/orders/src/index.php'), '<?php // edited\n');
    writeFileSync(join(dir, 'modules/payments/module.json'), manifest('payments', '2.2.0'));
    mkdirSync(join(dir, 'modules/extra'));
    writeFileSync(join(dir, 'modules/extra/module.json'), manifest('extra', '0.1.0'));
    const r = cli(['verify', '--cwd', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+orders\s+1\.5\.0\s+1\.5\.0\s+content differs: lock sha256:/);
    expect(r.stdout).toMatch(
      /FAIL\s+payments\s+2\.1\.0\s+2\.2\.0\s+lock pins 2\.1\.0, the source is 2\.2\.0/,
    );
    expect(r.stdout).toMatch(/FAIL\s+extra\s+-\s+0\.1\.0\s+source 0\.1\.0 is not in the lock/);
    expect(r.stdout).toContain('3 failed');
    const rules = findings(cli(['verify', '--json', '--cwd', dir]).stdout).map(
      (f) => `${f.module}:${f.rule}`,
    );
    expect(rules).toEqual(['orders:verify/content', 'payments:verify/version', 'extra:verify/not-locked']);
  });

  it('in another ring: older releases are reported, a pin at the source version must carry its hash', () => {
    const dir = lockedRepo();
    const canary = JSON.parse(readFileSync(join(dir, 'rings/canary.lock.json'), 'utf8')) as RingLock;
    const edge: RingLock = {
      lockfileVersion: 1,
      ring: 'edge',
      platform: '2.0.0',
      modules: {
        orders: { version: '1.4.0', sha256: `sha256:${'c'.repeat(64)}` },
        payments: canary.modules.payments!,
      },
    };
    writeFileSync(join(dir, 'rings/edge.lock.json'), serializeLock(edge));
    const ok = cli(['verify', '--ring', 'edge', '--cwd', dir]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /older\s+orders\s+1\.4\.0\s+1\.5\.0\s+pins older release 1\.4\.0 \(source at 1\.5\.0\)/,
    );
    edge.modules.payments = { ...canary.modules.payments!, sha256: `sha256:${'d'.repeat(64)}` };
    edge.modules.orders = { version: '1.6.0', sha256: `sha256:${'c'.repeat(64)}` };
    writeFileSync(join(dir, 'rings/edge.lock.json'), serializeLock(edge));
    const bad = cli(['verify', '--ring', 'edge', '--json', '--cwd', dir]);
    expect(bad.code).toBe(1);
    expect(findings(bad.stdout).map((f) => f.rule)).toEqual(['verify/ahead', 'verify/content']);
  });
});

describe('ringlock verify --dir (deployed)', () => {
  it('passes on an exact deployment reached through symlinks', () => {
    const dir = lockedRepo();
    const target = deploy(dir);
    const r = cli(['verify', '--dir', target, '--cwd', dir]);
    expect(r.stdout).toContain('2 ok, 0 failed');
    expect(r.code).toBe(0);
  });

  it('reports edits, missing modules, wrong versions, platform mismatches and undeclared modules', () => {
    const dir = lockedRepo();
    const target = deploy(dir);
    writeFileSync(join(target, 'orders', 'src', 'index.php'), '<?php // hotfix on the server\n');
    writeFileSync(
      join(target, 'payments', 'module.json'),
      manifest('payments', '2.1.0', { compatibility: { platform: '^3.0.0' } }),
    );
    mkdirSync(join(target, 'rogue'));
    writeFileSync(join(target, 'rogue', 'module.json'), manifest('rogue', '1.0.0'));
    const r = cli(['verify', '--dir', target, '--json', '--cwd', dir]);
    expect(r.code).toBe(1);
    const f = findings(r.stdout);
    expect(f.map((x) => `${x.module}:${x.rule}`)).toEqual([
      'orders:verify/content',
      'payments:verify/content',
      'rogue:verify/unexpected',
    ]);
    // Content equal but platform constraint unmet: the platform check speaks.
    const target2 = deploy(dir);
    const lock = JSON.parse(readFileSync(join(dir, 'rings/canary.lock.json'), 'utf8')) as RingLock;
    lock.platform = '3.0.0';
    writeFileSync(join(dir, 'rings/canary.lock.json'), serializeLock(lock));
    const p = findings(cli(['verify', '--dir', target2, '--json', '--cwd', dir]).stdout);
    expect(p.find((x) => x.module === 'orders')).toMatchObject({
      rule: 'verify/platform',
      message: 'needs platform ^2.0.0, the ring runs 3.0.0',
    });
  });

  it('reports a module that is not deployed, and a deployed folder without a readable manifest', () => {
    const dir = lockedRepo();
    const target = testdir({ 'payments/module.json': '{ "name": "payments", ' });
    const f = findings(cli(['verify', '--dir', target, '--json', '--cwd', dir]).stdout);
    expect(f[0]).toMatchObject({ module: 'orders', rule: 'verify/missing' });
    expect(f[1]).toMatchObject({ module: 'payments', rule: 'verify/unreadable' });
    expect(f[1]!.message).toMatch(/payments\/module\.json:1:\d+: invalid JSON/);
  });

  it('refuses a --dir that does not exist', () => {
    const dir = lockedRepo();
    const r = cli(['verify', '--dir', join(dir, 'nope'), '--cwd', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no such directory');
  });
});
