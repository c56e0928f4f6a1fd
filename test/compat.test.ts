import { describe, expect, it } from 'vitest';
import { evaluateCompat } from '../src/compat/compat.js';
import { dependencyOrder, findCycle } from '../src/model/graph.js';

describe('evaluateCompat', () => {
  it('marks a module incompatible with the platform and blocks its dependents with the whole chain', () => {
    const r = evaluateCompat(
      [
        { name: 'payments', version: '1.9.0', platform: '^1.8.0', dependencies: {} },
        { name: 'orders', version: '2.0.0', platform: '^2.0.0', dependencies: { payments: '^1.0.0' } },
        { name: 'shipping', version: '1.0.0', platform: '^2.0.0', dependencies: { orders: '^2.0.0' } },
        { name: 'auth', version: '1.0.0', platform: '>=1.0.0', dependencies: {} },
      ],
      '2.0.0',
    );
    const by = Object.fromEntries(r.map((x) => [x.name, x]));
    expect(by.payments!.status).toBe('incompatible');
    expect(by.orders!.status).toBe('blocked');
    expect(by.orders!.chain).toEqual([
      'orders needs payments ^1.0.0',
      'payments 1.9.0 is incompatible with platform 2.0.0 (needs ^1.8.0)',
    ]);
    expect(by.shipping!.status).toBe('blocked');
    expect(by.shipping!.chain).toEqual([
      'shipping needs orders ^2.0.0',
      'orders needs payments ^1.0.0',
      'payments 1.9.0 is incompatible with platform 2.0.0 (needs ^1.8.0)',
    ]);
    expect(by.auth!.status).toBe('ok');
  });

  it('blocks on a missing dependency and on a version outside the range', () => {
    const r = evaluateCompat(
      [
        { name: 'orders', version: '2.0.0', platform: '^2.0.0', dependencies: { payments: '^2.0.0' } },
        { name: 'payments', version: '1.9.0', platform: '^2.0.0', dependencies: {} },
        { name: 'reports', version: '1.0.0', platform: '^2.0.0', dependencies: { ledger: '^1.0.0' } },
      ],
      '2.1.0',
    );
    expect(r[0]!.chain).toEqual(['orders needs payments ^2.0.0', 'the ring has payments 1.9.0']);
    expect(r[2]!.chain).toEqual(['reports needs ledger ^1.0.0', 'ledger is not in the ring']);
  });

  it('warns about a missing constraint and unknown dependencies without failing them', () => {
    const r = evaluateCompat([{ name: 'x', version: '1.0.0' }], '2.0.0');
    expect(r[0]!.status).toBe('unknown');
    expect(r[0]!.warnings).toHaveLength(2);
  });

  it('matches prerelease platforms against ranges', () => {
    const r = evaluateCompat(
      [{ name: 'x', version: '1.0.0', platform: '^2.0.0', dependencies: {} }],
      '2.1.0-rc.1',
    );
    expect(r[0]!.status).toBe('ok');
  });
});

describe('dependency graph', () => {
  it('names a cycle as a closed path', () => {
    const deps = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', []],
    ]);
    expect(findCycle(deps)).toEqual(['a', 'b', 'c', 'a']);
    expect(
      findCycle(
        new Map([
          ['a', ['a2']],
          ['a2', []],
        ]),
      ),
    ).toBeUndefined();
  });

  it('orders dependencies before dependents', () => {
    const order = dependencyOrder(
      new Map([
        ['shipping', ['orders']],
        ['orders', ['payments', 'catalog']],
        ['payments', []],
        ['catalog', []],
      ]),
    );
    expect(order.indexOf('payments')).toBeLessThan(order.indexOf('orders'));
    expect(order.indexOf('orders')).toBeLessThan(order.indexOf('shipping'));
  });
});
