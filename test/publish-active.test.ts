// What a ring has active, published for the platform: `<target>/.ringlock/active.json` after `ringlock apply` and the
// imperative commands — modules with version, path and hash, the whole tenant → ring map, a generation that moves only
// when they change, always a complete JSON document, and a failing publisher that never fails the command.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActiveSnapshot } from '../src/publish/types.js';
import { buildPlatform, type Platform, scratch, show } from './fixtures-platform.js';
import { cli, REPO_ROOT, testdir } from './helpers.js';

type Ctx = { onTestFinished(fn: () => void | Promise<void>): void };

const activeFile = (p: Platform) => join(p.target, '.ringlock', 'active.json');
const active = (p: Platform) => JSON.parse(readFileSync(activeFile(p), 'utf8')) as ActiveSnapshot;
/** The document as the file publisher writes it: keys sorted at every level, two-space indented. */
const sortedKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortedKeys)
    : v && typeof v === 'object'
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sortedKeys((v as Record<string, unknown>)[k])]),
        )
      : v;

async function platform(t: Ctx, label: string): Promise<Platform> {
  const p = await buildPlatform(scratch(t, label), {
    orders: { version: '1.0.0' },
    billing: { version: '2.1.0' },
  });
  writeFileSync(join(p.repo, 'rings', 'tenants.yaml'), 'tenants:\n  acme: canary\n  northwind: stable\n');
  return p;
}

