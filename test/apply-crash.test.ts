// Crash safety: an apply killed with SIGKILL at every named point of every kind of operation (RINGLOCK_CRASH_AT), and
// at random moments from outside, then run again: it must converge, every link must point at a complete store dir
// whose content hash is the recorded one, no staging/trash/journal may be left, and state and history must agree.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanAction } from '../src/plan/types.js';
import type { DeployedState } from '../src/state/types.js';
import {
  buildPlatform,
  expectConsistent,
  type HealthServer,
  HOOKS,
  healthPath,
  type ModuleSpec,
  manyModules,
  type Platform,
  RING,
  type Run,
  STORES,
  scratch,
  show,
  startHealthServer,
  TEMP_FILE,
  TEMP_LINK,
  tempRoot,
} from './fixtures-platform.js';

type Point =
  | 'after-fetch'
  | 'after-extract'
  | 'after-store'
  | 'after-hook'
  | 'after-journal'
  | 'after-switch'
  | 'after-health'
  | 'after-state'
  | 'after-history'
  | 'after-auto-rollback';

/** Points where the state already records the operation's outcome: recovery only finishes the bookkeeping. */
const COMPLETED: ReadonlySet<Point> = new Set(['after-state', 'after-history']);
/** Points after the switch and before the state records the outcome: the disk runs what the state does not name. */
const SWITCHED: ReadonlySet<Point> = new Set(['after-switch', 'after-health']);
/** The points between the writes of the record step (state, history, journal cleared). */
const RECORD_POINTS: ReadonlySet<Point> = new Set(['after-state', 'after-history']);
/**
 * On PostgreSQL the record step is one transaction (store.transaction() in src/apply/steps/record.ts): a crash
 * between its writes stores none of them, so at those points the operation is not completed there — the state still
 * names the old version while the disk runs the new one, and recovery records it once. (Set false, the assertions are
 * the files' ones: the test then fails on PostgreSQL, which is how we know the step is one transaction.)
 */
const RECORD_IN_ONE_TRANSACTION = true;

interface Scenario {
  name: string;
  /** Which lock to apply (see the fixture below). */
  lock: 'L1' | 'L2' | 'L3' | 'L4';
  /** The target the crashed apply starts from. */
  from: 'empty' | 'T1' | 'T2';
  points: Point[];
  /** The module the operation under test is about (where a half-done crash is recovered)… */
  module: string;
  /** …unless the point is first reached in another module. */
  moduleAt?: Partial<Record<Point, string>>;
  /** Exit code of the apply after the crash: 0, or 3 when the health check is meant to fail again. */
  converge: 0 | 3;
  /** Active versions once converged (absent: not installed). */
  versions: Record<string, string>;
  /** Quarantined module@version once converged. */
  quarantined?: string;
  /** Damage the target before the crashed apply (drift for a reinstall). */
  damage?: (target: string, state: DeployedState) => void;
}

const b = (version: string, timeout = '2s'): ModuleSpec => ({
  version,
  dependencies: { a: '^1.0.0' },
  lifecycle: HOOKS,
  healthCheck: { http: { path: healthPath('b', version) }, timeout, interval: '100ms' },
});

