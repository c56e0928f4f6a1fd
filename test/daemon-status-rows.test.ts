// /status module rows agree with the header: a module the plan blocks and nothing deployed reads `blocked` with the
// reason, not `pending`; a module waiting to install is `pending`; a deployed active one whose wanted version is blocked
// reads `blocked` too (what the lock asks cannot come), with the version that still runs; a failed one stays failed.
import { describe, expect, it } from 'vitest';
import { moduleViews } from '../src/daemon/status.js';
import type { Plan } from '../src/plan/types.js';
import type { DeployedState } from '../src/state/types.js';

const plan: Plan = {
  ring: 'canary',
  platform: '2.0.0',
  actions: [
    {
      module: 'legacy',
      kind: 'blocked',
      to: '1.0.0',
      reason: 'legacy 1.0.0 is incompatible; stays uninstalled',
    },
    { module: 'new', kind: 'install', to: '1.0.0' },
    { module: 'orders', kind: 'blocked', from: '1.0.0', to: '1.1.0', reason: 'quarantined; keeps 1.0.0' },
  ],
};
const state: DeployedState = {
  stateVersion: 1,
  quarantine: [],
  modules: {
    orders: {
      name: 'orders',
      active: { version: '1.0.0', sha256: 'sha256:00', storeDir: '.ringlock/store/orders/1.0.0' },
      status: 'active',
      since: '2025-01-01T00:00:00.000Z',
      origin: 'lock',
    },
  },
};

describe('status module rows', () => {
  it('say blocked, with the reason, for blocked modules', () => {
    const rows = moduleViews(plan, state, new Map(), new Map());
    expect(rows.map((r) => [r.name, r.state, r.blocked])).toEqual([
      ['legacy', 'blocked', 'legacy 1.0.0 is incompatible; stays uninstalled'],
      ['new', 'pending', undefined],
      ['orders', 'blocked', 'quarantined; keeps 1.0.0'],
    ]);
    expect(rows.find((r) => r.name === 'orders')!.deployed).toBe('1.0.0');
  });

  it('keep a failed module failed, and show the chain and since when it has been blocked', () => {
    const failed: DeployedState = {
      ...state,
      modules: { orders: { ...state.modules.orders!, status: 'failed', lastError: 'boom' } },
      blocked: {
        legacy: {
          version: '1.0.0',
          reason: 'legacy 1.0.0 is incompatible; stays uninstalled',
          since: 'then',
        },
      },
    };
    const chained: Plan = {
      ...plan,
      actions: plan.actions.map((a) =>
        a.module === 'legacy' ? { ...a, chain: ['legacy → base', 'base: gone'] } : a,
      ),
    };
    const rows = moduleViews(chained, failed, new Map(), new Map());
    expect(rows.map((r) => [r.name, r.state])).toEqual([
      ['legacy', 'blocked'],
      ['new', 'pending'],
      ['orders', 'failed'],
    ]);
    expect(rows[0]).toMatchObject({ blockedChain: ['legacy → base', 'base: gone'], blockedSince: 'then' });
  });
});
