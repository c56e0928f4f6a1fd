// One confirmation rule for the commands that change a target: off a terminal, apply, install, upgrade and rollback
// all need --yes (exit 2, cli/confirm, nothing changed); with it they go ahead; on a terminal each asks, and only
// "y"/"yes" goes ahead.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, manifest, platformRepo } from './helpers.js';

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

/** Runs the CLI on a terminal (util-linux script(1) gives it one: Debian's essential bsdutils), typing `answer`. */
function onTerminal(args: string[], answer: string): { code: number | null; out: string } {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const r = spawnSync('script', ['-qec', quoted, '/dev/null'], {
    input: `${answer}\n`,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('on a terminal', () => {
  // Each command with its question, and a set-up in which it has something to do.
  const cases: [string, (dir: string) => string[], string][] = [
    ['apply', () => ['apply'], 'Apply these changes?'],
    ['upgrade', () => ['upgrade', 'orders', '--to', '1.1.0'], 'upgrade orders 1.0.0 → 1.1.0 on the target?'],
    [
      'rollback',
      (dir) => {
        expect(cli(['upgrade', 'orders', '--to', '1.1.0', '--yes', '--skip-hooks', '--cwd', dir]).code).toBe(
          0,
        );
        return ['rollback', 'orders'];
      },
      'on the target?',
    ],
  ];
  it.each(cases)('%s asks; "n" changes nothing, "y" goes ahead', (_name, setUp, question) => {
    const { dir, state } = twoVersions();
    const args = [...setUp(dir), '--skip-hooks', '--cwd', dir];
    const before = state();
    const no = onTerminal(args, 'n');
    expect(no.out).toContain(question);
    expect(no.out).toContain('nothing applied');
    expect(no.code, no.out).toBe(0);
    expect(state()).toBe(before);
    const yes = onTerminal(args, 'y');
    expect(yes.out).toContain(question);
    expect(yes.code, yes.out).toBe(0);
    expect(state()).not.toBe(before);
  });

  it('install asks too', () => {
    const dir = platformRepo({ orders: { version: '1.0.0' } });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    expect(cli(['publish', '--cwd', dir]).code).toBe(0);
    const args = ['install', 'orders@1.0.0', '--skip-hooks', '--cwd', dir];
    const no = onTerminal(args, 'n');
    expect(no.out).toContain('install orders 1.0.0 on the target?');
    expect(no.out).toContain('nothing applied');
    expect(JSON.stringify(JSON.parse(cli(['list', '--json', '--cwd', dir]).stdout))).not.toContain('"1.0.0"');
    const yes = onTerminal(args, 'yes');
    expect(yes.code, yes.out).toBe(0);
    expect(JSON.stringify(JSON.parse(cli(['list', '--json', '--cwd', dir]).stdout))).toContain('"1.0.0"');
  });
});
