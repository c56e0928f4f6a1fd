// The published package as a new user gets it: `npm pack` of the built tree, installed offline into an empty
// directory far from this repository's node_modules, then run through its bin. No build step, no dev dependencies.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifest, REPO_ROOT, writeTree } from './helpers.js';
import { git } from './support/check-repo.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies: Record<string, string>;
};

let work: string;
let tarball: string;
let app: string;
let files: string[];

// npm with no registry at hand: runtime dependencies (there are none) would come from the lead's cache only.
const npmEnv = () => ({
  ...process.env,
  npm_config_cache: process.env.npm_config_cache ?? join(homedir(), '.npm'),
  npm_config_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  NODE_PATH: '',
});

function npm(args: string[], cwd: string) {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', env: npmEnv() });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ringlock-pkg-'));
  // The suite builds dist/ first; --ignore-scripts keeps `prepack` from rebuilding it under other running tests.
  const out = npm(['pack', '--ignore-scripts', '--pack-destination', work], REPO_ROOT).trim().split('\n');
  tarball = join(work, out.at(-1)!);
  files = spawnSync('tar', ['tzf', tarball], { encoding: 'utf8' }).stdout.trim().split('\n');
  app = join(work, 'app');
  mkdirSync(app);
  npm(['init', '-y'], app);
  npm(['install', '--omit=dev', tarball], app);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const ringlock = (args: string[], cwd: string) =>
  spawnSync(join(app, 'node_modules/.bin/ringlock'), args, { cwd, encoding: 'utf8', env: npmEnv() });

