// Open manifests, strict where it matters: the fields ringlock interprets are validated, the platform's own are kept
// (and carried in the lock with modules.lockManifest), strict mode refuses them, the 64 KB cap, the permissions
// policy, and the warnings for module folders without a manifest.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSchema } from '../src/model/schema.js';
import { parseJsonSource } from '../src/model/source.js';
import {
  SEPTEMCORE_CONFIG,
  SEPTEMCORE_CRM,
  SEPTEMCORE_OWN_FIELDS,
  septemcoreTree,
} from './fixtures-shapes.js';
import { cli, testdir, writeTree } from './helpers.js';
import { git } from './support/check-repo.js';

const withModules = (lines: string) =>
  SEPTEMCORE_CONFIG.replace('  dir: modules\n', `  dir: modules\n${lines}`);
const CRM = 'modules/@acme/crm/module.manifest.json';

interface Diag {
  rule: string;
  file?: string;
  line?: number;
  column?: number;
  pointer?: string;
  message: string;
}

function lockJson(dir: string, ...args: string[]) {
  const r = cli(['lock', '--json', ...args], { cwd: dir });
  return { code: r.code, out: JSON.parse(r.stdout), stderr: r.stderr };
}

/** The line (1-based) of the first occurrence of `needle` in a file. */
function lineOf(dir: string, file: string, needle: string): number {
  return (
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(needle)) + 1
  );
}

describe('strict mode (modules.manifest: strict)', () => {
  it('refuses each of the platform’s own fields as an unknown property at its key; open mode takes them', () => {
    const dir = testdir({ 'ringlock.yaml': withModules('  manifest: strict\n'), ...septemcoreTree() });
    const { code, out } = lockJson(dir);
    expect(code).toBe(2);
    const diags = (out.error.diagnostics as Diag[]).filter((d) => d.file === CRM);
    expect(diags.map((d) => d.pointer).sort()).toEqual(SEPTEMCORE_OWN_FIELDS.map((f) => `/${f}`).sort());
    for (const d of diags) {
      expect(d.rule).toBe('schema/additionalProperties');
      expect(d.line).toBe(lineOf(dir, CRM, `"${d.pointer!.slice(1)}":`));
      expect(d.column).toBe(3);
    }
    expect(out.error.diagnostics[0].message).toMatch(/unknown property/);
    expect(readFileSync(join(dir, 'ringlock.yaml'), 'utf8')).toContain('strict');

    writeFileSync(join(dir, 'ringlock.yaml'), withModules('  manifest: open\n'));
    expect(cli(['lock'], { cwd: dir }).code).toBe(0);
  });

  it('modules.manifest and modules.manifestFile take only what they document, refused at the setting', () => {
    for (const [setting, pointer] of [
      ['  manifest: closed\n', '/modules/manifest'],
      ['  manifestFile: [plugin.json]\n', '/modules/manifestFile/0'],
    ] as const) {
      const dir = testdir({ 'ringlock.yaml': withModules(setting), ...septemcoreTree() });
      const { code, out } = lockJson(dir);
      expect(code).toBe(2);
      expect(out.error.diagnostics[0]).toMatchObject({ file: 'ringlock.yaml', line: 6, pointer });
    }
  });

  it('the fields ringlock interprets stay strict in open mode: a bad healthCheck string, an unknown hook, a bad range', () => {
    const dir = testdir({
      'ringlock.yaml': SEPTEMCORE_CONFIG,
      ...septemcoreTree({
        ...SEPTEMCORE_CRM,
        healthCheck: 'health',
        lifecycle: {
          onInstall: 'Modules\\Crm\\OnInstall',
          afterSwitch: ['php', 'artisan', 'cache:clear'],
          onFoo: 'x',
        },
        compatibility: { platform: 'not a range' },
      }),
    });
    const { code, out } = lockJson(dir);
    expect(code).toBe(2);
    const pointers = (out.error.diagnostics as Diag[]).map((d) => d.pointer);
    expect(pointers).toContain('/healthCheck');
    expect(pointers).toContain('/lifecycle/onFoo');
    expect(pointers).not.toContain('/lifecycle/afterSwitch');
    expect(pointers).not.toContain('/lifecycle/onInstall');
  });

  it("refuses a health path starting with '//', which would send the probe to another host", () => {
    for (const healthCheck of ['//evil.example/health', { http: { path: '//evil.example/health' } }]) {
      const doc = parseJsonSource(
        'module.json',
        JSON.stringify({ name: 'crm', version: '1.0.0', healthCheck }),
      );
      const d = validateSchema('module', doc);
      expect(d.map((x) => x.rule)).toContain('schema/pattern');
      expect(d.find((x) => x.rule === 'schema/pattern')!.expected).toContain("not '//'");
    }
  });

  it('the schema accepts a healthCheck URL, a path, an object; and lifecycle hooks as PHP classes or commands', () => {
    for (const healthCheck of [
      '/health',
      'https://crm.internal/health',
      { http: { path: '/h' }, timeout: '5s' },
    ]) {
      const doc = parseJsonSource(
        'module.json',
        JSON.stringify({
          name: 'crm',
          version: '1.0.0',
          healthCheck,
          lifecycle: { onRemove: 'Modules\\Crm\\OnRemove', onUpgrade: ['./migrate', '--up'] },
        }),
      );
      expect(validateSchema('module', doc)).toEqual([]);
    }
  });
});

