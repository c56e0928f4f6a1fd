// Module code (lifecycle hooks, health commands of module.json and ringlock.yaml) gets a minimal environment, never the
// daemon's secrets, and runs in its own process group that is killed whole on a timeout.
import { randomBytes } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitHealthy } from '../src/apply/health.js';
import { runHook } from '../src/apply/hooks.js';
import { buildPlatform, processAlive, scratch, show } from './fixtures-platform.js';

const mark = () => `m${randomBytes(6).toString('hex')}`;

/** Secrets a daemon runs with: none may reach module code. Values are unique, so a leak shows as a substring. */
function secrets(): Record<string, string> {
  return {
    GITHUB_TOKEN: `ghp_${mark()}`,
    RINGLOCK_GIT_TOKEN: `git-${mark()}`,
    ACME_REGISTRY_TOKEN: `reg-${mark()}`,
    RINGLOCK_NOTIFY_SECRET: `notify-${mark()}`,
    AWS_SECRET_ACCESS_KEY: `aws-${mark()}`,
    NODE_OPTIONS: `--max-old-space-size=${4000 + Math.floor(Math.random() * 900)}`,
  };
}

function expectNoSecrets(file: string, s: Record<string, string>): string {
  const text = readFileSync(file, 'utf8');
  for (const [name, value] of Object.entries(s)) {
    expect(text, `${name} reached module code`).not.toContain(value);
    expect(text).not.toMatch(new RegExp(`^${name}=`, 'm'));
  }
  expect(text).toMatch(/^PATH=/m);
  return text;
}

/** Processes whose command line starts with `argv0` and whose environment or command line holds `marker`. */
function processesWith(argv0: string, marker: string): number[] {
  const found: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'latin1');
      if (!cmd.startsWith(`${argv0}\0`)) continue;
      if (cmd.includes(marker) || readFileSync(`/proc/${d}/environ`, 'latin1').includes(marker))
        found.push(Number(d));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

/** Asserts none is left, and cleans up on failure so a broken build does not leak sleeping processes. */
function expectNoneLeft(argv0: string, marker: string): void {
  const left = processesWith(argv0, marker);
  for (const pid of left) process.kill(pid, 'SIGKILL');
  expect(left, `${argv0} processes left behind`).toEqual([]);
}

describe.concurrent('module code environment (through the CLI)', () => {
  it('a hook, a module health command and the platform health.command see no secret; PATH and passed names they do', async (t) => {
    const dump = (what: string) => `env > "$RL_HOOK_OUT/$RINGLOCK_MODULE.${what}.env"`;
    const p = await buildPlatform(scratch(t), {
      own: {
        version: '1.0.0',
        lifecycle: { onInstall: dump('hook') },
        healthCheck: { command: dump('health'), timeout: '5s', interval: '200ms' },
      },
      plain: { version: '1.0.0' },
    });
    const cfg = join(p.repo, 'ringlock.yaml');
    writeFileSync(cfg, `${readFileSync(cfg, 'utf8')}health:\n  command: '${dump('platform')}'\n`);
    const s = secrets();
    const r = await p.apply(['--json'], {
      env: { ...s, RL_EXTRA: 'passed-by-operator', RL_HOOK_OUT: p.out },
    });
    expect(r.code, show(r)).toBe(0);
    // RL_HOOK_OUT reaches module code only because the fixture's RINGLOCK_MODULE_ENV passes it.
    const hook = expectNoSecrets(join(p.out, 'own.hook.env'), s);
    expect(hook).toMatch(/^RINGLOCK_OPERATION_ID=.+/m);
    expect(hook).toMatch(/^RINGLOCK_TO_VERSION=1\.0\.0$/m);
    expect(hook).not.toMatch(/^RL_EXTRA=/m);
    expect(expectNoSecrets(join(p.out, 'own.health.env'), s)).toMatch(/^RINGLOCK_MODULE=own$/m);
    expect(expectNoSecrets(join(p.out, 'plain.platform.env'), s)).toMatch(/^RINGLOCK_MODULE=plain$/m);

    // The operator's RINGLOCK_MODULE_ENV adds a name.
    const p2 = await buildPlatform(scratch(t), {
      own: { version: '1.0.0', lifecycle: { onInstall: dump('hook') } },
    });
    const r2 = await p2.apply([], {
      env: {
        ...s,
        RL_EXTRA: 'passed-by-operator',
        RL_HOOK_OUT: p2.out,
        RINGLOCK_MODULE_ENV: 'RL_HOOK_OUT,RL_EXTRA',
      },
    });
    expect(r2.code, show(r2)).toBe(0);
    expect(expectNoSecrets(join(p2.out, 'own.hook.env'), s)).toMatch(/^RL_EXTRA=passed-by-operator$/m);
  });

  it("with the operator's moduleUser, module code cannot read ringlock's environment through /proc", async (t) => {
    const probe = `{ id -u; tr '\\0' '\\n' < /proc/$PPID/environ || echo "environ: denied"; } > "$RL_HOOK_OUT/$RINGLOCK_MODULE.proc" 2>&1; { stat -c '%u %a' "$RINGLOCK_CONTEXT_FILE"; grep -c '"hook": "onInstall"' "$RINGLOCK_CONTEXT_FILE"; } > "$RL_HOOK_OUT/$RINGLOCK_MODULE.ctx" 2>&1`;
    const p = await buildPlatform(scratch(t), { own: { version: '1.0.0', lifecycle: { onInstall: probe } } });
    // The module user must reach the store (through the temp dirs) and write its report.
    chmodSync(p.root, 0o755);
    chmodSync(p.out, 0o777);
    const s = secrets();
    const env = { ...s, RL_HOOK_OUT: p.out };
    if (process.getuid?.() !== 0) {
      // Not root: the switch is refused with the reason, and the module fails before anything is switched.
      const r = await p.apply(['--json'], { env: { ...env, RINGLOCK_MODULE_USER: '65534:65534' } });
      expect(r.code, show(r)).toBe(3);
      expect(r.stdout).toContain('needs root or CAP_SETUID and CAP_SETGID');
      return;
    }
    // Without it, module code runs as ringlock's user and can read its parent's environment: the gap this closes.
    const before = await p.apply([], { env });
    expect(before.code, show(before)).toBe(0);
    expect(readFileSync(join(p.out, 'own.proc'), 'utf8')).toContain(s.RINGLOCK_GIT_TOKEN);
    const q = await buildPlatform(scratch(t), { own: { version: '1.0.0', lifecycle: { onInstall: probe } } });
    chmodSync(q.root, 0o755);
    chmodSync(q.out, 0o777);
    const r = await q.apply([], { env: { ...env, RL_HOOK_OUT: q.out, RINGLOCK_MODULE_USER: '65534:65534' } });
    expect(r.code, show(r)).toBe(0);
    const report = readFileSync(join(q.out, 'own.proc'), 'utf8');
    expect(report.split('\n')[0]).toBe('65534');
    expect(report).toContain('environ: denied');
    for (const value of Object.values(s)) expect(report).not.toContain(value);
    // The context file is the module user's to read, and nobody else's.
    expect(readFileSync(join(q.out, 'own.ctx'), 'utf8')).toBe('65534 600\n1\n');
  });

  it('a health command that times out is killed with its whole process group', async (t) => {
    const p = await buildPlatform(scratch(t), {
      web: {
        version: '1.0.0',
        healthCheck: { command: 'sleep 201 & sleep 202; exit 0', timeout: '1s', interval: '200ms' },
      },
    });
    const r = await p.apply(['--json'], { env: { RL_HOOK_OUT: p.out } });
    expect(r.code, show(r)).toBe(3);
    expect(r.stdout, show(r)).toMatch(/"outcome": "rolled_back"/);
    // RL_HOOK_OUT=<this test's dir> is in every module process's environment: a marker unique to this test.
    expectNoneLeft('sleep', `RL_HOOK_OUT=${p.out}`);
  });

  it('a hook that times out is killed with its whole process group', async (t) => {
    const p = await buildPlatform(scratch(t), {
      job: { version: '1.0.0', lifecycle: { onInstall: 'sleep 201 & sleep 202; exit 0' } },
    });
    const r = await p.apply(['--json', '--hook-timeout', '1s'], { env: { RL_HOOK_OUT: p.out } });
    expect(r.code, show(r)).toBe(3);
    expect(r.stdout).toMatch(/timed out after 1000 ms/);
    expectNoneLeft('sleep', `RL_HOOK_OUT=${p.out}`);
  });
});