describe('the npm package', () => {
  it('ships the bundle, the bin, the schemas and what init copies: no sources, tests, maps or the Action bundle', () => {
    expect(files).toContain('package/bin/ringlock.js');
    expect(files).toContain('package/LICENSE');
    expect(files).toContain('package/dist/cli.js');
    expect(files).toContain('package/schemas/ring-lock.schema.json');
    // ringlock init copies the workflows and the Kubernetes overlays from the installed package.
    expect(files).toContain('package/examples/github/ringlock-check.yml');
    expect(files).toContain('package/examples/kubernetes/overlays/stable/kustomization.yaml');
    expect(
      files.filter((f) => /^package\/(src|test|scripts|bench|\.github|examples\/platform)\//.test(f)),
    ).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map') || f.startsWith('package/dist/action/'))).toEqual([]);
    // And its files name no map: `npm pack` builds without them (this test packs the suite's build, which has maps,
    // with --ignore-scripts so as not to rebuild dist/ under other tests).
    expect(pkg.scripts.prepack).toBe('node scripts/build.mjs --no-source-maps');
  });

  it('has no runtime dependencies: the bundle carries them', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    const installed = readdirSync(join(app, 'node_modules')).filter((n) => !n.startsWith('.'));
    expect(installed).toEqual(['ringlock']);
    for (const dev of ['esbuild', 'vitest', 'typescript', '@octokit/openapi'])
      expect(Object.keys(pkg.devDependencies)).toContain(dev);
  });

  it('runs from the install: --version (via npx) and --help', () => {
    const v = spawnSync('npx', ['--no', '--', 'ringlock', '--version'], {
      cwd: app,
      encoding: 'utf8',
      env: npmEnv(),
    });
    expect(v.stderr).toBe('');
    expect(v.stdout).toBe(`${pkg.version}\n`);
    const help = ringlock(['--help'], app);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^ringlock \S+ — /);
    expect(help.stdout).toContain('lock');
  });

  it('checks, publishes and applies the shipped example platform: the bundle needs nothing from a node_modules', () => {
    const platform = join(work, 'platform');
    mkdirSync(join(platform, 'examples'), { recursive: true });
    cpSync(join(REPO_ROOT, 'ringlock.yaml'), join(platform, 'ringlock.yaml'));
    cpSync(join(REPO_ROOT, 'rings'), join(platform, 'rings'), { recursive: true });
    cpSync(join(REPO_ROOT, 'examples/platform'), join(platform, 'examples/platform'), { recursive: true });
    const lock = ringlock(['lock', '--check'], platform);
    expect(lock.status, lock.stderr).toBe(0);
    expect(lock.stdout).toContain('up to date');
    const verify = ringlock(['verify', '--json'], platform);
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stdout).toContain('"ok"');
    // publish packs into the file registry; apply fetches, verifies and extracts on the worker bundle (dist/).
    const publish = ringlock(['publish', '--ring', 'canary', '--all'], platform);
    expect(publish.status, publish.stderr).toBe(0);
    const apply = ringlock(['apply', '--ring', 'canary', '--yes', '--skip-hooks'], platform);
    // The example's reports module is incompatible on purpose: it and what needs it stay blocked.
    expect(apply.stdout, apply.stderr).toContain('6 applied, 0 failed, 0 rolled back, 2 blocked');
    const list = ringlock(['list'], platform);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/orders\s+1\.5\.0/);
  });

  it("a new user's whole path with the installed package: init, lock --check, verify, check, publish, apply, bump, check, promote --dry-run", () => {
    const dir = join(work, 'newcomer');
    mkdirSync(dir);
    writeTree(dir, {
      VERSION: '2.0.0\n',
      'modules/orders/module.json': manifest('orders', '1.0.0', { dependencies: { payments: '^1.0.0' } }),
      'modules/orders/src/index.php': '<?php // orders\n',
      'modules/orders/CHANGELOG.md': '# Changelog\n\n## [1.0.0]\n- first\n',
      'modules/payments/module.json': manifest('payments', '1.0.0'),
      'modules/payments/src/index.php': '<?php // payments\n',
      'modules/payments/CHANGELOG.md': '# Changelog\n\n## [1.0.0]\n- first\n',
    });
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'the platform, before ringlock']);
    const before = git(dir, ['rev-parse', 'HEAD']);
    const run = (args: string[]) => {
      const r = ringlock(args, dir);
      return { ...r, all: `${r.stdout}${r.stderr}` };
    };

    const init = run(['init']);
    expect(init.status, init.all).toBe(0);
    expect(init.stdout).toContain('ringlock.yaml');
    expect(run(['lock', '--check']).status).toBe(0);
    const verify = run(['verify']);
    expect(verify.status, verify.all).toBe(0);
    expect(verify.stdout).toContain('2 ok, 0 failed');
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'ringlock init']);
    const initCommit = git(dir, ['rev-parse', 'HEAD']);
    const first = run(['check', '--base', before, '--head', initCommit]);
    expect(first.status, first.all).toBe(0);

    const publish = run(['publish', '--ring', 'canary']);
    expect(publish.status, publish.all).toBe(0);
    const target = join(work, 'newcomer-target');
    const apply = run(['apply', '--ring', 'canary', '--yes', '--skip-hooks', '--target', target]);
    expect(apply.status, apply.all).toBe(0);
    expect(apply.stdout).toContain('2 applied, 0 failed');

    git(dir, ['checkout', '-q', '-b', 'orders-1.1.0']);
    writeTree(dir, {
      'modules/orders/module.json': manifest('orders', '1.1.0', { dependencies: { payments: '^1.0.0' } }),
      'modules/orders/src/index.php': '<?php // orders 1.1\n',
      'modules/orders/CHANGELOG.md': '# Changelog\n\n## [1.1.0]\n- more\n\n## [1.0.0]\n- first\n',
    });
    expect(run(['lock']).status).toBe(0);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'orders 1.1.0']);
    const bump = run(['check', '--base', initCommit, '--head', git(dir, ['rev-parse', 'HEAD'])]);
    expect(bump.status, bump.all).toBe(0);
    expect(bump.stdout).toMatch(/upgrade +orders 1\.0\.0 → 1\.1\.0|orders 1\.0\.0 → 1\.1\.0/);

    // Promotion reads the remote's default branch: the repository gets one, as a team's has.
    const remote = join(work, 'newcomer.git');
    git(work, ['init', '-q', '--bare', '-b', 'main', remote]);
    git(dir, ['remote', 'add', 'origin', remote]);
    git(dir, ['push', '-q', 'origin', 'main']);
    const early = run(['promote', 'orders', 'payments', '--from', 'canary', '--dry-run']);
    expect(early.status, early.all).toBe(1);
    expect(early.all).toMatch(/soak/i);
    const forced = run(['promote', 'orders', 'payments', '--from', 'canary', '--dry-run', '--force']);
    expect(forced.status, forced.all).toBe(0);
    expect(forced.stdout).toContain('rings/edge.lock.json');
    expect(forced.stdout).toMatch(/orders[\s\S]*1\.0\.0/);
    expect(git(remote, ['branch', '--list'])).toBe('* main');
  });
});
