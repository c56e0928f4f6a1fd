// `ringlock init` on generated platform repositories: what it writes, that the result passes lock --check, verify
// and check, and that it refuses (writing nothing) when it cannot do its job.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, manifest, REPO_ROOT, type Tree, testdir } from './helpers.js';
import { git, ringlock } from './support/check-repo.js';

/** A platform repository without ringlock: modules/orders (depends on payments) and modules/payments, VERSION 2.0.0. */
function platform(extra: Tree = {}): string {
  return testdir({
    VERSION: '2.0.0\n',
    'modules/orders/module.json': manifest('orders', '1.0.0', { dependencies: { payments: '^1.0.0' } }),
    'modules/orders/src/index.php': '<?php // orders\n',
    'modules/orders/CHANGELOG.md': '# Changelog\n\n## [1.0.0]\n- first\n',
    'modules/payments/module.json': manifest('payments', '1.0.0'),
    'modules/payments/src/index.php': '<?php // payments\n',
    'modules/payments/CHANGELOG.md': '# Changelog\n\n## [1.0.0]\n- first\n',
    ...extra,
  });
}

/** Every file under `dir`, relative, sorted (for "nothing was written"). */
function files(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      return e.isDirectory() ? files(dir, rel) : [rel];
    })
    .sort();
}

const LOCKS = ['rings/canary.lock.json', 'rings/edge.lock.json', 'rings/stable.lock.json'];
const WRITTEN = [
  'ringlock.yaml',
  'rings/tenants.yaml',
  ...LOCKS,
  '.github/workflows/ringlock-check.yml',
  '.github/workflows/ringlock-promote.yml',
  'deploy/kubernetes/base/kustomization.yaml',
  'deploy/kubernetes/overlays/canary/kustomization.yaml',
  'deploy/kubernetes/overlays/edge/kustomization.yaml',
  'deploy/kubernetes/overlays/stable/kustomization.yaml',
];