describe('active.json after apply', () => {
  it('applying the example platform publishes its modules and every tenant of rings/tenants.yaml', () => {
    const dir = testdir();
    for (const f of ['ringlock.yaml', 'rings', 'examples'])
      cpSync(join(REPO_ROOT, f), join(dir, f), { recursive: true });
    expect(cli(['publish', '--ring', 'canary', '--all', '--cwd', dir]).code).toBe(0);
    const r = cli(['apply', '--ring', 'canary', '--yes', '--skip-hooks', '--json', '--cwd', dir]);
    // The example blocks two modules on purpose (exit 1); what it applied is published.
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as { results: { module: string; outcome: string }[] };
    const applied = out.results.filter((x) => x.outcome === 'succeeded').map((x) => x.module);
    const target = join(dir, '.ringlock', 'target');
    const s = JSON.parse(readFileSync(join(target, '.ringlock', 'active.json'), 'utf8')) as ActiveSnapshot;
    expect(Object.keys(s.modules)).toEqual([...applied].sort());
    for (const m of applied)
      expect(readFileSync(join(target, s.modules[m]!.path!, 'module.json'), 'utf8')).toContain(m);
    expect(s.tenants).toMatchObject({
      'acme-internal': 'canary',
      'beta-bakery': 'canary',
      northwind: 'edge',
    });
    expect(s.ringTenants).toEqual(['acme-internal', 'beta-bakery']);
  });

  it('lists the active modules, the tenants and their rings; the generation moves only on a change', async (t: Ctx) => {
    const p = await platform(t, 'publish-apply');
    const r = await p.apply(['--json']);
    expect(r.code, show(r)).toBe(0);
    const text = readFileSync(activeFile(p), 'utf8');
    const s = JSON.parse(text) as ActiveSnapshot;
    expect(s).toMatchObject({
      apiVersion: 'ringlock/v1',
      kind: 'ActiveModules',
      ring: 'canary',
      tenants: { acme: 'canary', northwind: 'stable' },
      ringTenants: ['acme'],
      generation: 1,
    });
    const state = p.state();
    expect(s.modules).toEqual({
      billing: {
        version: '2.1.0',
        sha256: state.modules.billing!.active.sha256,
        path: 'billing',
        since: state.modules.billing!.since,
      },
      orders: {
        version: '1.0.0',
        sha256: state.modules.orders!.active.sha256,
        path: 'orders',
        since: state.modules.orders!.since,
      },
    });
    // The path is where the platform finds the module, relative to the target.
    expect(readFileSync(join(p.target, s.modules.orders!.path!, 'src', 'index.php'), 'utf8')).toContain(
      '1.0.0',
    );
    expect(text).toBe(`${JSON.stringify(sortedKeys(s), null, 2)}\n`);
    expect(JSON.parse(r.stdout).publish).toEqual([
      { name: `file ${activeFile(p)}`, ok: true, generation: 1, at: expect.any(String) },
    ]);

    // Nothing changed: not even the time is rewritten; the file is left alone (same inode: no event for a watcher).
    const inode = statSync(activeFile(p)).ino;
    expect((await p.apply()).code).toBe(0);
    expect(readFileSync(activeFile(p), 'utf8')).toBe(text);
    expect(statSync(activeFile(p)).ino).toBe(inode);

    // An upgrade: a new generation with the new version.
    p.writeModule('orders', { version: '1.1.0' });
    await p.release(['orders']);
    expect((await p.apply()).code).toBe(0);
    expect(active(p)).toMatchObject({ generation: 2, modules: { orders: { version: '1.1.0' } } });

    // The tenants map alone changing is a change too.
    writeFileSync(join(p.repo, 'rings', 'tenants.yaml'), 'tenants:\n  acme: canary\n  northwind: canary\n');
    expect((await p.apply()).code).toBe(0);
    expect(active(p)).toMatchObject({ generation: 3, ringTenants: ['acme', 'northwind'] });

    // The imperative commands publish too.
    const back = await p.cli(['rollback', 'orders', '--yes', '--json']);
    expect(back.code, show(back)).toBe(0);
    expect(active(p)).toMatchObject({ generation: 4, modules: { orders: { version: '1.0.0' } } });
    expect(JSON.parse(back.stdout).publish[0]).toMatchObject({ ok: true, generation: 4 });

    // active.json lives in the state dir beside the file store's files: never taken for a module or unmanaged path.
    const plan = await p.cli(['plan', '--ring', 'canary', '--json']);
    expect(plan.code, show(plan)).toBe(0);
    const list = await p.cli(['list', '--json']);
    expect(JSON.stringify(JSON.parse(list.stdout))).not.toContain('active.json');
  }, 120_000);

  it('a publisher that fails is a warning and a --json entry; the next apply publishes', async (t: Ctx) => {
    const p = await platform(t, 'publish-fail');
    // A directory where the file goes: the atomic rename cannot replace it.
    mkdirSync(activeFile(p), { recursive: true });
    const r = await p.apply(['--json']);
    expect(r.code, show(r)).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.results.every((x: { outcome: string }) => x.outcome === 'succeeded')).toBe(true);
    expect(out.publish).toEqual([
      expect.objectContaining({
        name: `file ${activeFile(p)}`,
        ok: false,
        error: expect.stringMatching(/EISDIR|write/),
      }),
    ]);
    expect(r.stderr).toMatch(/warning: publishing the active modules to file .*active\.json failed/);
    expect(p.link('orders')).toBeDefined();

    rmSync(activeFile(p), { recursive: true });
    // Nothing to apply, and yet what is active is published.
    const again = await p.apply(['--json']);
    expect(again.code, show(again)).toBe(0);
    expect(JSON.parse(again.stdout).publish[0]).toMatchObject({ ok: true, generation: 1 });
    expect(active(p).modules.orders?.version).toBe('1.0.0');
  }, 120_000);

  it('the operator turns the file off; a ConfigMap that cannot be written is a warning, not a failure', async (t: Ctx) => {
    const p = await platform(t, 'publish-operator');
    const off = join(p.root, 'operator-off.yaml');
    writeFileSync(off, 'apiVersion: ringlock/v1\nkind: OperatorConfig\npublish:\n  file: false\n');
    const r = await p.apply(['--operator-config', off]);
    expect(r.code, show(r)).toBe(0);
    expect(existsSync(activeFile(p))).toBe(false);

    const q = await buildPlatform(scratch(t, 'publish-operator-cm'), { orders: { version: '1.0.0' } });
    const cm = join(q.root, 'operator-cm.yaml');
    writeFileSync(
      cm,
      'apiVersion: ringlock/v1\nkind: OperatorConfig\npublish:\n  configMap:\n    name: ringlock-active\n',
    );
    // Without a cluster (no in-cluster config, no KUBECONFIG) the ConfigMap cannot be written: the apply still
    // succeeds, the failure is a warning naming the publisher, and the file publisher still wrote active.json.
    const noCluster = await q.apply(['--operator-config', cm], { env: { KUBECONFIG: '' } });
    expect(noCluster.code, show(noCluster)).toBe(0);
    expect(noCluster.stderr).toMatch(/configmap[^\n]*ringlock-active/i);
    expect(existsSync(join(q.target, 'orders'))).toBe(true);
    expect(existsSync(activeFile(q))).toBe(true);

    const bad = join(q.root, 'operator-bad.yaml');
    writeFileSync(bad, 'apiVersion: ringlock/v1\nkind: OperatorConfig\npublish:\n  file: "yes"\n');
    const invalid = await q.apply(['--operator-config', bad]);
    expect(invalid.code, show(invalid)).toBe(2);
    expect(invalid.stderr).toMatch(/operator-bad\.yaml:4/);
  }, 120_000);

  it('a reader polling active.json during applies only ever sees a complete document', async (t: Ctx) => {
    const p = await platform(t, 'publish-atomic');
    expect((await p.apply()).code).toBe(0);
    const stop = join(p.out, 'stop-reader');
    // A separate process, like the platform: reads the file in a tight loop until told to stop.
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs');
         const [file, stop] = process.argv.slice(1);
         let reads = 0, torn = 0, gens = new Set();
         while (!fs.existsSync(stop)) {
           let text;
           try { text = fs.readFileSync(file, 'utf8'); } catch { torn++; continue; }
           try { const s = JSON.parse(text); gens.add(s.generation); if (!s.modules.orders) torn++; } catch { torn++; }
           reads++;
         }
         console.log(JSON.stringify({ reads, torn, gens: [...gens] }));`,
        activeFile(p),
        stop,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    reader.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const exited = new Promise((r) => reader.on('close', r));
    t.onTestFinished(() => {
      reader.kill('SIGKILL');
    });
    for (const v of ['1.0.1', '1.0.2', '1.0.3', '1.0.4']) {
      p.writeModule('orders', { version: v });
      await p.release(['orders']);
      const r = await p.apply();
      expect(r.code, show(r)).toBe(0);
    }
    writeFileSync(stop, '');
    await exited;
    const seen = JSON.parse(out) as { reads: number; torn: number; gens: number[] };
    expect(seen.torn).toBe(0);
    expect(seen.reads).toBeGreaterThan(0);
    expect(active(p).generation).toBe(5);
  }, 180_000);
});
