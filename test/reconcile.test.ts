// The shared reconcile pass, in process, on a real filesystem target and each state store (files; a schema on the test
// PostgreSQL server), fetching real published artifacts from a file registry: dry-run, the writer lease, confirmation,
// suspension, noop, select, crash recovery.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ArtifactCache } from '../src/artifacts/cache.js';
import { FileRegistry } from '../src/artifacts/registry/index.js';
import { InputError } from '../src/errors.js';
import type { RingLock } from '../src/model/types.js';
import { reconcile } from '../src/reconcile/reconcile.js';
import type { PassReport, ReconcileDeps, ReconcileOptions } from '../src/reconcile/types.js';
import { FileStateStore } from '../src/state/file-store.js';
import { pgOptionsFromEnv } from '../src/state/postgres/options.js';
import { PostgresStateStore } from '../src/state/postgres/store.js';
import type { StateStore } from '../src/state/types.js';
import { FilesystemTarget } from '../src/targets/filesystem.js';
import {
  buildPlatform,
  type Platform,
  RING,
  STORES,
  type StoreKind,
  scratch,
  show,
  tempRoot,
} from './fixtures-platform.js';
import { REPO_ROOT } from './helpers.js';
import { uniqueSchema } from './support/postgres.js';

type Ctx = { onTestFinished(fn: () => void | Promise<void>): void };

/** The environment that puts a store on `schema` of the test server (the CLI's, and the in-process stores'). */
const pgEnv = (schema: string) => ({
  RINGLOCK_STATE_TYPE: 'postgres',
  RINGLOCK_DATABASE_URL: inject('pgUrl'),
  RINGLOCK_STATE_SCHEMA: schema,
  RING_NAME: RING,
});

function pgStore(t: Ctx, schema: string): PostgresStateStore {
  const s = new PostgresStateStore(pgOptionsFromEnv(pgEnv(schema), RING));
  t.onTestFinished(() => s.close());
  return s;
}

let fixture: Platform;
let lock: RingLock;
let holderScript: string;
const shared = tempRoot('reconcile');
afterAll(() => shared.dispose());

