// /status module rows agree with the header: a module the plan blocks and nothing deployed reads `blocked` with the
// reason, not `pending`; a module waiting to install is `pending`; a deployed one keeps its state and shows the block.
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
      ['orders', 'active', 'quarantined; keeps 1.0.0'],
    ]);
  });
});
