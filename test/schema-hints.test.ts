// What a schema error says was expected: an unknown property lists the keys of the object it is in, also when that
// object's schema is $ref'd (a lock entry, a hook reference, a health check), where ajv's schemaPath is relative to
// the referenced schema and cannot name it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSchema } from '../src/model/schema.js';
import { parseJsonSource } from '../src/model/source.js';
import { cli, platformRepo } from './helpers.js';

const SHA = `sha256:${'a'.repeat(64)}`;
const unknown = (kind: 'lock' | 'module' | 'config', value: unknown) =>
  validateSchema(kind, parseJsonSource('x.json', JSON.stringify(value, null, 2))).filter(
    (d) => d.rule === 'schema/additionalProperties',
  );

describe('unknown property hints', () => {
  it("a lock entry's unknown key lists the entry's keys, not the lock's top-level keys", () => {
    const d = unknown('lock', {
      lockfileVersion: 1,
      ring: 'canary',
      platform: '2.0.0',
      modules: { orders: { version: '1.0.0', sha256: SHA, released_at: null } },
    });
    expect(d).toHaveLength(1);
    expect(d[0]!.pointer).toBe('/modules/orders/released_at');
    expect(d[0]!.expected).toMatch(/^one of: version, sha256, integrity, artifact, source, path, origin, /);
    expect(d[0]!.expected).toContain('file_count');
    expect(d[0]!.expected).not.toContain('lockfileVersion');
  });

  it('a hook reference and a health check object list their own keys', () => {
    const d = unknown('module', {
      name: 'orders',
      version: '1.0.0',
      lifecycle: { onInstall: { ref: 'Modules\\Orders\\OnInstall', runnr: 'php' }, onBoot: 'x' },
      healthCheck: { http: { path: '/health', expect: 200 }, timeot: '5s' },
      compatibility: { php: '^8.2' },
    });
    const by = Object.fromEntries(d.map((x) => [x.pointer, x.expected]));
    expect(by['/lifecycle/onInstall/runnr']).toBe('one of: ref, runner');
    expect(by['/lifecycle/onBoot']).toBe(
      'one of: onInstall, onUpgrade, onDowngrade, afterSwitch, onRemove, onEnable, onDisable',
    );
    expect(by['/healthCheck/http/expect']).toBe('one of: path, url, expectStatus');
    expect(by['/healthCheck/timeot']).toBe('one of: http, command, timeout, interval, retries');
    expect(by['/compatibility/php']).toBe('one of: platform');
  });

  it('a nested config key lists the keys beside it', () => {
    const d = unknown('config', {
      apiVersion: 'ringlock/v1',
      platform: { version: '2.0.0' },
      rings: [{ name: 'canary', minsoak: '1h' }],
    });
    expect(d[0]!.pointer).toBe('/rings/0/minsoak');
    expect(d[0]!.expected).toContain('minSoak');
    expect(d[0]!.expected).not.toContain('apiVersion');
  });

  it('through the CLI: verify on an AutoCom-style entry names the entry keys', () => {
    const dir = platformRepo({ orders: { version: '1.0.0' } });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    const lock = join(dir, 'rings/canary.lock.json');
    const j = JSON.parse(readFileSync(lock, 'utf8'));
    j.modules.orders.released_at = null;
    writeFileSync(lock, JSON.stringify(j, null, 2));
    const r = cli(['verify', '--json', '--cwd', dir]);
    expect(r.code).toBe(2);
    const diag = JSON.parse(r.stdout).error.diagnostics[0];
    expect(diag.pointer).toBe('/modules/orders/released_at');
    expect(diag.expected).toMatch(/^one of: version, sha256, /);
  });
});