// Published once: every test deploys onto a target of its own and only reads the registry.
beforeAll(async () => {
  fixture = await buildPlatform(shared.root, {
    base: { version: '1.0.0' },
    orders: { version: '1.0.0', dependencies: { base: '^1.0.0' } },
  });
  lock = JSON.parse(fixture.readLock()) as RingLock;
  // Another process holding the writer lease (a lease held by this very process would count as stale).
  await build({
    entryPoints: [join(REPO_ROOT, 'src/state/file-store.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: join(shared.root, 'file-store.mjs'),
    logLevel: 'error',
  });
  holderScript = join(shared.root, 'holder.mjs');
  writeFileSync(
    holderScript,
    `import { FileStateStore } from './file-store.mjs';
const lease = await new FileStateStore(process.argv[2]).acquireWriter('other writer', 0);
process.stdout.write('held\\n');
process.stdin.on('end', () => { lease.release(); process.exit(0); });
process.stdin.resume();
`,
  );
});

function setup(t: Ctx, kind: StoreKind) {
  const target = new FilesystemTarget(join(scratch(t, 'reconcile-target'), 'target'));
  const schema = uniqueSchema();
  const store: StateStore = kind === 'file' ? new FileStateStore(target.stateDir) : pgStore(t, schema);
  const deps: ReconcileDeps = {
    target,
    store,
    registry: new FileRegistry(fixture.registry),
    cache: new ArtifactCache(join(target.stateDir, 'cache'), target.stateDir),
    health: { timeoutMs: 5_000, intervalMs: 50 },
    keepVersions: 5,
    prune: false,
    actor: 'test',
    moduleEnv: { pass: [], set: {} },
  };
  const options: ReconcileOptions = {
    ring: RING,
    holder: 'reconcile test',
    lockTimeoutMs: 150,
    quickDrift: false,
    skipHooks: true,
    hookTimeoutMs: 10_000,
    concurrency: 2,
  };
  return { kind, schema, target, store, deps, options, desired: { lock } };
}

type Setup = ReturnType<typeof setup>;

/**
 * Another writer takes the store's lease and keeps it until `release()`: for files another process (a lease held by
 * this very process would count as stale); for PostgreSQL another store, whose own connection holds the lease.
 */
async function holdWriter(t: Ctx, s: Setup): Promise<{ release(): Promise<void> }> {
  if (s.kind === 'file') return holdFileWriter(t, s.target.stateDir);
  const other = pgStore(t, s.schema);
  const lease = await other.acquireWriter('other writer', 0).catch((e: Error) => {
    throw new Error(`the holder exited (3) without the lease: ${e.message}`);
  });
  return {
    release: async () => {
      lease.release();
      await other.close();
    },
  };
}

/** Whether the lease is free again: no lock file, or another store takes (and gives back) the lease at once. */
async function leaseFree(t: Ctx, s: Setup): Promise<boolean> {
  if (s.kind === 'file') return !existsSync(join(s.target.stateDir, 'lock'));
  const probe = await holdWriter(t, s).catch(() => undefined);
  await probe?.release();
  return probe !== undefined;
}

/** The message a refused second writer gets: the lock file's holder, or the lease row's. */
const lockedBy = (s: Setup, holder: string) =>
  s.kind === 'file' ? `"${holder}"` : `is being changed by ${holder} (lease until`;

async function holdFileWriter(t: Ctx, stateDir: string): Promise<{ release(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [holderScript, stateDir], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.onTestFinished(() => {
    child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) =>
      reject(
        new Error(
          `the holder exited (${code}) without the lease: ${stderr.replace(/\s+/g, ' ').slice(0, 400)}`,
        ),
      ),
    );
  });
  return {
    release: () => {
      child.stdin!.end();
      return exited;
    },
  };
}

/** Every entry under the target: link targets and file sizes (what a pass that applies nothing must not change). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const rel of readdirSync(dir, { recursive: true }) as string[]) {
    const st = lstatSync(join(dir, rel));
    out[rel] = st.isSymbolicLink()
      ? `-> ${readlinkSync(join(dir, rel))}`
      : st.isFile()
        ? `${st.size}`
        : 'dir';
  }
  return out;
}

const kinds = (r: { actions: { module: string; kind: string }[] }) =>
  r.actions.map((a) => `${a.module}:${a.kind}`);
const isLink = (dir: string, m: string) =>
  existsSync(join(dir, m)) && lstatSync(join(dir, m)).isSymbolicLink();

/** The target holds nothing deployed: no module links, an empty state, no history. */
function expectNothingApplied(s: Setup) {
  expect(isLink(s.target.root, 'base') || isLink(s.target.root, 'orders')).toBe(false);
  expect(s.store.read().modules).toEqual({});
  expect(s.store.history()).toEqual([]);
}

describe.each(STORES)('reconcile (%s store)', (kind) => {
  it('dry-run plans without the writer lease, recovery or any change to the target', async (t) => {
    const s = setup(t, kind);
    // Another writer holds the lease for the whole pass: a dry run that asked for it would fail after 150 ms.
    const holder = await holdWriter(t, s);
    const before = snapshot(s.target.root);
    const recovered: unknown[] = [];
    const report = await reconcile(
      s.deps,
      s.desired,
      { ...s.options, dryRun: true },
      {
        onRecovered: (r) => recovered.push(r),
        confirm: () => {
          throw new Error('a dry run asks for no confirmation');
        },
      },
    );
    expect(report.outcome).toBe('planned');
    expect(kinds(report.plan)).toEqual(['base:install', 'orders:install']);
    expect(report.results).toEqual([]);
    expect(report.recovered).toBeUndefined();
    expect(recovered).toEqual([]);
    expect(snapshot(s.target.root)).toEqual(before);
    await holder.release();
    expect(await leaseFree(t, s)).toBe(true);
    expectNothingApplied(s);
  });

  it('a target another writer holds: outcome "locked" with onLockBusy, InputError target/locked without', async (t) => {
    const s = setup(t, kind);
    const holder = await holdWriter(t, s);
    const busy: InputError[] = [];
    const report = await reconcile(s.deps, s.desired, s.options, { onLockBusy: (e) => busy.push(e) });
    expect(report).toEqual({ outcome: 'locked', results: [] });
    expect(busy.map((e) => e.code)).toEqual(['target/locked']);
    expect(busy[0]!.message).toContain(lockedBy(s, 'other writer'));

    const err = await reconcile(s.deps, s.desired, s.options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('target/locked');
    expectNothingApplied(s);

    // Once the other writer lets go, the same pass takes the lease and applies.
    await holder.release();
    expect((await reconcile(s.deps, s.desired, s.options)).outcome).toBe('succeeded');
  });

  it('onPassed runs while the lease is still held; a throw there releases it; a busy target never calls it', async (t) => {
    const s = setup(t, kind);
    const seen: string[] = [];
    const report = await reconcile(s.deps, s.desired, s.options, {
      onPassed: async (r) => {
        seen.push(r.outcome);
        // Another process cannot take the lease yet: the pass still holds it.
        await expect(holdWriter(t, s)).rejects.toThrow(
          s.kind === 'file'
            ? /without the lease: .*target is locked/
            : /without the lease: .*is being changed by reconcile test/,
        );
      },
    });
    expect(report.outcome).toBe('succeeded');
    expect(seen).toEqual(['succeeded']);
    await (await holdWriter(t, s)).release();

    const boom = await reconcile(s.deps, s.desired, s.options, {
      onPassed: () => {
        throw new Error('recording failed');
      },
    }).catch((e: unknown) => e);
    expect((boom as Error).message).toBe('recording failed');
    const holder = await holdWriter(t, s);

    const calls: string[] = [];
    const locked = await reconcile(s.deps, s.desired, s.options, {
      onLockBusy: () => calls.push('busy'),
      onPassed: (r) => {
        calls.push(r.outcome);
      },
    });
    expect(locked.outcome).toBe('locked');
    expect(calls).toEqual(['busy']);
    await holder.release();
  });

  it('a declined confirmation applies nothing', async (t) => {
    const s = setup(t, kind);
    const asked: string[][] = [];
    const report = await reconcile(s.deps, s.desired, s.options, {
      confirm: async (work) => {
        asked.push(kinds(work));
        return false;
      },
    });
    expect(report.outcome).toBe('declined');
    expect(asked).toEqual([['base:install', 'orders:install']]);
    expect(report.results).toEqual([]);
    expectNothingApplied(s);
  });

  it('a suspended ring applies nothing; once resumed the same call applies', async (t) => {
    const s = setup(t, kind);
    s.store.suspend({ ring: RING, by: 'ops', at: new Date().toISOString(), reason: 'incident' });
    const hooks = { suspended: () => s.store.suspension() !== undefined };
    const held = await reconcile(s.deps, s.desired, s.options, hooks);
    expect(held.outcome).toBe('suspended');
    expect(kinds(held.work)).toEqual(['base:install', 'orders:install']);
    expectNothingApplied(s);

    expect(s.store.resume()).toBe(true);
    const report = await reconcile(s.deps, s.desired, s.options, hooks);
    expect(report.outcome).toBe('succeeded');
    expect(report.results.map((r) => `${r.module}:${r.outcome}`)).toEqual([
      'base:succeeded',
      'orders:succeeded',
    ]);
    const state = s.store.read().modules;
    for (const m of ['base', 'orders']) {
      expect(state[m]).toMatchObject({ status: 'active', active: { version: '1.0.0' } });
      expect(isLink(s.target.root, m)).toBe(true);
    }
    expect(s.store.history().map((h) => `${h.module}:${h.op}:${h.outcome}:${h.actor}`)).toEqual([
      'base:install:succeeded:test',
      'orders:install:succeeded:test',
    ]);
  });

  it('a lock equal to what is deployed is a noop that writes nothing', async (t) => {
    const s = setup(t, kind);
    expect((await reconcile(s.deps, s.desired, s.options)).outcome).toBe('succeeded');
    const before = snapshot(s.target.root);
    const report = await reconcile(s.deps, s.desired, s.options, {
      confirm: () => {
        throw new Error('nothing to confirm');
      },
    });
    expect(report.outcome).toBe('noop');
    expect(kinds(report.plan)).toEqual(['base:noop', 'orders:noop']);
    expect(report.results).toEqual([]);
    expect(s.store.history()).toHaveLength(2);
    expect(snapshot(s.target.root)).toEqual(before);
  });

  it('select can block an action: the rest is applied, the blocked module is not', async (t) => {
    const s = setup(t, kind);
    const block = (name: string) => (plan: PassReport['plan']) => ({
      ...plan,
      actions: plan.actions.map((a) =>
        a.module === name ? { ...a, kind: 'blocked' as const, reason: 'held back' } : a,
      ),
    });
    const report = await reconcile(s.deps, s.desired, s.options, { select: block('orders') });
    expect(report.outcome).toBe('succeeded');
    expect(kinds(report.plan)).toEqual(['base:install', 'orders:install']);
    expect(kinds(report.work)).toEqual(['base:install', 'orders:blocked']);
    expect(Object.keys(s.store.read().modules)).toEqual(['base']);
    expect(isLink(s.target.root, 'base')).toBe(true);
    expect(isLink(s.target.root, 'orders')).toBe(false);
    expect(s.store.history().map((h) => h.module)).toEqual(['base']);

    // Everything left blocked: nothing to do.
    const rest = await reconcile(s.deps, s.desired, s.options, { select: block('orders') });
    expect(rest.outcome).toBe('noop');
    expect(isLink(s.target.root, 'orders')).toBe(false);
  });

  it('recovers what a crashed apply left before observing (never in a dry run)', async (t) => {
    const s = setup(t, kind);
    const crashed = await fixture.apply(['--target', s.target.root], {
      env: { ...(kind === 'postgres' ? pgEnv(s.schema) : {}), RINGLOCK_CRASH_AT: 'after-switch' },
    });
    expect(crashed.signal, show(crashed)).toBe('SIGKILL');
    const journal = s.store.readJournal();
    expect(journal?.module).toBe('base');

    const dry = await reconcile(s.deps, s.desired, { ...s.options, dryRun: true });
    expect(dry.recovered).toBeUndefined();
    expect(s.store.readJournal()).toEqual(journal);

    const recovered: string[] = [];
    // The killed apply's writer lease is taken over once its holder has missed a renewal (PostgreSQL: a few seconds
    // after the kill); its lock file at once (its pid is gone).
    const report = await reconcile(
      s.deps,
      s.desired,
      { ...s.options, lockTimeoutMs: 15_000 },
      {
        onRecovered: (r) => recovered.push(r.id),
        onPlanned: (plan) => {
          // Observed after recovery: the journal is gone and base is planned from what recovery left.
          expect(s.store.readJournal()).toBeUndefined();
          expect(kinds(plan)).toEqual(['base:install', 'orders:install']);
        },
      },
    );
    expect(report.recovered).toMatchObject({ module: 'base', actor: 'test' });
    expect(recovered).toEqual([report.recovered!.id]);
    expect(report.outcome).toBe('succeeded');
    expect(s.store.readJournal()).toBeUndefined();
    expect(s.store.read().modules.base).toMatchObject({ status: 'active', active: { version: '1.0.0' } });
  });
});
