import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FileRegistry } from '../src/artifacts/registry/file.js';
import { HttpRegistry } from '../src/artifacts/registry/http.js';
import { createRegistry, registryFromUrl } from '../src/artifacts/registry/index.js';
import { type ArtifactRef, defaultArtifactPath } from '../src/artifacts/registry/types.js';
import { InputError, OperationFailed } from '../src/errors.js';
import { testdir } from './helpers.js';

const ref = (extra: Partial<ArtifactRef> = {}): ArtifactRef => ({
  module: 'orders',
  version: '1.0.0',
  integrity: 'sha256-unused',
  ...extra,
});

async function failure(p: Promise<unknown>): Promise<Error & { code: string }> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: Error & { code: string }) => e,
  );
}

/** Every file under `dir`, relative, sorted. */
function files(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
    .sort();
}

describe('file registry', () => {
  it('names artifacts <module>/<version>/<base>-<version>.tgz, scopes included', () => {
    expect(defaultArtifactPath('orders', '1.0.0')).toBe('orders/1.0.0/orders-1.0.0.tgz');
    expect(defaultArtifactPath('@acme/analytics', '0.4.0')).toBe('@acme/analytics/0.4.0/analytics-0.4.0.tgz');
  });

  it('fetches by the default path and by the lock path', async () => {
    const root = testdir({
      'orders/1.0.0/orders-1.0.0.tgz': 'default bytes',
      'elsewhere/o.tgz': 'lock bytes',
    });
    const out = testdir();
    const reg = new FileRegistry(root);
    await reg.fetch(ref(), join(out, 'a'));
    await reg.fetch(ref({ artifact: 'elsewhere/o.tgz' }), join(out, 'b'));
    expect(readFileSync(join(out, 'a'), 'utf8')).toBe('default bytes');
    expect(readFileSync(join(out, 'b'), 'utf8')).toBe('lock bytes');
  });

  it('reports a missing artifact as registry/not-found naming the path', async () => {
    const root = testdir();
    const out = testdir();
    const err = await failure(new FileRegistry(root).fetch(ref(), join(out, 'a')));
    expect(err).toBeInstanceOf(OperationFailed);
    expect(err.code).toBe('registry/not-found');
    expect(err.message).toContain(join(root, 'orders/1.0.0/orders-1.0.0.tgz'));
    expect(readdirSync(out)).toEqual([]);
  });

  it('refuses path traversal and URLs from a lock before touching the disk', async () => {
    const root = testdir({ 'inner/x.tgz': 'x' });
    const reg = new FileRegistry(join(root, 'inner'));
    const out = testdir();
    for (const artifact of [
      '../x.tgz',
      'a/../../x.tgz',
      '/etc/passwd',
      'a\\..\\x',
      'a\0b',
      'C:x',
      'file:///etc/passwd',
      'https://example.invalid/x.tgz',
      './x.tgz',
      'a//b',
    ]) {
      const err = await failure(reg.fetch(ref({ artifact }), join(out, 'a')));
      expect(err, artifact).toBeInstanceOf(InputError);
      expect(err.code).toBe('registry/unsafe-path');
    }
    for (const module of ['../evil', '/abs', 'a/b/c', 'plain/b']) {
      const err = await failure(reg.fetch(ref({ module }), join(out, 'a')));
      expect(err.code, module).toBe('registry/unsafe-path');
    }
    const err = await failure(reg.fetch(ref({ version: '../1' }), join(out, 'a')));
    expect(err.code).toBe('registry/unsafe-path');
    expect(readdirSync(out)).toEqual([]);
  });

  it('publishes atomically into <module>/<version>/ and fetches it back', async () => {
    const src = testdir({ 'a.tgz': 'archive', 'MANIFEST.json': '{}' });
    const root = testdir();
    const reg = new FileRegistry(root);
    const out = await reg.publish('@acme/analytics', '0.4.0', [
      { name: 'analytics-0.4.0.tgz', path: join(src, 'a.tgz') },
      { name: 'MANIFEST.json', path: join(src, 'MANIFEST.json') },
    ]);
    expect(out).toEqual({ artifact: '@acme/analytics/0.4.0/analytics-0.4.0.tgz' });
    expect(files(root)).toEqual([
      '@acme/analytics/0.4.0/MANIFEST.json',
      '@acme/analytics/0.4.0/analytics-0.4.0.tgz',
    ]);
    const dest = join(testdir(), 'x');
    await reg.fetch(ref({ module: '@acme/analytics', version: '0.4.0' }), dest);
    expect(readFileSync(dest, 'utf8')).toBe('archive');
  });

  it('treats releases as immutable: same bytes again is a no-op, different bytes refused', async () => {
    const src = testdir({ 'a.tgz': 'archive', 'b.tgz': 'changed', 'm.json': '{}' });
    const root = testdir();
    const reg = new FileRegistry(root);
    const file = (path: string) => [{ name: 'orders-1.0.0.tgz', path: join(src, path) }];
    await reg.publish('orders', '1.0.0', file('a.tgz'));
    await reg.publish('orders', '1.0.0', file('a.tgz'));
    const err = await failure(
      reg.publish('orders', '1.0.0', [
        ...file('b.tgz'),
        { name: 'MANIFEST.json', path: join(src, 'm.json') },
      ]),
    );
    expect(err).toBeInstanceOf(InputError);
    expect(err.code).toBe('registry/immutable');
    expect(err.message).toContain('orders@1.0.0');
    expect(readFileSync(join(root, 'orders/1.0.0/orders-1.0.0.tgz'), 'utf8')).toBe('archive');
    // Nothing of the refused publish was written, and no temp files remain.
    expect(files(root)).toEqual(['orders/1.0.0/orders-1.0.0.tgz']);
  });

  it('refuses unsafe names on publish', async () => {
    const src = testdir({ 'a.tgz': 'a' });
    const root = testdir();
    const reg = new FileRegistry(root);
    const path = join(src, 'a.tgz');
    for (const [module, version, name] of [
      ['../evil', '1.0.0', 'x.tgz'],
      ['orders', '../1', 'x.tgz'],
      ['orders', '1.0.0', '../x.tgz'],
      ['orders', '1.0.0', 'sub/x.tgz'],
      ['orders', '1.0.0', '.hidden'],
    ] as const) {
      const err = await failure(reg.publish(module, version, [{ name, path }]));
      expect(err.code).toBe('registry/unsafe-path');
    }
    const missing = await failure(
      reg.publish('orders', '1.0.0', [{ name: 'x.tgz', path: join(src, 'nope') }]),
    );
    expect(missing.code).toBe('registry/publish');
    expect(files(root)).toEqual([]);
  });
});

