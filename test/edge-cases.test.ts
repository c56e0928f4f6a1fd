// Cases found in review: each was a real bug once.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { satisfies } from '../src/model/semantics.js';
import { BIN, cli, manifest, platformRepo, REPO_ROOT, testdir } from './helpers.js';

const diag = (r: { stdout: string }) => JSON.parse(r.stdout).error.diagnostics[0];

describe('.ringlockignore is input like any other', () => {
  it('a FIFO named .ringlockignore is refused, not waited on', () => {
    const dir = platformRepo({ orders: { version: '1.0.0' } });
    execFileSync('mkfifo', [join(dir, 'modules/orders/.ringlockignore')]);
    const r = spawnSync(process.execPath, [BIN, 'lock', '--json', '--cwd', dir], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(2);
    expect(diag(r)).toMatchObject({ rule: 'file/not-a-file', file: 'modules/orders/.ringlockignore' });
  });

  it('a symlinked .ringlockignore (here to /dev/zero) is refused without following it', () => {
    const dir = platformRepo({ orders: { version: '1.0.0' } });
    symlinkSync('/dev/zero', join(dir, 'modules/orders/.ringlockignore'));
    const r = cli(['lock', '--json', '--cwd', dir]);
    expect(r.code).toBe(2);
    expect(diag(r)).toMatchObject({ rule: 'file/symlink', file: 'modules/orders/.ringlockignore' });
  });
});

describe('versions', () => {
  it('build metadata makes a different version, consistently in lock and verify', () => {
    const dir = platformRepo({ shipping: { version: '1.2.1+b1' } });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    writeFileSync(join(dir, 'modules/shipping/module.json'), manifest('shipping', '1.2.1+b2'));
    const r = cli(['verify', '--json', '--cwd', dir]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings[0]).toMatchObject({
      rule: 'verify/version',
      locked: '1.2.1+b1',
      actual: '1.2.1+b2',
    });
  });

  it('a prerelease platform is matched as its release: 3.0.0-rc.1 fails <3.0.0, 2.1.0-rc.1 passes ^2.0.0', () => {
    expect(satisfies('3.0.0-rc.1', '>=1.9.0 <3.0.0')).toBe(false);
    expect(satisfies('2.1.0-rc.1', '^2.0.0')).toBe(true);
    const r = cli(['compat', '--ring', 'edge', '--platform', '3.0.0-rc.1', '--json']);
    const edge = JSON.parse(r.stdout).rings[0].results;
    expect(edge.find((x: { name: string }) => x.name === 'orders').status).toBe('incompatible');
  });

  it.each(['2.0.0-01', '1.9.2-.', 'v2.0.0', '2.0'])('compat --platform %s is a usage error', (v) => {
    const r = cli(['compat', '--platform', v]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a semantic version');
  });
});

describe('verify --dir lists every failure', () => {
  it('a module whose tree cannot be hashed is one finding; drift elsewhere is still reported', () => {
    const deployed = testdir();
    execFileSync('cp', ['-r', `${join(REPO_ROOT, 'examples/platform/modules')}/.`, deployed]);
    writeFileSync(join(deployed, 'orders/routes/api.php'), '<?php // edited on the server\n', { flag: 'a' });
    symlinkSync('/var/app/storage', join(deployed, 'shipping/storage'));
    const r = cli(['verify', '--ring', 'canary', '--dir', deployed, '--json']);
    expect(r.code).toBe(1);
    const f = JSON.parse(r.stdout).findings as Array<{ module: string; rule: string; message: string }>;
    expect(f.find((x) => x.module === 'orders')?.rule).toBe('verify/content');
    const ship = f.find((x) => x.module === 'shipping')!;
    expect(ship.rule).toBe('verify/unreadable');
    expect(ship.message).toContain('symlink points outside the module');
  });
});

describe('config paths', () => {
  it('a tenants file named in ringlock.yaml must exist, reported at the setting', () => {
    const dir = platformRepo({ orders: { version: '1.0.0' } });
    const cfg = readFileSync(join(dir, 'ringlock.yaml'), 'utf8').replace(
      'modules:\n  dir: modules\n',
      'modules:\n  dir: modules\nlocks:\n  tenants: rings/tenant.yaml\n',
    );
    writeFileSync(join(dir, 'ringlock.yaml'), cfg);
    const r = cli(['ring', 'list', '--json', '--cwd', dir]);
    expect(r.code).toBe(2);
    expect(diag(r)).toMatchObject({ rule: 'config/tenants', file: 'ringlock.yaml', line: 7, column: 12 });
  });

  it('a missing modules dir and a missing VERSION file point at their setting', () => {
    const dir = platformRepo({ orders: { version: '1.0.0' } });
    rmSync(join(dir, 'modules'), { recursive: true });
    expect(diag(cli(['lock', '--json', '--cwd', dir]))).toMatchObject({
      rule: 'config/modules-dir',
      file: 'ringlock.yaml',
      line: 5,
      column: 8,
    });
    rmSync(join(dir, 'VERSION'));
    expect(diag(cli(['lock', '--json', '--cwd', dir]))).toMatchObject({
      rule: 'config/platform-version',
      file: 'ringlock.yaml',
      line: 3,
      column: 16,
    });
  });

  it('locks.dir pointing at a file is an input error, not a crash', () => {
    const dir = platformRepo({ orders: { version: '1.0.0' } });
    writeFileSync(
      join(dir, 'ringlock.yaml'),
      readFileSync(join(dir, 'ringlock.yaml'), 'utf8').replace(
        'modules:\n',
        'locks:\n  dir: VERSION\nmodules:\n',
      ),
    );
    const r = cli(['lock', '--cwd', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('a parent path is a file');
    expect(readdirSync(dir).sort()).toEqual(['VERSION', 'modules', 'ringlock.yaml']);
  });

  it('--cwd naming a file is refused', () => {
    const r = cli(['ring', 'list', '--cwd', join(REPO_ROOT, 'ringlock.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a directory');
  });

  it('compat with no lock at all says so (exit 2)', () => {
    const dir = platformRepo({ orders: { version: '1.0.0' } });
    const r = cli(['compat', '--cwd', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no ring has a lock yet');
  });
});

describe('output', () => {
  it('a reader that stops early (| head -1) is not an error', () => {
    const r = spawnSync(
      'bash',
      ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" ring show stable | head -1`],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});
