import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/spec.js';
import { cli, platformRepo, REPO_ROOT } from './helpers.js';

describe('help and usage', () => {
  it('prints top-level help listing every command', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(c.name);
    expect(r.stdout).toContain('Exit codes');
  });

  it.each(COMMANDS.map((c) => c.name))('"%s --help" shows usage, options and the global flags', (name) => {
    const r = cli([...name.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: ringlock ${name}`);
    for (const flag of ['--json', '--cwd', '--help']) expect(r.stdout).toContain(flag);
    expect(cli(['help', ...name.split(' ')]).stdout).toBe(r.stdout);
  });

  it('exits 2 with no command, printing the help', () => {
    const r = cli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Usage: ringlock <command>');
  });

  it('prints the version', () => {
    expect(cli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('answers --json errors as JSON on stdout', () => {
    const r = cli(['verify', '--ring', 'nope', '--json']);
    expect(r.code).toBe(2);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: false, error: { code: 'cli/ring', exitCode: 2 } });
    expect(j.error.diagnostics[0].expected).toBe('one of: canary, edge, stable');
  });

  it('finds ringlock.yaml in a parent directory', () => {
    const r = cli(['ring', 'list', '--json'], { cwd: join(REPO_ROOT, 'examples/platform/modules/orders') });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).rings).toHaveLength(3);
  });

  it('colours output only when asked and never with NO_COLOR', () => {
    expect(cli(['compat', '--ring', 'edge'], { env: { FORCE_COLOR: '1', NO_COLOR: '' } }).stdout).toContain(
      '\u001b[',
    );
    expect(cli(['compat', '--ring', 'edge']).stdout).not.toContain('\u001b[');
  });
});

describe('the shipped example (ringlock.yaml at the top)', () => {
  it('ring list shows the rings in order with module and tenant counts', () => {
    const r = cli(['ring', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1\s+canary\s+-\s+0\s+yes\s+yes\s+2\.0\.0\s+8\s+2/);
    expect(r.stdout).toMatch(/2\s+edge\s+canary\s+24h\s+no\s+no\s+1\.9\.2\s+8\s+2/);
    expect(r.stdout).toMatch(/3\s+stable\s+edge\s+72h\s+no\s+no\s+1\.9\.2\s+8\s+4/);
    const j = JSON.parse(cli(['ring', 'list', '--json']).stdout);
    expect(j.rings.map((x: { name: string }) => x.name)).toEqual(['canary', 'edge', 'stable']);
  });

  it('ring show lists policy, modules and tenants', () => {
    const r = cli(['ring', 'show', 'stable']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/promote from\s+edge/);
    expect(r.stdout).toMatch(/min soak\s+72h/);
    expect(r.stdout).toMatch(/orders\s+1\.4\.0\s+sha256:/);
    expect(r.stdout).toContain('umbrella-retail');
    const t = cli(['ring', 'show', 'canary', '--tenants', '--json']);
    const j = JSON.parse(t.stdout);
    expect(j.tenants).toEqual(['acme-internal', 'beta-bakery']);
    expect(j.modules).toBeUndefined();
    expect(j.ring.promotesTo).toEqual(['edge']);
  });

  it('every ring lock is fresh and verifies against the sources', () => {
    for (const ring of ['canary', 'edge', 'stable']) {
      expect(cli(['lock', '--check', '--ring', ring]).code, ring).toBe(0);
      expect(cli(['verify', '--ring', ring]).code, ring).toBe(0);
    }
  });

  it('compat shows the deliberate failure in canary clearly, with the chain, and edge and stable clean', () => {
    const r = cli(['compat']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/reports\s+1\.1\.0\s+\^1\.8\.0\s+2\.0\.0\s+incompatible/);
    expect(r.stdout).toContain(
      '@acme/analytics blocked: @acme/analytics needs reports ^1.0.0 → reports 1.1.0 is incompatible with platform 2.0.0 (needs ^1.8.0)',
    );
    const j = JSON.parse(cli(['compat', '--json']).stdout);
    const statuses = Object.fromEntries(
      j.rings.map((ring: { ring: string; results: Array<{ status: string }> }) => [
        ring.ring,
        [...new Set(ring.results.map((x) => x.status))].sort(),
      ]),
    );
    expect(statuses).toEqual({ canary: ['blocked', 'incompatible', 'ok'], edge: ['ok'], stable: ['ok'] });
    expect(cli(['compat', '--ring', 'stable']).code).toBe(0);
    // What if stable moved to platform 2.0.0 today?
    const what = cli(['compat', '--ring', 'stable', '--platform', '2.0.0']);
    expect(what.code).toBe(1);
  });

  it('the README main job (npm start) runs the daemon on the example: it converges on a pushed bump and stops', () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/main-job.mjs')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/0\s+ringlock lock --check\s+ok/);
    expect(r.stdout).toMatch(/1\s+ringlock compat --ring canary\s+found problems/);
    // The daemon applied the first commit, then the pushed bump after the signed webhook, and stopped cleanly.
    expect(r.stdout).toMatch(/POST \/hooks\/github → 202/);
    expect(r.stdout).toMatch(/Converged \d+ ms after the webhook/);
    expect(r.stdout).toMatch(/orders\s+desired 1\.5\.1\s+deployed 1\.5\.1\s+active/);
    // Blocked modules read blocked, with the reason, as the header's "2 module(s) blocked" says (issue 13: was pending).
    expect(r.stdout).toMatch(/reports\s+desired 1\.1\.0\s+deployed -\s+blocked: \S/);
    expect(r.stdout).toMatch(/health degraded \(2 module\(s\) blocked\)/);
    expect(r.stdout).not.toMatch(/\spending$/m);
    expect(r.stdout).toMatch(/daemon stopped by SIGTERM: exit 0/);
    expect(r.stdout).toMatch(/0\s+ringlock daemon --ring canary\s+ok/);
    expect(r.stdout).toMatch(/orders\s+upgrade\s+1\.5\.0 → 1\.5\.1\s+succeeded\s+daemon/);
  });
});

describe('compat with --strict', () => {
  it('fails on a module without a platform constraint only with --strict', () => {
    const dir = platformRepo({ free: { version: '1.0.0', extra: { compatibility: {} } } });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    expect(cli(['compat', '--cwd', dir]).code).toBe(0);
    const r = cli(['compat', '--strict', '--cwd', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('free: declares no platform constraint');
  });

  it('reads constraints and dependencies from the source when an older lock lacks them', () => {
    const dir = platformRepo({
      a: { version: '1.0.0', extra: { dependencies: { b: '^2.0.0' } } },
      b: { version: '1.0.0' },
    });
    cli(['lock', '--cwd', dir]);
    writeFileSync(
      join(dir, 'rings/canary.lock.json'),
      JSON.stringify({
        lockfileVersion: 1,
        ring: 'canary',
        platform: '2.0.0',
        modules: {
          a: { version: '1.0.0', sha256: `sha256:${'0'.repeat(64)}` },
          b: { version: '1.0.0', sha256: `sha256:${'1'.repeat(64)}` },
        },
      }),
    );
    const r = cli(['compat', '--json', '--cwd', dir]);
    const a = JSON.parse(r.stdout).rings[0].results.find((x: { name: string }) => x.name === 'a');
    expect(a.chain).toEqual(['a needs b ^2.0.0', 'the ring has b 1.0.0']);
  });
});