describe('registry factory', () => {
  it('builds drivers from config', () => {
    const root = testdir();
    const file = createRegistry({}, root);
    expect(file).toBeInstanceOf(FileRegistry);
    expect(file.location).toBe(join(root, '.ringlock/registry'));
    expect(createRegistry({ type: 'file', path: '/srv/reg' }, root).location).toBe('/srv/reg');
    const http = createRegistry({ type: 'http', url: 'https://u:p@reg.example/x', tokenEnv: 'T' }, root);
    expect(http).toBeInstanceOf(HttpRegistry);
    expect(http.location).toBe('https://reg.example/x/');
    expect(() => createRegistry({ type: 'http' }, root)).toThrow(InputError);
  });

  it('reads --registry values by scheme', () => {
    const cwd = testdir();
    expect(registryFromUrl(pathToFileURL('/srv/reg').href).location).toBe('/srv/reg');
    expect(registryFromUrl('file:rel/reg', cwd).location).toBe(join(cwd, 'rel/reg'));
    expect(registryFromUrl('plain/dir', cwd).location).toBe(join(cwd, 'plain/dir'));
    expect(registryFromUrl('/abs/dir', cwd).location).toBe('/abs/dir');
    expect(registryFromUrl('http://127.0.0.1:1/r')).toBeInstanceOf(HttpRegistry);
    expect(registryFromUrl('HTTPS://reg.example/r')).toBeInstanceOf(HttpRegistry);
    expect(() => registryFromUrl('s3://bucket/x')).toThrow(/no registry driver for "s3:"/);
    expect(() => registryFromUrl('file://remotehost/x')).toThrow(InputError);
    expect(existsSync(join(cwd, 'plain'))).toBe(false);
  });
});
