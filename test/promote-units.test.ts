// The pure parts of promotion: lock text edits, changelog sections, freeze windows, and the promotion plan.
import { describe, expect, it } from 'vitest';
import { changelogBetween, parseChangelog } from '../src/model/changelog.js';
import { activeFreezes, parseCron, parseInstant } from '../src/model/freeze.js';
import { serializeLock } from '../src/model/lock.js';
import type { RingLock, RingPolicy } from '../src/model/types.js';
import { editLockText } from '../src/promote/lock-edit.js';
import { planPromotion } from '../src/promote/plan.js';
import { assignTenantText } from '../src/promote/tenants.js';
import { DAY, entry, HOUR } from './support/promote-repo.js';

const lock = (ring: string, modules: RingLock['modules']): RingLock => ({
  lockfileVersion: 1,
  ring,
  platform: '2.0.0',
  modules,
});

describe('editLockText', () => {
  const before = lock('edge', { a: entry('a', '1.0.0'), c: entry('c', '1.0.0', { deps: { a: '^1.0.0' } }) });

  it('gives exactly what the canonical writer gives, for changed, added and removed entries', () => {
    const changes = new Map([
      ['a', entry('a', '1.1.0')],
      ['b', entry('b', '0.1.0', { deps: { a: '^1.1.0' } })],
      ['@x/y', entry('@x/y', '2.0.0')],
    ]);
    const expected = { ...before, modules: { ...before.modules, ...Object.fromEntries(changes) } };
    expect(editLockText(serializeLock(before), changes)).toBe(serializeLock(expected));
    const removed = { ...before, modules: { c: before.modules.c! } };
    expect(editLockText(serializeLock(before), new Map([['a', undefined]]))).toBe(serializeLock(removed));
    const last = { ...before, modules: { a: before.modules.a! } };
    expect(editLockText(serializeLock(before), new Map([['c', undefined]]))).toBe(serializeLock(last));
    const none = { ...before, modules: {} };
    expect(editLockText(serializeLock(last), new Map([['a', undefined]]))).toBe(serializeLock(none));
    // A field added to and one dropped from an entry.
    const reshaped = { ...entry('c', '1.0.0'), dependencies: { a: '^1.0.0' }, file_count: 3 } as const;
    const { artifact_size: _, ...slim } = reshaped;
    const next = { ...before, modules: { ...before.modules, c: slim } };
    expect(editLockText(serializeLock(before), new Map([['c', slim]]))).toBe(serializeLock(next));
  });

  it('leaves the rest of a hand-formatted file byte for byte, and keeps its indentation and line endings', () => {
    const text =
      '{\r\n\t"lockfileVersion": 1,\r\n\t"modules": {\r\n\t\t"a": {"version": "1.0.0", "sha256": "sha256:aa"},\r\n\t\t"z": {"version": "9.0.0"}\r\n\t},\r\n\t"platform": "2.0.0",  "ring": "edge"\r\n}\r\n';
    const out = editLockText(text, new Map([['a', { version: '1.1.0', sha256: 'sha256:aa' }]]));
    expect(out).toBe(text.replace('"1.0.0"', '"1.1.0"'));
    const added = editLockText(text, new Map([['m', { version: '1.0.0', sha256: 'sha256:bb' }]]));
    expect(added).toContain(
      '\r\n\t\t"m": {\r\n\t\t\t"sha256": "sha256:bb",\r\n\t\t\t"version": "1.0.0"\r\n\t\t},\r\n\t\t"z"',
    );
    expect(added.replace(/\t\t"m": \{[^}]*\},\r\n/, '')).toBe(text);
  });
});

