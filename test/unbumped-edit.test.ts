// The newcomer's trap: a module edited without a version bump. lock warns and names the fix, plan marks the pin
// "needs publish", apply's failure says what to do.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markUnpublished, planToJson, summaryLine } from '../src/plan/format.js';
import type { Plan } from '../src/plan/types.js';
import { cli, platformRepo } from './helpers.js';

/** A platform whose canary ring pinned, published and applied orders 1.0.0, then orders was edited in place. */
function editedAfterPublish(): string {
  const dir = platformRepo({ orders: { version: '1.0.0' } });
  expect(cli(['lock', '--cwd', dir]).code).toBe(0);
  expect(cli(['publish', '--ring', 'canary', '--all', '--cwd', dir]).code).toBe(0);
  expect(cli(['apply', '--ring', 'canary', '--yes', '--skip-hooks', '--cwd', dir]).code).toBe(0);
  appendFileSync(join(dir, 'modules/orders/src/index.php'), '// edited, version not bumped\n');
  return dir;
}

describe('an edit without a version bump', () => {
  it('lock exits 0 on the tracking ring but warns, naming the module and the fix', () => {
    const dir = editedAfterPublish();
    const r = cli(['lock', '--cwd', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'warning: orders 1.0.0: the content changed without a version bump, so ring "canary" now pins it with no artifact or integrity',
    );
    expect(r.stderr).toContain(
      'fix: bump "version" in modules/orders/module.json, then run "ringlock lock" and "ringlock publish orders"',
    );
    // A second run has nothing left to drop: no warning.
    expect(cli(['lock', '--cwd', dir]).stderr).toBe('');
  });

  it('an explicit re-pin (--module) warns the same way', () => {
    const dir = editedAfterPublish();
    const r = cli(['lock', '--module', 'orders', '--cwd', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: orders 1.0.0: the content changed without a version bump');
  });

  it('lock --json lists the warning', () => {
    const dir = editedAfterPublish();
    const j = JSON.parse(cli(['lock', '--json', '--cwd', dir]).stdout);
    expect(j.warnings).toEqual([
      expect.objectContaining({ code: 'lock/unbumped-edit', module: 'orders', version: '1.0.0' }),
    ]);
  });

  it('plan marks the pin "needs publish", in the table and in --json', () => {
    const dir = editedAfterPublish();
    cli(['lock', '--cwd', dir]);
    const human = cli(['plan', '--ring', 'canary', '--cwd', dir]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^orders\s+reinstall\s+1\.0\.0\s+1\.0\.0\s+needs publish: /m);
    expect(human.stdout).toContain('1 to reinstall; 1 needs publish');
    const j = JSON.parse(cli(['plan', '--ring', 'canary', '--json', '--cwd', dir]).stdout);
    expect(j.needsPublish).toEqual(['orders']);
    expect(j.actions[0]).toMatchObject({ module: 'orders', kind: 'reinstall', needsPublish: true });
  });

  it("apply's failure says to publish the version or bump it", () => {
    const dir = editedAfterPublish();
    cli(['lock', '--cwd', dir]);
    const r = cli(['apply', '--ring', 'canary', '--yes', '--skip-hooks', '--cwd', dir]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(
      'no integrity given; needs publish: the lock pins no artifact for orders 1.0.0',
    );
    expect(r.stdout).toContain('bump the version');
    const j = JSON.parse(
      cli(['apply', '--ring', 'canary', '--yes', '--skip-hooks', '--json', '--cwd', dir]).stdout,
    );
    expect(j.results[0].error).toContain('ringlock publish orders');
  });
});

describe('a pin never published', () => {
  it('install says to publish it', () => {
    const dir = platformRepo({ orders: { version: '1.0.0' } });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    const r = cli(['install', 'orders@1.0.0', '--yes', '--skip-hooks', '--cwd', dir]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(
      'needs publish: the lock pins no artifact for orders 1.0.0 (run "ringlock publish orders"',
    );
  });
});

describe('markUnpublished', () => {
  const p: Plan = {
    ring: 'canary',
    platform: '2.0.0',
    actions: [
      { module: 'a', kind: 'install', to: '1.0.0', sha256: 'sha256:aa' },
      {
        module: 'b',
        kind: 'upgrade',
        from: '1.0.0',
        to: '1.1.0',
        integrity: 'sha512-x',
        sha256: 'sha256:bb',
      },
      { module: 'c', kind: 'noop', from: '1.0.0', to: '1.0.0', sha256: 'sha256:cc' },
      { module: 'd', kind: 'blocked', to: '1.0.0', reason: 'incompatible' },
      { module: 'e', kind: 'remove', from: '1.0.0', unmanaged: true },
    ],
  };

  it('marks only the changes that would need an artifact the lock does not pin', () => {
    const m = markUnpublished(p);
    expect(m.actions.filter((a) => a.needsPublish).map((a) => a.module)).toEqual(['a']);
    expect(p.actions[0]!.needsPublish).toBeUndefined(); // pure: the input is untouched
    expect(planToJson(m).needsPublish).toEqual(['a']);
    expect(summaryLine(m)).toBe(
      '1 to install, 1 to upgrade, 1 to remove, 1 blocked, 1 unchanged; 1 needs publish',
    );
  });
});
