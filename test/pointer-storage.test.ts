// The dir bundle storage on real files: an upload never overwrites (an identical bundle is accepted, a different one
// refused with nothing changed), leaves no temp files, refuses what is not a file or directory; and the operator
// config's pointer/redis sections refused when wrong (exit 2, nothing written).
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirBundleStorage } from '../src/targets/pointer/dir-storage.js';
import { buildPlatform, scratch, show } from './fixtures-platform.js';
import { writeTree } from './helpers.js';

describe('dir bundle storage', () => {
  it('accepts an identical bundle again, refuses a different one without touching it', async (t) => {
    const root = scratch(t, 'storage');
    const src = join(root, 'src');
    writeTree(src, { 'remoteEntry.js': 'v1\n', 'assets/a.css': 'a{}\n' });
    const s = new DirBundleStorage(join(root, 'cdn'));
    s.put('@acme/crm/1.0.0-aaaaaaaa', src);
    s.put('@acme/crm/1.0.0-aaaaaaaa', src);
    expect(readFileSync(join(root, 'cdn/@acme/crm/1.0.0-aaaaaaaa/assets/a.css'), 'utf8')).toBe('a{}\n');
    writeFileSync(join(src, 'remoteEntry.js'), 'v2\n');
    expect(() => s.put('@acme/crm/1.0.0-aaaaaaaa', src)).toThrow(
      /already holds different content \(remoteEntry\.js\)/,
    );
    expect(readFileSync(join(root, 'cdn/@acme/crm/1.0.0-aaaaaaaa/remoteEntry.js'), 'utf8')).toBe('v1\n');
    expect(readdirSync(join(root, 'cdn/@acme/crm/1.0.0-aaaaaaaa')).sort()).toEqual([
      'assets',
      'remoteEntry.js',
    ]);
    // A temp file an upload killed midway left is cleared by the next upload, never linked or served.
    writeFileSync(join(root, 'cdn/@acme/crm/1.0.0-aaaaaaaa/.rl-up-0123456789ab'), 'half');
    writeFileSync(join(src, 'remoteEntry.js'), 'v1\n');
    s.put('@acme/crm/1.0.0-aaaaaaaa', src);
    expect(readdirSync(join(root, 'cdn/@acme/crm/1.0.0-aaaaaaaa')).sort()).toEqual([
      'assets',
      'remoteEntry.js',
    ]);
    expect(s.modules()).toEqual(['@acme/crm']);
    expect(s.list('@acme/crm').map((b) => b.dir)).toEqual(['1.0.0-aaaaaaaa']);
    expect(await s.verify('@acme/crm/1.0.0-bbbbbbbb', 'sha256:x')).toMatch(/missing/);
    expect(() => s.put('../escape', src)).toThrow(/outside the bundle storage/);
  });

  it('a conflicting upload links none of its files into the bundle, not even the new ones', (t) => {
    const root = scratch(t, 'storage-conflict');
    const src = join(root, 'src');
    writeTree(src, { 'remoteEntry.js': 'v1\n' });
    const s = new DirBundleStorage(join(root, 'cdn'));
    s.put('crm/1.0.0-aaaaaaaa', src);
    // A different entry file (the conflict) beside files the stored bundle does not have, sorted before and after it.
    writeTree(src, { 'remoteEntry.js': 'v2\n', 'a-new.js': 'new\n', 'z-new.js': 'new\n', 'sub/x.js': 'x\n' });
    expect(() => s.put('crm/1.0.0-aaaaaaaa', src)).toThrow(
      /already holds different content \(remoteEntry\.js\)/,
    );
    const dir = join(root, 'cdn/crm/1.0.0-aaaaaaaa');
    expect(readdirSync(dir).filter((n) => n !== 'sub')).toEqual(['remoteEntry.js']);
    expect(readdirSync(join(dir, 'sub'), { withFileTypes: true }).filter((e) => e.isFile())).toEqual([]);
    expect(readFileSync(join(dir, 'remoteEntry.js'), 'utf8')).toBe('v1\n');
  });

  it('refuses a symlink in a bundle', (t) => {
    const root = scratch(t, 'storage-link');
    const src = join(root, 'src');
    mkdirSync(src, { recursive: true });
    symlinkSync('/etc/passwd', join(src, 'x.js'));
    expect(() => new DirBundleStorage(join(root, 'cdn')).put('m/1.0.0-aaaaaaaa', src)).toThrow(
      /only files and directories/,
    );
  });
});

describe('pointer target configuration', () => {
  it('refuses a pointer target without the operator config section, and a bad publicUrl, at file:line (exit 2)', async (t) => {
    const root = scratch(t, 'pointer-config');
    const p = await buildPlatform(root, { crm: { version: '1.0.0' } }, { targetConfig: '  type: pointer' });
    const none = await p.apply([], { env: { RINGLOCK_REDIS_URL: 'redis://127.0.0.1:1' } });
    expect(none.code, show(none)).toBe(2);
    expect(none.stderr).toContain("needs the operator config's pointer section");
    const op = join(root, 'op.yaml');
    writeFileSync(
      op,
      'apiVersion: ringlock/v1\nkind: OperatorConfig\npointer:\n  storage: {type: dir, path: /tmp/x}\n  publicUrl: ftp://cdn\n',
    );
    const bad = await p.apply([], {
      env: { RINGLOCK_OPERATOR_CONFIG: op, RINGLOCK_REDIS_URL: 'redis://127.0.0.1:1' },
    });
    expect(bad.code, show(bad)).toBe(2);
    expect(bad.stderr).toMatch(/op\.yaml:5:\d+/);
    writeFileSync(
      op,
      'apiVersion: ringlock/v1\nkind: OperatorConfig\nredis:\n  keys: {tenant: "other:key"}\n',
    );
    const keys = await p.apply([], { env: { RINGLOCK_OPERATOR_CONFIG: op } });
    expect(keys.code, show(keys)).toBe(2);
    expect(keys.stderr).toMatch(/op\.yaml:4:\d+/);
    expect(p.state().modules).toEqual({});
  });

  it('a repository cannot name the CDN or the Redis keys: ringlock.yaml refuses them under target (exit 2)', async (t) => {
    const root = scratch(t, 'pointer-hostile');
    const p = await buildPlatform(
      root,
      { crm: { version: '1.0.0' } },
      {
        targetConfig: '  type: pointer\n  publicUrl: https://evil.example/modules',
        unreleased: true,
      },
    );
    const r = await p.cli(['plan', '--ring', 'canary'], {
      env: { RINGLOCK_REDIS_URL: 'redis://127.0.0.1:1' },
    });
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/ringlock\.yaml:\d+:\d+.*publicUrl/);
  });
});