describe('changelog', () => {
  const text = `# Changelog\n\n## [Unreleased]\n\n- next\n\n## [2.0.0] - 2026-05-01\n### Changed\n- big\n\n## 1.5.0 (2026-04-08)\n- mid\n\n## v1.4.2\n- small\n\n## [1.4.0]\n- old\n`;

  it('reads Keep a Changelog and release-please headings, and skips Unreleased', () => {
    expect(parseChangelog(text).map((s) => [s.version, s.date])).toEqual([
      ['2.0.0', '2026-05-01'],
      ['1.5.0', '2026-04-08'],
      ['1.4.2', undefined],
      ['1.4.0', undefined],
    ]);
    expect(parseChangelog(text)[0]!.body).toBe('### Changed\n- big');
  });

  it('gives the sections after `from` up to `to`, newest first; a downgrade gets what it undoes', () => {
    expect(changelogBetween(text, '1.4.0', '2.0.0').map((s) => s.version)).toEqual([
      '2.0.0',
      '1.5.0',
      '1.4.2',
    ]);
    expect(changelogBetween(text, undefined, '1.4.2').map((s) => s.version)).toEqual(['1.4.2', '1.4.0']);
    expect(changelogBetween(text, '2.0.0', '1.4.2').map((s) => s.version)).toEqual(['2.0.0', '1.5.0']);
    expect(changelogBetween('no headings here', '1.0.0', '2.0.0')).toEqual([]);
  });
});

describe('freeze windows', () => {
  const at = (iso: string) => Date.parse(iso);

  it('a fixed window holds from its start up to (not including) its end, for its rings only', () => {
    const f = [{ rings: ['stable'], from: '2026-12-20', until: '2027-01-04T00:00:00Z', reason: 'holidays' }];
    expect(activeFreezes(f, 'stable', at('2026-12-20T00:00:00Z'))).toHaveLength(1);
    expect(activeFreezes(f, 'stable', at('2027-01-03T23:59:59Z'))).toHaveLength(1);
    expect(activeFreezes(f, 'stable', at('2027-01-04T00:00:00Z'))).toHaveLength(0);
    expect(activeFreezes(f, 'edge', at('2026-12-24T00:00:00Z'))).toHaveLength(0);
  });

  it('a recurring window starts at each cron time (UTC) and lasts its duration', () => {
    // Fridays 15:00 for 66 hours: until Monday 09:00.
    const f = [{ cron: '0 15 * * fri', duration: '66h', reason: 'weekend' }];
    expect(activeFreezes(f, 'edge', at('2026-12-04T14:59:00Z'))).toHaveLength(0); // a Friday
    const [w] = activeFreezes(f, 'edge', at('2026-12-05T12:00:00Z'));
    expect(w).toMatchObject({
      reason: 'weekend',
      start: at('2026-12-04T15:00:00Z'),
      end: at('2026-12-07T09:00:00Z'),
    });
    expect(activeFreezes(f, 'edge', at('2026-12-07T09:00:00Z'))).toHaveLength(0);
  });

  it('parses lists, ranges, steps and names, and refuses what is not cron', () => {
    expect([...parseCron('*/15 9-17 1,15 jan-mar 1-5').sets[0]!]).toEqual([0, 15, 30, 45]);
    expect([...parseCron('0 0 * * 7').sets[4]!]).toEqual([0]);
    expect(() => parseCron('0 0 * *')).toThrow(/4 fields/);
    expect(() => parseCron('0 24 * * *')).toThrow(/hour "24"/);
    expect(() => parseCron('0 0 * * funday')).toThrow(/not a number/);
  });
});

