// A runner's working directory: AutoCom's `php artisan module:hook …` must run where artisan is (the app root), not in
// the module's store tree. Operator-only: `runners.php: { argv: [...], cwd: /srv/app }` beside the plain argv form.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { parseOperatorConfig } from '../src/model/operator-config.js';
import { setup } from './fixtures-hooks.js';
import { show } from './fixtures-platform.js';

/** A `php` that, like the real `php artisan`, fails unless ./artisan is where it runs; records that directory. */
const ARTISAN_PHP = `#!/bin/sh
[ "$1" = artisan ] && [ -f artisan ] || { echo "Could not open input file: artisan" >&2; exit 1; }
pwd > "$RL_HOOK_OUT/$RINGLOCK_HOOK-$RINGLOCK_MODULE-$RINGLOCK_TO_VERSION.cwd"
`;

const operator = (runner: string) =>
  `apiVersion: ringlock/v1\nkind: OperatorConfig\nhooks:\n  runners:\n    php: ${runner}\n`;

describe.concurrent('hook runner cwd', () => {
  it('runs the php runner in the operator’s cwd (the app root holding artisan); without it, in the store tree', async (t) => {
    const { p, apply, read } = await setup(t);
    const app = join(p.root, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'artisan'), '<?php\n');
    writeFileSync(join(p.root, 'bin/php'), ARTISAN_PHP);
    chmodSync(join(p.root, 'bin/php'), 0o755);
    const op = join(p.root, 'operator.yaml');
    // The plain argv form runs in the module's tree, where there is no artisan: the hook fails.
    const plain = await apply();
    expect(plain.code, show(plain)).toBe(3);
    expect(plain.stdout + plain.stderr).toContain('Could not open input file: artisan');

    writeFileSync(
      op,
      operator(
        `{ argv: ["php", "artisan", "module:hook", "{hook}", "--context", "{contextFile}"], cwd: ${JSON.stringify(app)} }`,
      ),
    );
    const r = await apply();
    expect(r.code, show(r)).toBe(0);
    expect(read('onInstall-orders-1.0.0.cwd')!.trim()).toBe(app);
    expect(read('afterSwitch-orders-1.0.0.cwd')!.trim()).toBe(app);
    expect(p.state().modules.orders).toMatchObject({ status: 'active', active: { version: '1.0.0' } });
  });

  it('refuses a cwd that is not an absolute path, climbs with .., or an unknown key (exit 2 naming the field)', () => {
    const bad = (runner: string) => {
      try {
        parseOperatorConfig('operator.yaml', operator(runner));
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        const d = (e as InputError).diagnostics()[0]!;
        return `${d.file}:${d.line}: ${d.pointer} ${d.message}`;
      }
      throw new Error(`accepted: ${runner}`);
    };
    expect(bad('{ argv: [php, "{hook}"], cwd: srv/app }')).toMatch(/operator\.yaml:5: \/hooks\/runners\/php/);
    expect(bad('{ argv: [php, "{hook}"], cwd: /srv/../etc }')).toContain('/hooks/runners/php');
    expect(bad('{ argv: [php, "{hook}"], cwd: /srv/app, env: {A: b} }')).toContain('/hooks/runners/php');
    expect(bad('{ cwd: /srv/app }')).toContain('/hooks/runners/php');
    expect(bad('{ argv: [php, "{hok}"], cwd: /srv/app }')).toContain('/hooks/runners/php/argv/1');
    const ok = parseOperatorConfig('operator.yaml', operator('{ argv: [php, "{hook}"], cwd: /srv/app }'));
    expect(ok.config.hooks?.runners?.php).toEqual({ argv: ['php', '{hook}'], cwd: '/srv/app' });
  });
});
