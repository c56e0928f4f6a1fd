// The copy-mode target (hosts that cannot follow symlinks): real directories, switched by rename, same guarantees.
import { cpSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, REPO_ROOT, testdir } from './helpers.js';

function example(mode: 'copy' | 'symlink'): string {
  const dir = testdir();
  for (const p of ['ringlock.yaml', 'rings', 'examples'])
    cpSync(join(REPO_ROOT, p), join(dir, p), { recursive: true });
  const cfg = readFileSync(join(dir, 'ringlock.yaml'), 'utf8').replace('mode: symlink', `mode: ${mode}`);
  writeFileSync(join(dir, 'ringlock.yaml'), cfg);
  expect(cli(['publish', '--ring', 'canary', '--all', '--cwd', dir]).code).toBe(0);
  return dir;
}

describe('copy mode', () => {
  it('installs real directories that verify, upgrades by rename, and repairs drift', () => {
    const dir = example('copy');
    const r = cli(['apply', '--ring', 'canary', '--yes', '--skip-hooks', '--cwd', dir]);
    expect(r.code, r.stderr).toBe(1); // two modules blocked on purpose in the example
    const target = join(dir, '.ringlock/target');
    expect(lstatSync(join(target, 'orders')).isDirectory()).toBe(true);
    expect(lstatSync(join(target, 'orders')).isSymbolicLink()).toBe(false);
    const v = JSON.parse(cli(['verify', '--ring', 'canary', '--dir', target, '--json', '--cwd', dir]).stdout);
    expect(v.findings.filter((f: { status: string }) => f.status === 'ok')).toHaveLength(6);
    // Someone edits a deployed file in place: plan sees drift, apply puts the verified tree back.
    writeFileSync(join(target, 'orders/routes/api.php'), '<?php // hotfix\n', { flag: 'a' });
    const plan = JSON.parse(cli(['plan', '--ring', 'canary', '--json', '--cwd', dir]).stdout);
    const orders = plan.actions.find((a: { module: string }) => a.module === 'orders');
    expect(orders.kind).toBe('reinstall');
    expect(orders.reason).toContain('drift');
    expect(cli(['apply', '--ring', 'canary', '--yes', '--skip-hooks', '--cwd', dir]).code).toBe(1);
    expect(readFileSync(join(target, 'orders/routes/api.php'), 'utf8')).not.toContain('hotfix');
    const after = JSON.parse(cli(['plan', '--ring', 'canary', '--json', '--cwd', dir]).stdout);
    expect(after.actions.filter((a: { kind: string }) => a.kind !== 'noop' && a.kind !== 'blocked')).toEqual(
      [],
    );
  });
});