describe('planPromotion', () => {
  const ring = (name: string, o: Partial<RingPolicy> = {}): RingPolicy => ({
    name,
    minSoakMs: 0,
    allowPrerelease: false,
    tracksSource: false,
    reviewers: [],
    ...o,
  });
  const canary = ring('canary', { allowPrerelease: true, tracksSource: true });
  const edge = ring('edge', { promoteFrom: 'canary', minSoakMs: DAY, minSoak: '24h' });
  const now = Date.parse('2026-12-02T12:00:00Z');
  const src = lock('canary', {
    orders: entry('orders', '2.0.0', { deps: { payments: '^2.0.0' } }),
    payments: entry('payments', '2.0.0', { deps: { ledger: '^1.0.0' } }),
    ledger: entry('ledger', '1.0.0'),
  });
  const tgt = lock('edge', { orders: entry('orders', '1.0.0'), payments: entry('payments', '1.0.0') });
  const old = (m: string) => [m, { commit: 'c'.repeat(40), time: now - 2 * DAY }] as const;
  /** canary → edge for orders at `now`; `o` replaces any of it. */
  const plan = (o: Partial<Parameters<typeof planPromotion>[0]>) =>
    planPromotion({
      from: canary,
      to: edge,
      sourceLock: src,
      targetLock: tgt,
      requests: [{ module: 'orders' }],
      appearances: new Map(),
      now,
      ...o,
    });

  it('--with-deps follows the chain down (orders → payments → ledger) and carries what soaked', () => {
    const p = plan({ appearances: new Map([old('orders'), old('payments'), old('ledger')]), withDeps: true });
    expect(p.errors).toEqual([]);
    expect(p.changes.map((c) => [c.module, c.forDependency])).toEqual([
      ['orders', undefined],
      ['payments', 'orders'],
      ['ledger', 'payments'],
    ]);
  });

  it('without it, reports the closure with the chain; a dependency that has not soaked refuses too', () => {
    const p = plan({ appearances: new Map([old('orders')]) });
    expect(p.errors.map((f) => f.rule)).toEqual(['RL008']);
    expect(p.errors[0]!.chain).toEqual(['orders needs payments ^2.0.0', 'the ring has payments 1.0.0']);
    const young = plan({
      appearances: new Map([
        old('orders'),
        old('ledger'),
        ['payments', { commit: 'd'.repeat(40), time: now - HOUR }],
      ]),
      withDeps: true,
    });
    expect(young.errors.map((f) => [f.rule, f.module])).toEqual([['RL006', 'payments']]);
  });

  it('a ring promoted from elsewhere is refused with RL005', () => {
    const stable = ring('stable', { promoteFrom: 'edge' });
    const p = plan({ to: stable, requests: [{ module: 'ledger' }], appearances: new Map([old('ledger')]) });
    expect(p.errors.map((f) => f.rule)).toEqual(['RL005']);
  });
});

describe('assignTenantText', () => {
  it('changes one value in place or appends a new tenant, keeping comments', () => {
    const text = '# who runs what\ntenants:\n  a: canary # first\n  # the rest\n  b: stable\n';
    expect(assignTenantText(text, 'a', 'edge')).toBe(text.replace('a: canary', 'a: edge'));
    expect(assignTenantText(text, 'c', 'edge')).toBe(`${text}  c: edge\n`);
    expect(assignTenantText('tenants: {}\n', 'c', 'edge')).toBe('tenants:\n  c: edge\n');
  });
});

describe('review findings, pinned down', () => {
  it('cron: a day field starting with * is unrestricted (AND), names only where they belong, no calendar roll-over', () => {
    const every2nd = [{ cron: '0 0 */2 * 1', duration: '1m', reason: 'x' }];
    // 2026-12-01 is a Tuesday and an odd day: */2 on the day of month AND Monday → no match.
    expect(activeFreezes(every2nd, 'r', Date.parse('2026-12-01T00:00:30Z'))).toHaveLength(0);
    // 2026-12-07 is a Monday and an odd day (7): matches both.
    expect(activeFreezes(every2nd, 'r', Date.parse('2026-12-07T00:00:30Z'))).toHaveLength(1);
    expect(() => parseCron('0 0 * mon *')).toThrow(/month "mon" is not a number or a name/);
    expect(() => parseCron('0 jan * * *')).toThrow(/hour "jan" is not a number/);
    expect(Number.isNaN(parseInstant('2026-02-30'))).toBe(true);
    expect(Number.isNaN(parseInstant('2026-12-01T24:00'))).toBe(true);
    expect(parseInstant('2026-12-01T10:00+02:00')).toBe(Date.parse('2026-12-01T08:00:00Z'));
  });

  it('tenants: a numeric-looking id is edited in place, CRLF files stay CRLF', () => {
    expect(assignTenantText('tenants:\n  123: edge\n  b: stable\n', '123', 'stable')).toBe(
      'tenants:\n  123: stable\n  b: stable\n',
    );
    expect(assignTenantText('tenants:\r\n  a: edge # c\r\n', 'a', 'stable')).toBe(
      'tenants:\r\n  a: stable # c\r\n',
    );
  });
});
