// History records say why and what (issue 14, item 8): the actor's --reason, the module's changelog sections between
// the versions (read from the newer tree in the store: a rollback gets the sections it undoes), and the lifecycle hooks
// the operation ran (exit, duration, output tail) — in `history --json` whole, in the human view as lines.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { quoteIdent } from '../src/state/postgres/migrations.js';
import {
  buildPlatform,
  HOOKS,
  healthPath,
  type ModuleSpec,
  STORES,
  scratch,
  show,
  startHealthServer,
} from './fixtures-platform.js';

const CHANGELOG = (upTo: number) =>
  [
    '# Changelog',
    '',
    ...(upTo >= 2 ? ['## [1.2.0] - 2026-03-02', '', '- Faster invoices', '- New export', ''] : []),
    ...(upTo >= 1 ? ['## [1.1.0] - 2026-02-01', '', '- Invoices list', ''] : []),
    '## [1.0.0] - 2026-01-01',
    '',
    '- First release',
    '',
  ].join('\n');

const orders = (minor: number): ModuleSpec => ({
  version: `1.${minor}.0`,
  lifecycle: HOOKS,
  files: { 'CHANGELOG.md': CHANGELOG(minor) },
});

describe.concurrent.each(STORES)('history records (%s store)', (store) => {
  it('carry the reason, the changelog excerpt between the versions and the hooks run', async (t) => {
    const p = await buildPlatform(scratch(t, 'history'), { orders: orders(0) }, { store });
    const first = await p.apply(['--reason', 'first rollout of orders']);
    expect(first.code, show(first)).toBe(0);
    expect(p.history().at(-1)).toMatchObject({
      op: 'install',
      reason: 'first rollout of orders',
      // A first install gets its own version's section only.
      changelog: [{ version: '1.0.0', date: '2026-01-01', body: '- First release' }],
      hooks: [{ hook: 'onInstall', exit: 0 }],
    });

    p.writeModule('orders', orders(2));
    await p.release(['orders']);
    const up = await p.apply(['--reason', 'INC-42: invoices']);
    expect(up.code, show(up)).toBe(0);
    const rec = p.history().at(-1)!;
    expect(rec).toMatchObject({ op: 'upgrade', from: '1.0.0', to: '1.2.0', reason: 'INC-42: invoices' });
    expect(rec.changelog).toEqual([
      { version: '1.2.0', date: '2026-03-02', body: '- Faster invoices\n- New export' },
      { version: '1.1.0', date: '2026-02-01', body: '- Invoices list' },
    ]);
    expect(rec.hooks).toHaveLength(1);
    expect(rec.hooks![0]).toMatchObject({ hook: 'onUpgrade', exit: 0, output: '' });
    expect(rec.hooks![0]!.durationMs).toBeGreaterThanOrEqual(0);

    // A rollback's excerpt is what it undoes, from the newer tree (the older one's changelog does not know it).
    const back = await p.cli(['rollback', 'orders', '--yes', '--reason', 'invoices broke exports']);
    expect(back.code, show(back)).toBe(0);
    expect(p.history().at(-1)).toMatchObject({
      op: 'rollback',
      from: '1.2.0',
      to: '1.0.0',
      reason: 'invoices broke exports',
      changelog: [{ version: '1.2.0' }, { version: '1.1.0' }],
      hooks: [{ hook: 'onDowngrade', exit: 0 }],
    });

    const json = await p.ok(['history', 'orders', '--json', '--target', p.target]);
    const records = (JSON.parse(json.stdout) as { records: Record<string, unknown>[] }).records;
    expect(records.map((r) => r.reason)).toEqual([
      'first rollout of orders',
      'INC-42: invoices',
      'invoices broke exports',
    ]);
    const human = (await p.ok(['history', 'orders', '--target', p.target])).stdout;
    expect(human).toContain('reason: INC-42: invoices');
    expect(human).toContain('1.2.0 (2026-03-02):');
    expect(human).toContain('  - Faster invoices');
    expect(human).toContain('hook onUpgrade: exit 0,');
  });

  it('record a failed hook with its exit and output tail', async (t) => {
    const p = await buildPlatform(scratch(t, 'history-fail'), { orders: orders(0) }, { store });
    expect((await p.apply()).code).toBe(0);
    p.writeModule('orders', orders(1));
    await p.release(['orders']);
    const r = await p.apply(['--reason', 'try 1.1.0'], { env: { RL_HOOK_FAIL: 'orders' } });
    expect(r.code, show(r)).toBe(3);
    const rec = p.history().at(-1)!;
    expect(rec).toMatchObject({ op: 'upgrade', outcome: 'failed', reason: 'try 1.1.0' });
    expect(rec.hooks).toEqual([
      expect.objectContaining({ hook: 'onUpgrade', exit: 1, output: 'hook refuses orders\n' }),
    ]);
    expect(rec.changelog?.map((s) => s.version)).toEqual(['1.1.0']);
    const human = (await p.ok(['history', '--target', p.target])).stdout;
    expect(human).toContain('hook onUpgrade: exit 1,');
    expect(human).toContain('hook refuses orders');
  });

  it('retry records its reason', async (t) => {
    const health = await startHealthServer();
    t.onTestFinished(() => health.close());
    const web = {
      version: '1.0.0',
      healthCheck: { http: { path: healthPath('web', '1.0.0') }, timeout: '1s' },
    };
    const p = await buildPlatform(scratch(t, 'history-retry'), { web }, { store });
    health.failing.add(healthPath('web', '1.0.0'));
    expect((await p.apply(['--health-url', health.url])).code).toBe(3);
    expect(p.state().quarantine).toMatchObject([{ module: 'web', version: '1.0.0' }]);
    const retry = await p.cli(['retry', 'web', '--reason', 'health endpoint fixed']);
    expect(retry.code, show(retry)).toBe(0);
    expect(p.history().at(-1)).toMatchObject({ op: 'retry', to: '1.0.0', reason: 'health endpoint fixed' });
  });

  it('refuse a --reason that is empty, multi-line or too long: exit 2, nothing applied', async (t) => {
    const p = await buildPlatform(scratch(t, 'history-bad'), { orders: orders(0) }, { store });
    for (const bad of ['', '  ', 'two\nlines', 'x'.repeat(501)]) {
      const r = await p.apply(['--reason', bad]);
      expect(r.code, show(r)).toBe(2);
      // An empty value is refused by the argument parser already; the others by the option itself.
      expect(r.stderr).toMatch(
        bad.trim() === ''
          ? /--reason needs a value/
          : /--reason: not one line of text of 1 to 500 characters/,
      );
      const i = await p.cli(['install', 'orders@1.0.0', '--yes', '--reason', bad]);
      expect(i.code, show(i)).toBe(2);
    }
    expect(p.history()).toEqual([]);
    expect(p.link('orders')).toBeUndefined();
  });
});