const SCENARIOS: Scenario[] = [
  {
    name: 'first install',
    lock: 'L1',
    from: 'empty',
    // a has no health check: after-health stops inside b, every other point inside a (after-hook too: the point
    // follows the hook step whether or not the module declares a hook).
    points: [
      'after-fetch',
      'after-extract',
      'after-store',
      'after-hook',
      'after-journal',
      'after-switch',
      'after-health',
      'after-state',
      'after-history',
    ],
    module: 'a',
    moduleAt: { 'after-health': 'b' },
    converge: 0,
    versions: { a: '1.0.0', b: '1.0.0' },
  },
  {
    name: 'upgrade',
    lock: 'L2',
    from: 'T1',
    points: [
      'after-fetch',
      'after-extract',
      'after-store',
      'after-hook',
      'after-journal',
      'after-switch',
      'after-health',
      'after-state',
      'after-history',
    ],
    module: 'b',
    converge: 0,
    versions: { a: '1.0.0', b: '2.0.0' },
  },
  {
    name: 'rollback from the store',
    lock: 'L1',
    from: 'T2',
    points: ['after-hook', 'after-journal', 'after-switch', 'after-health', 'after-state', 'after-history'],
    module: 'b',
    converge: 0,
    versions: { a: '1.0.0', b: '1.0.0' },
  },
  {
    name: 'automatic rollback of an upgrade that fails its health check',
    lock: 'L3',
    from: 'T1',
    points: ['after-hook', 'after-switch', 'after-health', 'after-auto-rollback'],
    module: 'b',
    converge: 3,
    versions: { a: '1.0.0', b: '1.0.0' },
    quarantined: 'b@3.0.0',
  },
  {
    name: 'drift repair (reinstall of a tampered active version)',
    lock: 'L1',
    from: 'T1',
    points: [
      'after-fetch',
      'after-store',
      'after-hook',
      'after-journal',
      'after-switch',
      'after-health',
      'after-state',
    ],
    module: 'b',
    converge: 0,
    versions: { a: '1.0.0', b: '1.0.0' },
    damage: (target, state) =>
      writeFileSync(join(target, state.modules.b!.active.storeDir, 'src/index.php'), '<?php // tampered\n'),
  },
  {
    name: 'removal of a first install that fails its health check',
    lock: 'L4',
    from: 'T1',
    points: ['after-switch', 'after-health', 'after-auto-rollback'],
    module: 'c',
    converge: 3,
    versions: { a: '1.0.0', b: '1.0.0' },
    quarantined: 'c@1.0.0',
  },
];

