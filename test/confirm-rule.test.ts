// One confirmation rule for the commands that change a target: off a terminal, apply, install, upgrade and rollback
// all need --yes (exit 2, cli/confirm, nothing changed); with it they go ahead.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, manifest, platformRepo } from './helpers.js';

/** orders 1.0.0 applied, then 1.1.0 locked and published; what list and history say. */
function twoVersions(): { dir: string; state: () => string } {
  const dir = platformRepo({ orders: { version: '1.0.0' } });
  const ok = (args: string[]) => expect(cli([...args, '--cwd', dir]).code).toBe(0);
  ok(['lock']);
  ok(['publish']);
  ok(['apply', '--yes', '--skip-hooks']);
  writeFileSync(join(dir, 'modules/orders/module.json'), manifest('orders', '1.1.0'));
  ok(['lock']);
  ok(['publish']);
  const state = () => ['list', 'history'].map((c) => cli([c, '--json', '--cwd', dir]).stdout).join('\n');
  return { dir, state };
}

describe('off a terminal without --yes', () => {
  it.each([
    [['apply'], 'apply changes the target'],
    [['upgrade', 'orders', '--to', '1.1.0'], 'upgrade changes the target'],
    [['rollback', 'orders'], 'rollback changes the target'],
    [['install', 'orders@1.0.0'], 'install changes the target'],
  ])('%j exits 2 asking for --yes, and changes nothing', (args, what) => {
    const { dir, state } = twoVersions();
    const before = state();
    const r = cli([...args, '--skip-hooks', '--cwd', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${what}: pass --yes to go ahead without a prompt`);
    expect(r.stderr).toContain('[cli/confirm]');
    expect(state()).toBe(before);
  });
});

describe('with --yes', () => {
  it('upgrade and rollback go ahead', () => {
    const { dir } = twoVersions();
    expect(cli(['upgrade', 'orders', '--to', '1.1.0', '--yes', '--skip-hooks', '--cwd', dir]).code).toBe(0);
    expect(cli(['rollback', 'orders', '--yes', '--skip-hooks', '--cwd', dir]).code).toBe(0);
    const list = JSON.parse(cli(['list', '--json', '--cwd', dir]).stdout);
    expect(JSON.stringify(list)).toContain('"1.0.0"');
  });
});
