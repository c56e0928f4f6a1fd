// The pure parts of the module lifecycle: planning disable/enable and tenant changes, resolving a hook to its runner,
// and the operator config's runners (placeholders whole argv elements, a default that exists).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveHook, runnersFrom, substitute } from '../src/apply/hook-runner.js';
import { runHook } from '../src/apply/hooks.js';
import { InputError } from '../src/errors.js';
import { entryFromSource } from '../src/lock/compute.js';
import { parseOperatorConfig } from '../src/model/operator-config.js';
import type { LockEntry, RingLock } from '../src/model/types.js';
import { summaryLine } from '../src/plan/format.js';
import { plan } from '../src/plan/plan.js';
import { ownEnabled } from '../src/promote/promote.js';
import { readManifestInDir } from '../src/source/manifest-file.js';
import type { DeployedModule, DeployedState } from '../src/state/types.js';

const manifestWithRef = (ref: string) => ({
  name: 'orders',
  version: '1.0.0',
  compatibility: { platform: '^2.0.0' },
  lifecycle: { onInstall: { ref, runner: 'php' } },
});
const manifestWith = (lifecycle: Record<string, unknown>) =>
  ({ name: 'orders', version: '1.0.0', compatibility: { platform: '^2.0.0' }, lifecycle }) as never;
const hash = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const entry = (v: string, extra: Partial<LockEntry> = {}): LockEntry => ({
  version: v,
  sha256: hash(`orders@${v}`),
  dependencies: {},
  compatibility: { platform: '^2.0.0' },
  ...extra,
});
const lockOf = (e: LockEntry): RingLock => ({
  lockfileVersion: 1,
  ring: 'canary',
  platform: '2.0.0',
  modules: { orders: e },
});
const deployed = (
  v: string,
  status: DeployedModule['status'] = 'active',
  tenants?: string[],
): DeployedState => ({
  stateVersion: 1,
  modules: {
    orders: {
      name: 'orders',
      active: {
        version: v,
        sha256: hash(`orders@${v}`),
        storeDir: `.ringlock/store/orders/${v}`,
        dependencies: {},
      },
      status,
      since: '2025-01-01T00:00:00.000Z',
      origin: 'lock',
    },
  },
  quarantine: [],
  ...(tenants ? { tenants } : {}),
});
const policy = { prune: false };

describe('planning disable and enable', () => {
  it('"enabled": false disables an active module at its deployed version; a disabled one is left alone', () => {
    const p = plan({ lock: lockOf(entry('1.0.0', { enabled: false })), deployed: deployed('1.0.0'), policy });
    expect(p.actions).toMatchObject([{ module: 'orders', kind: 'disable', from: '1.0.0', to: '1.0.0' }]);
    expect(summaryLine(p)).toBe('1 to disable');
    const again = plan({
      lock: lockOf(entry('1.1.0', { enabled: false })),
      deployed: deployed('1.0.0', 'disabled'),
      policy,
    });
    expect(again.actions).toMatchObject([
      {
        kind: 'noop',
        from: '1.0.0',
        to: '1.0.0',
        notes: ['the lock pins 1.1.0: applied once it is enabled'],
      },
    ]);
    const absent = plan({
      lock: lockOf(entry('1.0.0', { enabled: false })),
      deployed: { stateVersion: 1, modules: {}, quarantine: [] },
      policy,
    });
    expect(absent.actions).toMatchObject([{ kind: 'noop', reason: 'disabled in the lock: not installed' }]);
  });

  it('a module an enabled module needs is not disabled: blocked, naming who needs it', () => {
    const lock: RingLock = {
      lockfileVersion: 1,
      ring: 'canary',
      platform: '2.0.0',
      modules: {
        orders: entry('1.0.0', { enabled: false }),
        reports: { ...entry('1.0.0'), sha256: hash('reports@1.0.0'), dependencies: { orders: '^1.0.0' } },
      },
    };
    const state = deployed('1.0.0');
    state.modules.reports = {
      ...state.modules.orders!,
      name: 'reports',
      active: {
        ...state.modules.orders!.active,
        sha256: hash('reports@1.0.0'),
        dependencies: { orders: '^1.0.0' },
      },
    };
    const p = plan({ lock, deployed: state, policy });
    expect(p.actions.find((a) => a.module === 'orders')).toMatchObject({
      kind: 'blocked',
      reason: expect.stringContaining('reports 1.0.0 stays enabled and needs it'),
    });
    // Both switched off: allowed.
    lock.modules.reports = { ...lock.modules.reports!, enabled: false };
    expect(plan({ lock, deployed: state, policy }).actions.map((a) => a.kind)).toEqual([
      'disable',
      'disable',
    ]);
  });

  it('enabling the same version is an enable; another version is an upgrade', () => {
    expect(
      plan({ lock: lockOf(entry('1.0.0')), deployed: deployed('1.0.0', 'disabled'), policy }).actions,
    ).toMatchObject([{ kind: 'enable', from: '1.0.0', to: '1.0.0' }]);
    expect(
      plan({ lock: lockOf(entry('1.1.0')), deployed: deployed('1.0.0', 'disabled'), policy }).actions,
    ).toMatchObject([{ kind: 'upgrade' }]);
  });
});