describe.concurrent.each(STORES)(
  'crash at every point of every operation, then converge (%s store)',
  (store) => {
    const tmp = tempRoot('crash');
    const inTransaction = (point: Point) =>
      store === 'postgres' && RECORD_IN_ONE_TRANSACTION && RECORD_POINTS.has(point);
    const completed = (point: Point) => COMPLETED.has(point) && !inTransaction(point);
    const switched = (point: Point) => SWITCHED.has(point) || inTransaction(point);
    let p: Platform;
    let server: HealthServer;
    const locks: Record<Scenario['lock'], string> = { L1: '', L2: '', L3: '', L4: '' };
    /** One workspace per lock, so that scenarios run side by side. */
    const ws = {} as Record<Scenario['lock'], Platform>;
    const templates: Record<'T1' | 'T2', string> = { T1: '', T2: '' };
    let n = 0;

    beforeAll(async () => {
      server = await startHealthServer();
      server.failing.add(healthPath('b', '3.0.0'));
      server.failing.add(healthPath('c', '1.0.0'));
      p = await buildPlatform(tmp.root, { a: { version: '1.0.0' }, b: b('1.0.0') }, { store });
      locks.L1 = p.readLock();
      p.writeModule('b', b('2.0.0'));
      await p.release(['b']);
      locks.L2 = p.readLock();
      p.writeModule('b', b('3.0.0', '600ms'));
      await p.release(['b']);
      locks.L3 = p.readLock();
      p.writeModule('c', {
        version: '1.0.0',
        healthCheck: { http: { path: healthPath('c', '1.0.0') }, timeout: '600ms', interval: '100ms' },
      });
      await p.release(['c']);
      const withC = JSON.parse(p.readLock()) as { modules: Record<string, unknown> };
      const l4 = JSON.parse(locks.L1) as { modules: Record<string, unknown> };
      l4.modules.c = withC.modules.c;
      locks.L4 = `${JSON.stringify(l4, null, 2)}\n`;

      const h = ['--health-url', server.url];
      templates.T1 = join(tmp.root, 'T1');
      p.writeLock(locks.L1);
      expect((await p.apply(['--target', templates.T1, ...h])).code).toBe(0);
      templates.T2 = join(tmp.root, 'T2');
      await p.copyTarget(templates.T1, templates.T2);
      p.writeLock(locks.L2);
      expect((await p.apply(['--target', templates.T2, ...h])).code).toBe(0);
      for (const l of ['L1', 'L2', 'L3', 'L4'] as const) ws[l] = p.workspace(`ws-${l}`, locks[l]);
    }, 60_000);

    afterAll(async () => {
      await server?.close();
      tmp.dispose();
    });

    for (const s of SCENARIOS) {
      describe.concurrent(s.name, () => {
        for (const point of s.points) {
          it(`killed ${point}`, async () => {
            const target = join(tmp.root, `t${++n}`);
            const module = s.moduleAt?.[point] ?? s.module;
            if (s.from !== 'empty') await p.copyTarget(templates[s.from], target);
            const w = ws[s.lock];
            s.damage?.(target, w.state(target));
            const args = ['--target', target, '--health-url', server.url, '--json'];
            const before = w.state(target);
            const historyBefore = w.history(target).length;

            const crashed = await w.apply(args, { env: { RINGLOCK_CRASH_AT: point } });
            expect(crashed.signal, `apply must reach ${point} and die there\n${show(crashed)}`).toBe(
              'SIGKILL',
            );
            // Every point lies inside an operation, and the journal covers an operation from its start.
            expect(w.journal(target), 'the journal of the operation').toBeDefined();
            if (!completed(point)) {
              // The state still records what was active before the operation.
              expect(w.state(target).modules[module]?.active.version).toBe(
                before.modules[module]?.active.version,
              );
            }
            if (switched(point)) {
              // …while the disk already runs the new version: recovery has something to undo.
              expect(w.link(module, target)).toBeDefined();
              expect(w.link(module, target)).not.toBe(before.modules[module]?.active.storeDir);
            }

            const again = await w.apply(args);
            // Killed after the health check failed: the journal carried the quarantine, so the next run does not put the
            // bad version live again — it is blocked (exit 1) instead of retried and rolled back once more (exit 3).
            expect(again.code, show(again)).toBe(point === 'after-auto-rollback' ? 1 : s.converge);
            const history = w.history(target);
            const recovered = history.slice(historyBefore).filter((h) => h.op === 'recover');
            if (!completed(point)) {
              expect(recovered, 'one recover record').toHaveLength(1);
              expect(recovered[0]).toMatchObject({ module, outcome: 'recovered' });
              expect(recovered[0]?.error).toMatch(/interrupted during/);
            } else expect(recovered).toEqual([]);
            if (completed(point)) {
              // The operation completed before the crash: recorded exactly once, nothing redone.
              const ops = history.slice(historyBefore).filter((h) => h.module === module);
              expect(ops.map((h) => h.outcome)).toEqual(['succeeded']);
            }

            const state = await expectConsistent(w, target, {
              verified: Object.keys(s.versions).filter((m) => s.quarantined?.split('@')[0] !== m),
            });
            expect(
              Object.fromEntries(Object.values(state.modules).map((m) => [m.name, m.active.version])),
            ).toEqual(s.versions);
            if (s.quarantined) {
              expect(state.quarantine.map((q) => `${q.module}@${q.version}`)).toEqual([s.quarantined]);
              const third = await w.apply(args);
              expect(third.code, show(third)).toBe(1);
              const blocked = (JSON.parse(third.stdout) as { actions: PlanAction[] }).actions.find(
                (a) => a.kind === 'blocked',
              );
              expect(blocked?.reason).toMatch(/quarantined/);
            } else {
              const third = await w.apply(args);
              expect(third.code, show(third)).toBe(0);
              expect(
                (JSON.parse(third.stdout) as { actions: PlanAction[] }).actions.every(
                  (a) => a.kind === 'noop',
                ),
              ).toBe(true);
            }
            rmSync(target, { recursive: true, force: true });
          });
        }
      });
    }
  },
);

