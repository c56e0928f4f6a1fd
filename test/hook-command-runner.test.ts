// commandRunner's quoting: an argv-array command hook becomes one shell string that sh reads back as exactly the same
// words (checked by a real sh), and a command the runner's program would read as an option is refused.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ArgvRunner, resolveHook, shellQuote } from '../src/apply/hook-runner.js';

describe('commandRunner', () => {
  it('quotes every word so that sh reads back exactly the argv', () => {
    const argv = ['A=1', 'php', 'artisan', "it's", 'a b', '$HOME', '`id`', '--tag=x', '', 'ünï', '*', 'x;y'];
    const line = argv.map(shellQuote).join(' ');
    const r = spawnSync('sh', ['-c', `for a in ${line}; do printf '%s\\n' "$a"; done`], { encoding: 'utf8' });
    expect(r.stdout.split('\n').slice(0, -1)).toEqual(argv);
    // A first word with `=` is quoted: sh runs it as a program, not an assignment.
    expect(shellQuote('A=1')).toBe("'A=1'");
  });

  it('routes command hooks through the runner, refusing one that starts with -', () => {
    const runners = new Map([['shell', new ArgvRunner('shell', ['sh', '-c', '{hook}'])]]);
    const config = { runners: { shell: ['sh', '-c', '{hook}'] }, commandRunner: 'shell' };
    expect(resolveHook(['php', 'artisan', 'migrate'], runners, config)).toMatchObject({
      kind: 'reference',
      reference: 'php artisan migrate',
    });
    expect(resolveHook('-x evil', runners, config)).toMatchObject({ kind: 'unresolved' });
    expect(resolveHook('php artisan migrate', new Map(), config)).toMatchObject({
      kind: 'unresolved',
      why: expect.stringContaining('hooks.commandRunner names "shell"'),
    });
  });
});