describe('planning tenant changes', () => {
  it('tenants assigned and gone since the recorded set', () => {
    const p = plan({
      lock: lockOf(entry('1.0.0')),
      deployed: deployed('1.0.0', 'active', ['acme', 'beta']),
      policy,
      tenants: ['delta', 'acme'],
    });
    expect(p.tenants).toEqual({ assigned: ['delta'], left: ['beta'], set: ['acme', 'delta'] });
    expect(summaryLine(p)).toBe(
      '1 unchanged, tenants assigned: delta (onEnable), tenants gone: beta (onDisable)',
    );
  });

  it('the same set, no set known, or no set recorded yet: no hooks planned', () => {
    const same = plan({
      lock: lockOf(entry('1.0.0')),
      deployed: deployed('1.0.0', 'active', ['acme']),
      policy,
      tenants: ['acme'],
    });
    expect(same.tenants).toBeUndefined();
    const unknown = plan({
      lock: lockOf(entry('1.0.0')),
      deployed: deployed('1.0.0', 'active', ['acme']),
      policy,
    });
    expect(unknown.tenants).toBeUndefined();
    const first = plan({
      lock: lockOf(entry('1.0.0')),
      deployed: deployed('1.0.0'),
      policy,
      tenants: ['acme'],
    });
    expect(first.tenants).toEqual({ assigned: [], left: [], set: ['acme'] });
  });
});