describe.concurrent.each(STORES)('kill -9 from outside at a random moment (%s store)', (store) => {
  const tmp = tempRoot('kill');
  afterAll(() => tmp.dispose());

  it('converges after each of 6 kills of a 30-module apply (install, upgrade, rollback, prune)', async () => {
    const p = await buildPlatform(tmp.root, manyModules(30, '1.0.0', 5), { store });
    const v1 = p.readLock();
    for (const [name, m] of Object.entries(manyModules(30, '1.1.0', 5))) p.writeModule(name, m);
    await p.release();
    const v2 = p.readLock();
    // v1 without m16…m30: applied with --prune, half the target is removed.
    const half = JSON.parse(v1) as { modules: Record<string, unknown> };
    for (const name of Object.keys(half.modules)) if (name > 'm15') delete half.modules[name];
    const rounds: { lock: string; want: string; count: number; args: string[] }[] = [
      { lock: v1, want: '1.0.0', count: 30, args: [] },
      { lock: v2, want: '1.1.0', count: 30, args: [] },
      { lock: v1, want: '1.0.0', count: 30, args: [] },
      { lock: v2, want: '1.1.0', count: 30, args: [] },
      { lock: v1, want: '1.0.0', count: 30, args: [] },
      { lock: `${JSON.stringify(half, null, 2)}\n`, want: '1.0.0', count: 15, args: ['--prune'] },
    ];
    const log: string[] = [];
    for (const [i, round] of rounds.entries()) {
      p.writeLock(round.lock);
      const delay = 50 + Math.floor(Math.random() * 350);
      const run = p.start(['apply', '--ring', RING, '--yes', ...round.args]);
      const timer = setTimeout(() => run.child.kill('SIGKILL'), delay);
      const killed: Run = await run.done;
      clearTimeout(timer);
      log.push(
        `#${i} ${round.want}/${round.count} kill after ${delay} ms: ${killed.signal ?? `exit ${killed.code}`}`,
      );
      const again = await p.apply(round.args);
      expect(again.code, `${log.join('\n')}\n${show(again)}`).toBe(0);
      // Strict about debris too: a kill inside activate() or an atomic write leaves a temp link / temp file, which
      // the next run must remove (the deterministic tests below plant them).
      const state = await expectConsistent(p, p.target, { lenientHistory: true, hashAll: false });
      const wrong = Object.values(state.modules).filter((m) => m.active.version !== round.want);
      expect(
        wrong.map((m) => m.name),
        log.join('\n'),
      ).toEqual([]);
      expect(Object.keys(state.modules), log.join('\n')).toHaveLength(round.count);
    }
    expect(p.history(p.target, false).length).toBeGreaterThanOrEqual(30);
  }, 120_000); // two stores side by side: 12 applies of 30 modules each, twice

  // FilesystemTarget.activate links a temp name, then renames it over `<module>`: a kill between the two leaves
  // `<target>/.<module>.rl-<hex>` (the random kill test above hit it), which the next run must remove.
  it('recovery removes the temp link a kill inside activate() leaves in the target', async (t) => {
    const p = await buildPlatform(scratch(t), { a: { version: '1.0.0' } }, { store });
    expect((await p.apply()).code).toBe(0);
    const active = p.state().modules.a!.active.storeDir;
    // Exactly what activate() leaves when killed after symlink() and before rename().
    symlinkSync(active, join(p.target, '.a.rl-0123456789ab'));
    const r = await p.apply();
    expect(r.code, show(r)).toBe(0);
    expect(readdirSync(p.target).filter((n) => TEMP_LINK.test(n))).toEqual([]);
  });
});

// The file store's own debris: a database leaves no half-written file (a killed writer's transaction is rolled back).
describe('kill -9 inside an atomic write of the file store', () => {
  // writeFileAtomic writes `.<name>.<pid>.<hex>.tmp`, fsyncs, then renames: a kill before the rename leaves the temp
  // file (the random kill test hit `.journal.json.*.tmp` about every other run), which recovery must remove.
  it('recovery removes the temp file a kill inside an atomic write leaves in .ringlock', async (t) => {
    const p = await buildPlatform(scratch(t), { a: { version: '1.0.0' } });
    expect((await p.apply()).code).toBe(0);
    const dead = spawnSync('true').pid;
    writeFileSync(join(p.stateDir(), `.journal.json.${dead}.0123456789ab.tmp`), '{"id":');
    writeFileSync(join(p.stateDir(), `.state.json.${dead}.ba9876543210.tmp`), '{"stateVersion":');
    const r = await p.apply();
    expect(r.code, show(r)).toBe(0);
    expect(readdirSync(p.stateDir()).filter((n) => TEMP_FILE.test(n))).toEqual([]);
  });
});
