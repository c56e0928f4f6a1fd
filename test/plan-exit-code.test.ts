// plan --exit-code: 1 while the target differs from the lock, 0 once it matches; without the flag plan exits 0.
import { describe, expect, it } from 'vitest';
import { cli, platformRepo } from './helpers.js';

describe('plan --exit-code', () => {
  it('exits 1 while apply has something to do, 0 when the target matches the lock', () => {
    const dir = platformRepo({ orders: { version: '1.0.0' } });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    expect(cli(['publish', '--cwd', dir]).code).toBe(0);
    expect(cli(['plan', '--cwd', dir]).code).toBe(0);
    const pending = cli(['plan', '--exit-code', '--cwd', dir]);
    expect(pending.code).toBe(1);
    expect(pending.stdout).toContain('1 to install');
    expect(cli(['plan', '--exit-code', '--json', '--cwd', dir]).code).toBe(1);
    expect(cli(['apply', '--yes', '--skip-hooks', '--cwd', dir]).code).toBe(0);
    expect(cli(['plan', '--exit-code', '--cwd', dir]).code).toBe(0);
  });
});