describe('ringlock init', () => {
  it('writes config, locks, tenants, workflows and overlays, listing each; lock --check, verify and check pass after', () => {
    const dir = platform();
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'the platform before ringlock']);
    const before = git(dir, ['rev-parse', 'HEAD']);
    git(dir, ['checkout', '-q', '-b', 'ringlock']);
    const r = cli(['init'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    for (const f of WRITTEN) {
      expect(existsSync(join(dir, f)), f).toBe(true);
      expect(r.stdout).toMatch(new RegExp(`wrote +${f.replace(/[.]/g, '\\.')} `));
    }
    expect(r.stdout).toContain('platform 2.0.0 (from VERSION), 2 module(s) in modules/');
    const config = readFileSync(join(dir, 'ringlock.yaml'), 'utf8');
    expect(config).toContain('versionFile: VERSION');
    expect(config).toMatch(
      /- name: canary[\s\S]*- name: edge\n[\s\S]*minSoak: 24h[\s\S]*- name: stable\n[\s\S]*minSoak: 72h/,
    );
    // The tracking ring pins every module, as `ringlock lock` does; the others start empty, for promotion to fill.
    const canary = JSON.parse(readFileSync(join(dir, 'rings/canary.lock.json'), 'utf8'));
    expect(Object.keys(canary.modules)).toEqual(['orders', 'payments']);
    expect(canary).toMatchObject({ ring: 'canary', platform: '2.0.0' });
    // The user's repository has no schemas/: the locks point at this version's schema in the published package.
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const lock of LOCKS)
      expect(JSON.parse(readFileSync(join(dir, lock), 'utf8')).$schema).toBe(
        `https://cdn.jsdelivr.net/npm/ringlock@${pkg.version}/schemas/ring-lock.schema.json`,
      );
    const stable = JSON.parse(readFileSync(join(dir, 'rings/stable.lock.json'), 'utf8'));
    expect(stable).toMatchObject({ ring: 'stable', platform: '2.0.0' });
    expect(stable.modules).toEqual({});
    // Copied from the package's examples/, not embedded; the examples' Action and image (acme's, which nobody here
    // controls) become placeholders that fail closed until the operator names their own.
    const check = readFileSync(join(dir, '.github/workflows/ringlock-check.yml'), 'utf8');
    expect(check).toBe(
      readFileSync(join(REPO_ROOT, 'examples/github/ringlock-check.yml'), 'utf8')
        .split('acme/ringlock@v1')
        .join('./set-the-ringlock-action'),
    );
    expect(check).toContain('uses: ./set-the-ringlock-action');
    expect(files(dir).filter((f) => /acme\//.test(readFileSync(join(dir, f), 'utf8')))).toEqual([]);
    expect(readFileSync(join(dir, 'deploy/kubernetes/base/kustomization.yaml'), 'utf8')).toContain(
      'newName: registry.invalid/set-the-ringlock-image/ringlock',
    );
    expect(r.stderr).toContain('--action <owner>/ringlock@<commit SHA>');
    expect(readFileSync(join(dir, 'deploy/kubernetes/overlays/edge/kustomization.yaml'), 'utf8')).toContain(
      'kubectl apply -k deploy/kubernetes/overlays/edge',
    );

    for (const ring of ['canary', 'edge', 'stable']) {
      const check = cli(['lock', '--check', '--ring', ring], { cwd: dir });
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect(check.stdout).toContain('up to date');
    }
    const verify = cli(['verify'], { cwd: dir });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain('2 ok, 0 failed');

    // init → commit → the pull request passes check; then a module change on top passes too.
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'ringlock init']);
    const base = git(dir, ['rev-parse', 'HEAD']);
    const first = ringlock(dir, ['check', '--base', before, '--head', base]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /ring canary \(rings\/canary\.lock\.json\) new lock[\s\S]*install +orders 1\.0\.0/,
    );
    git(dir, ['checkout', '-q', '-b', 'orders-1.1.0']);
    writeFileSync(
      join(dir, 'modules/orders/module.json'),
      manifest('orders', '1.1.0', { dependencies: { payments: '^1.0.0' } }),
    );
    writeFileSync(join(dir, 'modules/orders/src/index.php'), '<?php // orders 1.1\n');
    writeFileSync(
      join(dir, 'modules/orders/CHANGELOG.md'),
      '# Changelog\n\n## [1.1.0]\n- more\n\n## [1.0.0]\n- first\n',
    );
    expect(ringlock(dir, ['lock']).code).toBe(0);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'orders 1.1.0']);
    const head = git(dir, ['rev-parse', 'HEAD']);
    const checked = ringlock(dir, ['check', '--base', base, '--head', head]);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toContain('orders');
  });

  it('--json lists every file with its status, and where the platform version came from', () => {
    const dir = platform();
    const r = cli(['init', '--json', '--name', 'acme-shop'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      ok: true,
      dryRun: false,
      name: 'acme-shop',
      platformVersion: '2.0.0',
      platformVersionFrom: 'VERSION',
      modulesDir: 'modules',
      trackingRing: 'canary',
      modules: [
        { name: 'orders', version: '1.0.0' },
        { name: 'payments', version: '1.0.0' },
      ],
    });
    const paths = out.files.map((f: { path: string }) => f.path);
    for (const f of WRITTEN) expect(paths).toContain(f);
    expect(out.files.every((f: { status: string }) => f.status === 'written')).toBe(true);
    expect(readFileSync(join(dir, 'ringlock.yaml'), 'utf8')).toContain('name: acme-shop');
  });

  it("--action and --image put the operator's own Action and image in the workflows and overlays", () => {
    const dir = platform();
    const sha = 'a'.repeat(40);
    const r = cli(['init', '--action', `our-org/ringlock@${sha}`, '--image', 'ghcr.io/our-org/ringlock'], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('placeholder');
    for (const wf of ['ringlock-check.yml', 'ringlock-promote.yml'])
      expect(readFileSync(join(dir, '.github/workflows', wf), 'utf8')).toContain(
        `uses: our-org/ringlock@${sha}`,
      );
    // The tag the release pushes: release-please keeps the shipped base's newTag equal to the package's version.
    const pkgVersion = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
    expect(readFileSync(join(dir, 'deploy/kubernetes/base/kustomization.yaml'), 'utf8')).toMatch(
      new RegExp(`newName: ghcr\\.io/our-org/ringlock\\n +newTag: ${pkgVersion.replaceAll('.', '\\.')} `),
    );
    expect(r.stderr).not.toContain('not pinned by a full commit SHA');
    // A tag is accepted, with a warning: it can be moved to other code.
    const tagged = cli(['init', '--action', 'our-org/ringlock@v1', '--dry-run'], { cwd: platform() });
    expect(tagged.code).toBe(0);
    expect(tagged.stderr).toContain('--action our-org/ringlock@v1 is not pinned by a full commit SHA');
    for (const [flag, value] of [
      ['--action', 'our-org/ringlock'],
      ['--action', 'x@y; rm -rf /'],
      ['--image', 'GHCR.io/Our/ringlock'],
      ['--image', 'ghcr.io/our-org/ringlock:1.0'],
    ] as const) {
      const bad = platform();
      const b = cli(['init', flag, value], { cwd: bad });
      expect(b.code, `${flag} ${value}`).toBe(2);
      expect(b.stderr).toContain(`${flag} ${value}`);
      expect(existsSync(join(bad, 'ringlock.yaml'))).toBe(false);
    }
  });

  it('--dry-run lists what it would write and writes nothing', () => {
    const dir = platform();
    const before = files(dir);
    const r = cli(['init', '--dry-run'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/would write +ringlock\.yaml/);
    expect(r.stdout).toMatch(/would write +rings\/canary\.lock\.json +lock of ring canary: 2 module\(s\)/);
    expect(r.stdout).toContain('dry run: nothing written');
    expect(files(dir)).toEqual(before);
  });

  it('refuses when ringlock.yaml exists: exit 2 naming it, nothing written', () => {
    const dir = platform({ 'ringlock.yaml': '# mine\n' });
    const before = files(dir);
    const r = cli(['init'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('1 file(s) init would write already exist; nothing was written');
    expect(r.stderr).toContain('ringlock.yaml: already exists');
    expect(r.stderr).toContain('--skip-existing');
    expect(files(dir)).toEqual(before);
    expect(readFileSync(join(dir, 'ringlock.yaml'), 'utf8')).toBe('# mine\n');
    // ringlock.yml is a config too: named as it is.
    const yml = platform({ 'ringlock.yml': '# mine\n', 'rings/canary.lock.json': '{}\n' });
    const y = cli(['init'], { cwd: yml });
    expect(y.code).toBe(2);
    expect(y.stderr).toContain('2 file(s) init would write already exist');
    expect(y.stderr).toContain('ringlock.yml: already exists');
    expect(y.stderr).toContain('rings/canary.lock.json: already exists');
    expect(existsSync(join(yml, 'ringlock.yaml'))).toBe(false);
  });

  it('--skip-existing writes only the missing files and leaves the existing ones as they are', () => {
    const dir = platform({ '.github/workflows/ringlock-check.yml': '# ours\n' });
    const r = cli(['init', '--skip-existing'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/skipped +\.github\/workflows\/ringlock-check\.yml +exists, left as is/);
    expect(readFileSync(join(dir, '.github/workflows/ringlock-check.yml'), 'utf8')).toBe('# ours\n');
    expect(existsSync(join(dir, 'ringlock.yaml'))).toBe(true);
    expect(cli(['lock', '--check'], { cwd: dir }).code).toBe(0);
    // One workflow was still written: its placeholder is warned about. Run again: nothing is written, no warning.
    expect(r.stderr).toContain('set-the-ringlock-action');
    const again = cli(['init', '--skip-existing'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('placeholder');
    expect(again.stderr).not.toContain('warning');
  });

  it('hints at ignoring .ringlock/ until .gitignore does', () => {
    const dir = platform();
    expect(cli(['init', '--dry-run'], { cwd: dir }).stdout).toContain('hint: add .ringlock/ to .gitignore');
    writeFileSync(join(dir, '.gitignore'), 'vendor/\n.ringlock/\n');
    expect(cli(['init', '--dry-run'], { cwd: dir }).stdout).not.toContain('.gitignore');
  });

  it('finds AutoCom-style Modules/<name>/module.json', () => {
    const dir = testdir({
      'composer.json': JSON.stringify({ name: 'acme/shop', version: '3.1.0' }),
      'Modules/orders/module.json': manifest('orders', '1.0.0'),
      'Modules/orders/src/OrdersServiceProvider.php': '<?php\n',
    });
    const r = cli(['init'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('platform 3.1.0 (from composer.json), 1 module(s) in Modules/');
    const config = readFileSync(join(dir, 'ringlock.yaml'), 'utf8');
    expect(config).toContain('dir: Modules');
    expect(config).toContain('version: 3.1.0 # from composer.json');
    expect(config).toContain('name: acme/shop');
    expect(cli(['lock', '--check'], { cwd: dir }).code).toBe(0);
    expect(cli(['verify'], { cwd: dir }).code).toBe(0);
  });

  it('on an AutoCom platform, says what stops it reading the manifests (an alias that is not the lowercase name), and writes nothing', () => {
    const dir = testdir({
      VERSION: '2.0.0\n',
      'Modules/Orders/module.json': JSON.stringify({
        name: 'Orders',
        alias: 'ordres',
        version: '1.0.0',
        lifecycle: { onInstall: 'Modules\\Orders\\App\\Lifecycle\\OnInstall' },
      }),
    });
    const before = files(dir);
    const r = cli(['init'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Modules/ looks like an AutoCom (Laravel) platform, and 1 problem(s) below');
    expect(r.stderr).toMatch(
      /Modules\/Orders\/module\.json:1:\d+: alias "ordres" is not the lowercase of name "Orders"/,
    );
    expect(r.stderr).toContain('nothing was written');
    expect(files(dir)).toEqual(before);
  });

  it('warns about a module folder without a manifest as lock does; a folder of lock files is no module and no warning', () => {
    const lockFile = JSON.stringify({ platform: '2.0.0', modules: {} });
    const dir = testdir({
      VERSION: '2.0.0\n',
      'Modules/Orders/module.json': JSON.stringify({ name: 'Orders', alias: 'orders', version: '1.0.0' }),
      'Modules/Shipping/src/ShippingServiceProvider.php': '<?php\n',
      // AutoCom's per-ring locks live in the modules folder.
      'Modules/manifests/canary.lock.json': lockFile,
      'Modules/manifests/stable.lock.json': lockFile,
    });
    const r = cli(['init'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /Modules\/Shipping: module folder without module\.json or module\.manifest\.json: not a module, skipped \[module\/no-manifest\]/,
    );
    expect(r.stderr).not.toContain('Modules/manifests');
    // lock and verify say the same, and nothing about the lock folder.
    for (const args of [['lock', '--check'], ['verify']]) {
      const x = cli(args, { cwd: dir });
      expect(x.code, x.stderr).toBe(0);
      expect(x.stderr).toContain('Modules/Shipping: module folder without module.json');
      expect(x.stderr).not.toContain('Modules/manifests');
    }
    const j = JSON.parse(cli(['init', '--json', '--dry-run', '--skip-existing'], { cwd: dir }).stdout);
    expect(j.warnings).toEqual([
      expect.objectContaining({ code: 'module/no-manifest', file: 'Modules/Shipping' }),
    ]);
    // A folder holding a lock file and anything else is still a module folder without a manifest.
    writeFileSync(join(dir, 'Modules/manifests/README.md'), 'locks\n');
    expect(cli(['verify'], { cwd: dir }).stderr).toContain('Modules/manifests: module folder without');
  });

  it('no modules found: a clear error, exit 2, nothing written', () => {
    const none = testdir({ VERSION: '2.0.0\n', 'README.md': '# app\n' });
    const r = cli(['init'], { cwd: none });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no modules found');
    expect(r.stderr).toContain('--modules DIR');
    expect(files(none)).toEqual(['README.md', 'VERSION']);

    const empty = testdir({ VERSION: '2.0.0\n', 'modules/orders/README.md': 'no manifest\n' });
    const e = cli(['init'], { cwd: empty });
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('no modules found: no modules/<name>/module.json');
  });

  it('a bad --modules path: exit 2 naming the argument', () => {
    const dir = platform();
    const r = cli(['init', '--modules', 'nope'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--modules nope: no such directory');
    const outside = cli(['init', '--modules', '../elsewhere'], { cwd: dir });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('--modules ../elsewhere: not a folder inside');
    const noCwd = cli(['init', '--cwd', join(dir, 'nope')]);
    expect(noCwd.code).toBe(2);
    expect(noCwd.stderr).toContain(`--cwd ${join(dir, 'nope')}: no such directory`);
    expect(existsSync(join(dir, 'ringlock.yaml'))).toBe(false);
  });

  it('--modules names another folder; without any platform version it asks for --platform-version', () => {
    const tree: Tree = {
      'packages/mods/orders/module.json': manifest('orders', '1.0.0'),
      'packages/mods/orders/index.js': '// orders\n',
    };
    const dir = testdir(tree);
    const missing = cli(['init', '--modules', 'packages/mods'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no platform version found');
    expect(missing.stderr).toContain('--platform-version');
    expect(existsSync(join(dir, 'ringlock.yaml'))).toBe(false);
    const r = cli(['init', '--modules', 'packages/mods', '--platform-version', '1.4.0'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'ringlock.yaml'), 'utf8')).toContain('dir: packages/mods');
    expect(cli(['lock', '--check'], { cwd: dir }).code).toBe(0);
  });

  // A terminal is needed for the one prompt: util-linux `script` gives the CLI one.
  // util-linux's script(1) (Debian's essential bsdutils) gives the CLI a terminal; never skipped.
  it('on a terminal, asks for the platform version when it finds none', () => {
    const dir = testdir({ 'modules/orders/module.json': manifest('orders', '1.0.0') });
    const r = spawnSync('script', ['-qec', `${process.execPath} ${BIN} init`, '/dev/null'], {
      cwd: dir,
      input: '3.2.1\n',
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 60_000,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("The platform's current version");
    expect(readFileSync(join(dir, 'ringlock.yaml'), 'utf8')).toContain('version: 3.2.1');
    expect(cli(['lock', '--check'], { cwd: dir }).code).toBe(0);
  });
});