describe('hook runners', () => {
  const config = {
    runners: {
      php: ['php', 'artisan', 'module:hook', '{hook}', '--context', '{contextFile}'],
      sh: ['sh', '-c', '{hook}'],
    },
  };
  const runners = runnersFrom(config);

  it('a PHP class name is a reference for the php runner; a shell string and an argv stay commands', () => {
    const r = resolveHook('Modules\\Orders\\App\\Lifecycle\\OnInstall', runners, config);
    expect(r).toMatchObject({ kind: 'reference', reference: 'Modules\\Orders\\App\\Lifecycle\\OnInstall' });
    expect(r.kind === 'reference' && r.runner.name).toBe('php');
    expect(resolveHook('sh ./hook.sh', runners, config)).toEqual({
      kind: 'command',
      command: 'sh ./hook.sh',
    });
    expect(resolveHook(['node', 'x.js'], runners, config)).toEqual({
      kind: 'command',
      command: ['node', 'x.js'],
    });
    const named = resolveHook({ ref: 'migrate.sh', runner: 'sh' }, runners, config);
    expect(named.kind === 'reference' && named.runner.name).toBe('sh');
  });

  it('a reference whose runner the operator did not define is unresolved, with the fix', () => {
    const r = resolveHook({ ref: 'x', runner: 'k8s' }, runners, config);
    expect(r).toMatchObject({ kind: 'unresolved', why: expect.stringContaining('"k8s"') });
    const none = resolveHook('Modules\\A\\B', new Map(), undefined);
    expect(none).toMatchObject({ kind: 'unresolved', fix: expect.stringContaining('hooks.runners.php') });
    expect(resolveHook({ ref: 'x' }, runners, config)).toMatchObject({ kind: 'unresolved' });
  });

  it("a {ref} starting with '-' is refused: it would be an option of the runner's program", () => {
    expect(resolveHook({ ref: '--force', runner: 'sh' }, runners, config)).toMatchObject({
      kind: 'unresolved',
      why: expect.stringContaining("must not start with '-'"),
    });
  });

  it("a manifest whose {ref} starts with '-' is refused when read, naming the field", () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-ref-'));
    try {
      writeFileSync(join(dir, 'module.json'), JSON.stringify(manifestWithRef('--force')));
      expect(() => readManifestInDir(dir, 'orders')).toThrow(/lifecycle\/onInstall/);
      writeFileSync(join(dir, 'module.json'), JSON.stringify(manifestWithRef('migrate')));
      expect(readManifestInDir(dir, 'orders').manifest.lifecycle?.onInstall).toEqual({
        ref: 'migrate',
        runner: 'php',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a runner describes itself as it runs: the template with the placeholders substituted', () => {
    const php = runners.get('php')!;
    expect(php.describe({ hook: 'Modules\\Orders\\OnInstall', contextFile: '/tmp/c.json' })).toBe(
      'php artisan module:hook Modules\\Orders\\OnInstall --context /tmp/c.json',
    );
  });

  it('a hook that cannot run or start is recorded (with its tenant) before the error is thrown', async () => {
    const seen: unknown[] = [];
    const base = {
      module: 'orders',
      operation: 'install',
      fromVersion: null,
      toVersion: '1.0.0',
      tenant: 'acme',
      onResult: (r: unknown) => seen.push(r),
    };
    await expect(
      runHook(
        'onEnable',
        { ...base, sourcePath: '/', manifest: manifestWith({ onEnable: 'Modules\\A\\OnEnable' }) },
        { timeoutMs: 5000 },
      ),
    ).rejects.toMatchObject({ code: 'hook/no-runner' });
    await expect(
      runHook(
        'onEnable',
        { ...base, sourcePath: '/nonexistent/dir', manifest: manifestWith({ onEnable: ['true'] }) },
        { timeoutMs: 5000 },
      ),
    ).rejects.toMatchObject({ code: 'hook/failed' });
    expect(seen).toMatchObject([
      { hook: 'onEnable', tenant: 'acme', exit: null },
      { hook: 'onEnable', tenant: 'acme', exit: null },
    ]);
  });

  it('placeholders are replaced as whole elements only, values never split or interpreted', () => {
    expect(
      substitute(['a', '{hook}', 'x{hook}', '{tenant}'], { hook: 'M\\C; rm -rf /', tenant: '' }),
    ).toEqual(['a', 'M\\C; rm -rf /', 'x{hook}', '']);
  });

  it('the operator config refuses an unknown placeholder, one inside an element, and a default runner not defined', () => {
    const bad = (yaml: string) => {
      try {
        parseOperatorConfig('operator.yaml', `apiVersion: ringlock/v1\nkind: OperatorConfig\n${yaml}`);
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        return (e as InputError).message;
      }
      throw new Error('accepted');
    };
    expect(bad('hooks:\n  runners:\n    php: [php, "{hok}"]\n')).toContain('unknown placeholder {hok}');
    expect(bad('hooks:\n  runners:\n    php: [php, "--context={contextFile}"]\n')).toContain(
      'whole argv element',
    );
    expect(bad('hooks:\n  runners:\n    php: [php]\n  defaultRunner: shell\n')).toContain(
      'not one of hooks.runners',
    );
    expect(bad('hooks:\n  runners:\n    php: []\n')).toMatch(/php/);
    const ok = parseOperatorConfig(
      'operator.yaml',
      'apiVersion: ringlock/v1\nkind: OperatorConfig\nhooks:\n  runners:\n    php: [php, "{hook}"]\n  defaultRunner: php\n',
    );
    expect(ok.config.hooks?.defaultRunner).toBe('php');
  });
});

describe('the lock keeps a ring\'s "enabled": false', () => {
  it('re-locking from the sources keeps a module switched off', () => {
    const source = {
      name: 'orders',
      relDir: 'modules/orders',
      manifest: { name: 'orders', version: '1.1.0' },
      digest: hash('orders@1.1.0'),
      fileCount: 1,
      sizeBytes: 1,
    };
    expect(entryFromSource(source as never, entry('1.0.0', { enabled: false })).enabled).toBe(false);
    expect(entryFromSource(source as never, entry('1.0.0')).enabled).toBeUndefined();
  });

  it("a promotion carries the version, never the source ring's enabled; the target keeps its own", () => {
    expect(ownEnabled(entry('1.1.0', { enabled: false }), entry('1.0.0')).enabled).toBeUndefined();
    expect(ownEnabled(entry('1.1.0'), entry('1.0.0', { enabled: false })).enabled).toBe(false);
  });
});
