// The shipped example platform (examples/platform: AutoCom-shaped, its hooks `php artisan …` commands) applied with
// every hook runner kind as the operator's commandRunner: the commands run where the runner runs them (a local
// process, a signed POST, pods/exec into the platform container, a Job — the last two against the Kubernetes
// stand-in) — not as ringlock's own child unless the operator chose the local argv runner. `php` is a stand-in on
// PATH that prints what it was asked: no PHP here.
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO_ROOT, testdir } from './helpers.js';
import { RUNNER_KINDS } from './support/runner-kinds.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI as a child process, without blocking this process (the stand-ins answer from here). */
function ringlock(args: string[], cwd: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

let savedPath: string | undefined;
let stubs: string;
beforeAll(() => {
  // Its own dir: testdir()'s are removed after each test, and every kind's test needs the stand-in.
  stubs = mkdtempSync(join(tmpdir(), 'ringlock-php-stand-in-'));
  const php = join(stubs, 'php');
  writeFileSync(php, '#!/bin/sh\nprintf "php-stand-in %s\\n" "$*"\n');
  chmodSync(php, 0o755);
  // The runners' processes (local, the hook endpoint's, the stand-in kubelet's) find `php` here.
  savedPath = process.env.PATH;
  process.env.PATH = `${stubs}:${process.env.PATH ?? '/usr/bin:/bin'}`;
});
afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(stubs, { recursive: true, force: true });
});

describe.each(RUNNER_KINDS)('the example platform with commandRunner $kind', ({ setup }) => {
  it("runs the modules' php artisan hooks through the operator's runner", async () => {
    const kind = await setup();
    try {
      const dir = testdir();
      for (const f of ['ringlock.yaml', 'rings', 'examples'])
        cpSync(join(REPO_ROOT, f), join(dir, f), { recursive: true });
      const op = join(dir, 'operator.json');
      writeFileSync(
        op,
        JSON.stringify({
          apiVersion: 'ringlock/v1',
          kind: 'OperatorConfig',
          hooks: { runners: kind.runners, commandRunner: 'r' },
        }),
      );
      const env = { ...kind.env, PATH: process.env.PATH ?? '' };
      const published = await ringlock(['publish', '--ring', 'canary', '--all'], dir, env);
      expect(published.code, published.stderr).toBe(0);
      const r = await ringlock(
        ['apply', '--ring', 'canary', '--yes', '--json', '--operator-config', op],
        dir,
        env,
      );
      // The example blocks two modules on purpose (exit 1); the others install with their hooks.
      expect(r.code, `${r.stderr}${r.stdout.slice(0, 4000)}`).toBe(1);
      const out = JSON.parse(r.stdout) as {
        results: { module: string; outcome: string; action: string }[];
      };
      const installed = out.results.filter((x) => x.outcome === 'succeeded').map((x) => x.module);
      expect(installed).toContain('auth');
      const hist = await ringlock(['history', '--json'], dir, env);
      const records = (
        JSON.parse(hist.stdout) as {
          records: {
            module: string;
            op: string;
            hooks?: { hook: string; exit: number | null; output: string }[];
          }[];
        }
      ).records;
      const auth = records.find((x) => x.module === 'auth' && x.op === 'install');
      const onInstall = auth?.hooks?.find((h) => h.hook === 'onInstall');
      expect(onInstall, JSON.stringify(auth)).toBeDefined();
      expect(onInstall!.exit).toBe(0);
      // The stand-in php got the module's own command, as the runner ran it.
      expect(onInstall!.output).toContain(
        'php-stand-in artisan migrate --force --path=modules/auth/database/migrations',
      );
      // notifications' hooks are argv arrays: quoted for sh, run the same way.
      const notif = records.find((x) => x.module === 'notifications' && x.op === 'install');
      expect(notif?.hooks, JSON.stringify(notif)).toBeDefined();
      expect(notif!.hooks!.find((h) => h.hook === 'onInstall')?.output ?? '').toContain(
        'php-stand-in artisan vendor:publish --tag=notifications-config',
      );
    } finally {
      await kind.teardown();
    }
  }, 180_000);
});

it('a commandRunner the operator config does not define is refused at load (exit 2), naming the field', async () => {
  const dir = testdir();
  for (const f of ['ringlock.yaml', 'rings', 'examples'])
    cpSync(join(REPO_ROOT, f), join(dir, f), { recursive: true });
  mkdirSync(join(dir, 'op'), { recursive: true });
  const op = join(dir, 'op', 'operator.yaml');
  writeFileSync(
    op,
    'apiVersion: ringlock/v1\nkind: OperatorConfig\nhooks:\n  runners:\n    app: ["sh", "-c", "{hook}"]\n  commandRunner: web\n',
  );
  const r = await ringlock(['apply', '--ring', 'canary', '--yes', '--operator-config', op], dir, {});
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/operator\.yaml:6/);
  expect(r.stderr).toMatch(/hooks\/commandRunner: "web" is not one of hooks\.runners/);
});
