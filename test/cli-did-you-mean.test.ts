// A mistyped command or flag gets the nearest one suggested; nothing near, nothing suggested.
import { describe, expect, it } from 'vitest';
import { editDistance, nearest } from '../src/cli/suggest.js';
import { cli, testdir } from './helpers.js';

describe('nearest', () => {
  it('counts a swap of two neighbours as one edit', () => {
    expect(editDistance('lokc', 'lock')).toBe(1);
    expect(editDistance('plan', 'plan')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests only what is a typo away', () => {
    expect(nearest('promot', ['plan', 'promote'])).toBe('promote');
    expect(nearest('frobnicate', ['plan', 'promote'])).toBeUndefined();
    expect(nearest('x', ['plan'])).toBeUndefined();
  });
});

describe('the CLI', () => {
  const dir = testdir();
  const line = (args: string[]) => {
    const r = cli([...args, '--cwd', dir]);
    expect(r.code).toBe(2);
    return r.stderr.split('\n')[0];
  };

  it('suggests the nearest command, one or two words', () => {
    expect(line(['lokc'])).toBe('error: unknown command "lokc"; did you mean "lock"? [cli/usage]');
    expect(line(['ring', 'lsit'])).toBe(
      'error: unknown command "ring lsit"; did you mean "ring list"? [cli/usage]',
    );
    expect(line(['help', 'plna'])).toContain('did you mean "plan"?');
  });

  it("suggests the nearest of the command's long flags", () => {
    expect(line(['apply', '--dryrun'])).toBe(
      `error: apply: Unknown option '--dryrun'; did you mean "--dry-run"? [cli/usage]`,
    );
    expect(line(['plan', '--prnue'])).toContain('did you mean "--prune"?');
    // A flag of another command is not suggested: lock has no --prune.
    expect(line(['lock', '--prnue'])).toBe("error: lock: Unknown option '--prnue' [cli/usage]");
  });
});