describe('the 64 KB manifest cap', () => {
  it('lock refuses a manifest over 64 KB at file:1, exit 2; check reports it as RL001 at line 1', () => {
    const big = { ...SEPTEMCORE_CRM, dataApi: { blob: 'x'.repeat(65 * 1024) } };
    const dir = testdir({ 'ringlock.yaml': SEPTEMCORE_CONFIG, ...septemcoreTree() });
    expect(cli(['lock'], { cwd: dir }).code).toBe(0);
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'base']);
    writeFileSync(join(dir, CRM), JSON.stringify({ ...big, version: '1.3.0' }));
    const r = cli(['lock'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${CRM}:1:1:`);
    expect(r.stderr).toContain('larger than the limit of 65536 bytes');
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'big']);
    const c = cli(['check', '--base', 'main~1', '--head', 'HEAD', '--json'], { cwd: dir });
    expect(c.code).toBe(1);
    const f = JSON.parse(c.stdout).findings.find((x: Diag) => x.file === CRM);
    expect(f).toMatchObject({ rule: 'RL001', line: 1 });
  });
});

describe('the permissions policy (modules.permissionsPolicy: true)', () => {
  const bad = {
    ...SEPTEMCORE_CRM,
    permissions: ['crm.contacts.read', 'Crm.Deals', 'system.admin', 'billing.read', 'platform.users.read'],
  };

  it('lock and verify report each bad permission at its line; off by default', () => {
    const dir = testdir({ 'ringlock.yaml': SEPTEMCORE_CONFIG, ...septemcoreTree(bad) });
    expect(cli(['lock'], { cwd: dir }).code).toBe(0);
    writeFileSync(join(dir, 'ringlock.yaml'), withModules('  permissionsPolicy: true\n'));
    for (const cmd of ['lock', 'verify']) {
      const r = cli([cmd, '--json'], { cwd: dir });
      expect(r.code, cmd).toBe(2);
      const diags = JSON.parse(r.stdout).error.diagnostics as Diag[];
      expect(diags.map((d) => d.pointer)).toEqual([
        '/permissions/1',
        '/permissions/2',
        '/permissions/3',
        '/permissions/4',
      ]);
      expect(diags.every((d) => d.rule === 'module/permissions' && d.file === CRM)).toBe(true);
      expect(diags[0]!.line).toBe(lineOf(dir, CRM, '"Crm.Deals"'));
      expect(diags[1]!.message).toContain('reserved');
      expect(diags[2]!.message).toContain('does not start with "crm."');
      expect(diags[3]!.message).toContain('reserved');
    }
    // A module without any permission breaks the rule too.
    const { permissions: _, ...none } = SEPTEMCORE_CRM;
    writeFileSync(join(dir, CRM), JSON.stringify(none, null, 2));
    expect(lockJson(dir).out.error.diagnostics[0]).toMatchObject({ rule: 'module/permissions', file: CRM });
  });

  it('check reports each bad permission as RL001 at its line', () => {
    const dir = testdir({ 'ringlock.yaml': withModules('  permissionsPolicy: true\n'), ...septemcoreTree() });
    expect(cli(['lock'], { cwd: dir }).code).toBe(0);
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'base']);
    writeFileSync(join(dir, CRM), JSON.stringify({ ...bad, version: '1.2.1' }, null, 2));
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'bad permissions']);
    const c = cli(['check', '--base', 'main~1', '--head', 'HEAD', '--json'], { cwd: dir });
    expect(c.code).toBe(1);
    const found = (JSON.parse(c.stdout).findings as Diag[]).filter((f) =>
      f.message.includes('module/permissions'),
    );
    expect(found.map((f) => f.line)).toEqual(
      ['"Crm.Deals"', '"system.admin"', '"billing.read"', '"platform.users.read"'].map((p) =>
        lineOf(dir, CRM, p),
      ),
    );
    expect(found.every((f) => f.rule === 'RL001' && f.file === CRM)).toBe(true);
  });
});

describe('module folders without a manifest', () => {
  const tree = () => ({
    'ringlock.yaml': SEPTEMCORE_CONFIG,
    ...septemcoreTree(),
    'modules/notes/README.md': 'not a module\n',
    'modules/@acme/odd/manifest.json': '{}\n',
  });

  it('lock and verify warn naming each folder (stderr, and --json warnings), and go on', () => {
    const dir = testdir(tree());
    const r = cli(['lock'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^warning modules\/@acme\/odd: module folder without module\.json or module\.manifest\.json \(it holds manifest\.json/m,
    );
    expect(r.stderr).toMatch(
      /^warning modules\/notes: module folder without module\.json or module\.manifest\.json: not a module, skipped \[module\/no-manifest\]/m,
    );
    const j = lockJson(dir, '--check');
    expect(j.code).toBe(0);
    expect(j.out.warnings.map((w: { code: string; file: string }) => [w.code, w.file])).toEqual([
      ['module/no-manifest', 'modules/@acme/odd'],
      ['module/no-manifest', 'modules/notes'],
    ]);
    const v = cli(['verify', '--json'], { cwd: dir });
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout).warnings).toHaveLength(2);
  });

  it('a manifest name modules.manifestFile does not list is unrecognised; two manifests: the first listed wins, with a warning', () => {
    const dir = testdir({
      'ringlock.yaml': withModules('  manifestFile: [module.json]\n'),
      ...septemcoreTree(),
      'modules/@acme/crm/module.json': JSON.stringify({ name: '@acme/crm', version: '1.2.0' }),
    });
    const r = cli(['lock', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.changes.map((c: { module: string }) => c.module)).toEqual(['@acme/crm']);
    expect(out.warnings.map((w: { file: string; message: string }) => [w.file, w.message])).toEqual([
      [
        'modules/@acme/reports',
        'module folder without module.json (it holds module.manifest.json, which ringlock does not look for): not a module, skipped',
      ],
    ]);
    writeFileSync(
      join(dir, 'ringlock.yaml'),
      withModules('  manifestFile: [module.manifest.json, module.json]\n'),
    );
    const both = cli(['lock', '--json'], { cwd: dir });
    expect(JSON.parse(both.stdout).warnings).toEqual([
      expect.objectContaining({ code: 'module/second-manifest', file: 'modules/@acme/crm/module.json' }),
    ]);
  });

  it('check warns (RL001) for a folder the change adds without a manifest', () => {
    const dir = testdir({ 'ringlock.yaml': SEPTEMCORE_CONFIG, ...septemcoreTree() });
    expect(cli(['lock'], { cwd: dir }).code).toBe(0);
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'base']);
    writeFileSync(join(dir, 'modules/@acme/crm/remoteEntry.js'), 'changed\n');
    git(dir, ['add', '-A']);
    writeTree(dir, {
      'modules/@acme/widgets/widget.manifest.json': '{}\n',
      // AutoCom keeps its per-ring locks in the modules folder: a lock folder, no warning.
      'modules/manifests/canary.lock.json': '{}\n',
    });
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'a folder without a manifest']);
    const c = cli(['check', '--base', 'main~1', '--head', 'HEAD', '--json'], { cwd: dir });
    const w = (JSON.parse(c.stdout).findings as Diag[]).find((f) => f.file === 'modules/@acme/widgets');
    expect(w).toMatchObject({ rule: 'RL001', severity: 'warning' });
    expect(w!.message).toContain('module folder without module.json or module.manifest.json');
    expect((JSON.parse(c.stdout).findings as Diag[]).filter((f) => f.file === 'modules/manifests')).toEqual(
      [],
    );
  });
});

describe("the platform's own data in the lock (modules.lockManifest: true)", () => {
  it('carries the fields as the manifest has them, in its order; verify and lock --check see a change; ring show -v shows them', () => {
    const dir = testdir({ 'ringlock.yaml': withModules('  lockManifest: true\n'), ...septemcoreTree() });
    expect(cli(['lock'], { cwd: dir }).code).toBe(0);
    const text = readFileSync(join(dir, 'rings/canary.lock.json'), 'utf8');
    const entry = JSON.parse(text).modules['@acme/crm'];
    const { name: _n, version: _v, dependencies: _d, healthCheck: _h, ...own } = SEPTEMCORE_CRM;
    expect(Object.keys(entry.manifest)).toEqual(Object.keys(own));
    expect(JSON.stringify(entry.manifest)).toBe(JSON.stringify(own));
    // The lock still validates (ring-lock.schema.json accepts `manifest`) and stays fresh.
    expect(cli(['lock', '--check'], { cwd: dir }).code).toBe(0);
    expect(cli(['verify'], { cwd: dir }).code).toBe(0);

    const show = cli(['ring', 'show', 'canary', '--modules', '-v'], { cwd: dir });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('@acme/crm 1.2.0 (lock)');
    expect(show.stdout).toMatch(/^ {2}route +\/crm$/m);
    expect(show.stdout).toMatch(
      /^ {2}permissions +\["crm\.contacts\.read","crm\.contacts\.write","crm\.deals\.read"\]$/m,
    );

    // A hand edit of the lock's copy: verify names it, lock --check restores it.
    writeFileSync(
      join(dir, 'rings/canary.lock.json'),
      text.replace('"route": "/crm"', '"route": "/customers"'),
    );
    const v = cli(['verify'], { cwd: dir });
    expect(v.code).toBe(1);
    expect(v.stdout).toContain("the platform's manifest data (manifest) differs from the module's manifest");
    const c = cli(['lock', '--check'], { cwd: dir });
    expect(c.code).toBe(1);
    expect(c.stdout).toContain('~ @acme/crm 1.2.0 (manifest changed)');
  });

  it('verify --dir passes a deployment of the locked trees, and names a deployed manifest whose data differs', () => {
    const dir = testdir({ 'ringlock.yaml': withModules('  lockManifest: true\n'), ...septemcoreTree() });
    expect(cli(['lock'], { cwd: dir }).code).toBe(0);
    const target = testdir();
    cpSync(join(dir, 'modules'), target, { recursive: true });
    const ok = cli(['verify', '--dir', target], { cwd: dir });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('2 ok, 0 failed');
    // The lock's copy edited by hand (the tree unchanged): the deployed module's data no longer matches it.
    const lock = join(dir, 'rings/canary.lock.json');
    writeFileSync(lock, readFileSync(lock, 'utf8').replace('"route": "/crm"', '"route": "/customers"'));
    const v = cli(['verify', '--dir', target], { cwd: dir });
    expect(v.code).toBe(1);
    expect(v.stdout).toContain("the platform's manifest data (manifest) differs from the module's manifest");
  });

  it('check finds a lock whose manifest data no longer matches the source (RL004), naming the fields', () => {
    const dir = testdir({ 'ringlock.yaml': withModules('  lockManifest: true\n'), ...septemcoreTree() });
    expect(cli(['lock'], { cwd: dir }).code).toBe(0);
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'base']);
    const lock = join(dir, 'rings/canary.lock.json');
    writeFileSync(lock, readFileSync(lock, 'utf8').replace('"icon": "users"', '"icon": "star"'));
    git(dir, ['commit', '-q', '-am', 'hand edit']);
    const c = cli(['check', '--base', 'main~1', '--head', 'HEAD', '--json'], { cwd: dir });
    expect(c.code).toBe(1);
    const f = (JSON.parse(c.stdout).findings as Diag[]).find((x) => x.rule === 'RL004');
    expect(f!.message).toContain("the platform's manifest data differs from the source's (icon)");
  });

  it('promote carries the data into the next ring in the manifest’s order', () => {
    const dir = testdir({
      'ringlock.yaml': `${withModules('  lockManifest: true\n')}promotion:\n  branch: main\n`,
      ...septemcoreTree(),
    });
    const remote = testdir();
    expect(cli(['lock'], { cwd: dir }).code).toBe(0);
    git(remote, ['init', '-q', '--bare', '-b', 'main']);
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['remote', 'add', 'origin', remote]);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'base']);
    git(dir, ['push', '-q', 'origin', 'main']);
    const r = cli(['promote', '@acme/crm', '--from', 'canary', '--dry-run'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const added = r.stdout.split('\n').filter((l) => l.startsWith('+'));
    const at = (key: string) => added.findIndex((l) => l.includes(`"${key}":`));
    // The manifest's order (entry, exposedComponent, route, icon…), not sorted (category, dashboardWidget…).
    expect(at('entry')).toBeGreaterThan(at('manifest'));
    expect(at('entry')).toBeLessThan(at('route'));
    expect(at('route')).toBeLessThan(at('icon'));
    expect(at('icon')).toBeLessThan(at('category'));
  });

  it('without the switch the lock carries none, and ring show -v reads the fields from the source', () => {
    const dir = testdir({ 'ringlock.yaml': SEPTEMCORE_CONFIG, ...septemcoreTree() });
    expect(cli(['lock'], { cwd: dir }).code).toBe(0);
    expect(readFileSync(join(dir, 'rings/canary.lock.json'), 'utf8')).not.toContain('"manifest"');
    const show = cli(['ring', 'show', 'canary', '--modules', '-v'], { cwd: dir });
    expect(show.stdout).toContain(`@acme/crm 1.2.0 (${CRM})`);
    expect(show.stdout).toMatch(/^ {2}category +crm$/m);
    const plain = cli(['ring', 'show', 'canary', '--modules'], { cwd: dir });
    expect(plain.stdout).not.toContain('category');
  });
});

describe("hints name the module's own manifest file", () => {
  it('lock and verify say module.manifest.json for a SeptemCore module, not module.json', () => {
    const dir = testdir({ 'ringlock.yaml': SEPTEMCORE_CONFIG, ...septemcoreTree() });
    expect(cli(['lock'], { cwd: dir }).code).toBe(0);
    expect(cli(['lock', '--ring', 'stable', '--module', '@acme/crm'], { cwd: dir }).code).toBe(0);
    // canary's pin published (it has an integrity), then the source edited without a version bump.
    const canary = join(dir, 'rings/canary.lock.json');
    const lock = JSON.parse(readFileSync(canary, 'utf8'));
    lock.modules['@acme/crm'].integrity = `sha256-${'A'.repeat(43)}=`;
    writeFileSync(canary, `${JSON.stringify(lock, null, 2)}\n`);
    writeFileSync(join(dir, 'modules/@acme/crm/remoteEntry.js'), 'export const CrmApp = () => 1;\n');
    const w = lockJson(dir);
    expect(w.code).toBe(0);
    expect(w.out.warnings.find((x: { code: string }) => x.code === 'lock/unbumped-edit').fix).toBe(
      'bump "version" in modules/@acme/crm/module.manifest.json, then run "ringlock lock" and "ringlock publish @acme/crm"',
    );
    const s = lockJson(dir, '--ring', 'stable');
    expect(s.code).toBe(1);
    expect(s.out.error.diagnostics[0].expected).toBe(
      'a new "version" in modules/@acme/crm/module.manifest.json, or an explicit re-pin with --module @acme/crm',
    );
    // A lock entry whose copies differ from the manifest: verify names the manifest file.
    const now = JSON.parse(readFileSync(canary, 'utf8'));
    now.modules['@acme/reports'].dependencies = { '@acme/crm': '^2.0.0' };
    now.modules['@acme/reports'].compatibility = { platform: '^2.0.0' };
    writeFileSync(canary, `${JSON.stringify(now, null, 2)}\n`);
    const v = cli(['verify', '--json'], { cwd: dir });
    const f = JSON.parse(v.stdout).findings.find((x: { module: string }) => x.module === '@acme/reports');
    expect(f.message).toBe(
      'platform constraint "^2.0.0" locked, null in module.manifest.json; dependencies differ from module.manifest.json',
    );
  });
});

describe('modules.manifestFile decides which file a folder with both is read by, everywhere the config is known', () => {
  it('lock, publish and verify --dir read module.manifest.json first when the config lists it first', () => {
    const dir = testdir({
      'ringlock.yaml': withModules('  manifestFile: [module.manifest.json, module.json]\n'),
      ...septemcoreTree(),
      // A stale module.json beside the manifest the config names first: it is ignored (with a warning).
      'modules/@acme/crm/module.json': JSON.stringify({ name: '@acme/crm', version: '0.1.0' }),
    });
    const l = cli(['lock'], { cwd: dir });
    expect(l.code, l.stderr).toBe(0);
    expect(l.stderr).toContain('module.json is ignored');
    expect(
      JSON.parse(readFileSync(join(dir, 'rings/canary.lock.json'), 'utf8')).modules['@acme/crm'].version,
    ).toBe('1.2.0');
    const p = cli(['publish', '--ring', 'canary', '--all', '--json'], { cwd: dir });
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(p.stdout))).toContain('crm-1.2.0.tgz');
    const target = testdir();
    cpSync(join(dir, 'modules'), target, { recursive: true });
    const v = cli(['verify', '--dir', target], { cwd: dir });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain('2 ok, 0 failed');
  });

  it('import finds an older release in git history by its module.manifest.json', () => {
    const dir = testdir({
      'ringlock.yaml': SEPTEMCORE_CONFIG,
      ...septemcoreTree({ ...SEPTEMCORE_CRM, version: '1.1.0' }),
    });
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-qm', 'crm 1.1.0']);
    writeTree(dir, septemcoreTree());
    git(dir, ['commit', '-qam', 'crm 1.2.0']);
    writeTree(dir, {
      'stable.lock.json': `${JSON.stringify({
        platform: '2.0.0',
        modules: { '@acme/crm': { version: '1.1.0', sha256: `sha256:${'a'.repeat(64)}` } },
      })}\n`,
    });
    const r = cli(['import', 'autocom', 'stable.lock.json'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('older releases, hashed from git history: @acme/crm 1.1.0 in stable');
    expect(cli(['verify', '--ring', 'stable'], { cwd: dir }).code).toBe(0);
  });
});