// The postgres variant of every apply suite runs the CLI as a role with the runtime grants only: its history rows can
// be inserted, never changed — so those suites passing proves ringlock never needs to UPDATE or DELETE history.
describe('the restricted role the postgres suites run as', () => {
  it('is refused UPDATE, DELETE and TRUNCATE of history by privilege (before any trigger)', async (t) => {
    const p = await buildPlatform(scratch(t, 'history-role'), { orders: orders(0) }, { store: 'postgres' });
    const r = await p.apply();
    expect(r.code, show(r)).toBe(0);
    expect(p.history().map((h) => h.op)).toEqual(['install']);
    const schema = quoteIdent(p.pg!.known(p.target)!);
    const c = new pg.Client({ connectionString: p.pg!.url });
    await c.connect();
    try {
      // What it may do: read its rows.
      const rows = await c.query(`SELECT module, op FROM ${schema}.history`);
      expect(rows.rows).toEqual([{ module: 'orders', op: 'install' }]);
      for (const sql of [
        `UPDATE ${schema}.history SET outcome = 'failed'`,
        `DELETE FROM ${schema}.history`,
        `TRUNCATE ${schema}.history`,
      ]) {
        const e = await c.query(sql).then(
          () => undefined,
          (err: { code?: string; message: string }) => err,
        );
        expect(e?.code, sql).toBe('42501');
        // Not the append-only trigger's refusal: the role lacks the privilege itself.
        expect(e?.message, sql).toMatch(/permission denied for table history/);
      }
    } finally {
      await c.end();
    }
    expect(p.history().map((h) => h.op)).toEqual(['install']);
  });
});