describe('moduleEnv option (runner called directly, real child processes)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it('runHook and waitHealthy pass the names of moduleEnv.pass and the values of moduleEnv.set, nothing else', async (t) => {
    const dir = scratch(t, 'module-env');
    const s = secrets();
    Object.assign(process.env, s, { RL_PASSED: 'from-daemon', RL_NOT_PASSED: 'hidden' });
    delete process.env.RINGLOCK_MODULE_ENV;
    const moduleEnv = {
      pass: ['RL_PASSED'],
      set: { RL_FIXED: 'fixed value', RINGLOCK_OPERATION_ID: 'forged' },
    };
    await runHook(
      'onInstall',
      {
        module: 'm',
        operation: 'install',
        fromVersion: null,
        toVersion: '1.0.0',
        sourcePath: dir,
        manifest: { name: 'm', version: '1.0.0', lifecycle: { onInstall: 'env > hook.env' } },
        operationId: 'op-1',
      },
      { timeoutMs: 10_000, moduleEnv },
    );
    const h = await waitHealthy(
      { command: ['/bin/sh', '-c', 'env > health.env'], timeoutMs: 5000, intervalMs: 100 },
      dir,
      undefined,
      {
        moduleEnv,
      },
    );
    expect(h.healthy).toBe(true);
    for (const f of ['hook.env', 'health.env']) {
      const text = expectNoSecrets(join(dir, f), s);
      expect(text).toMatch(/^RL_PASSED=from-daemon$/m);
      expect(text).toMatch(/^RL_FIXED=fixed value$/m);
      expect(text).not.toMatch(/^RL_NOT_PASSED=/m);
    }
    // The context wins over the operator's values: crash recovery finds a hook by its real operation id.
    expect(readFileSync(join(dir, 'hook.env'), 'utf8')).toMatch(/^RINGLOCK_OPERATION_ID=op-1$/m);
  });

  it('an aborted health command is stopped with its group', async (t) => {
    const dir = scratch(t, 'module-env');
    const marker = mark();
    const ac = new AbortController();
    const waiting = waitHealthy(
      { command: `sleep 203 & sleep 204; exit 0`, timeoutMs: 60_000, intervalMs: 100 },
      dir,
      ac.signal,
      { moduleEnv: { set: { RL_MARK: marker } } },
    );
    for (let i = 0; i < 200 && processesWith('sleep', marker).length < 2; i++)
      await new Promise((r) => setTimeout(r, 25));
    const pids = processesWith('sleep', marker);
    expect(pids).toHaveLength(2);
    ac.abort();
    expect(await waiting).toMatchObject({ healthy: false, aborted: true });
    expect(pids.filter(processAlive)).toEqual([]);
    expectNoneLeft('sleep', marker);
  });
});
