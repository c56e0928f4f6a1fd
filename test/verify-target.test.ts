// `ringlock verify --target` on a folder target: what is deployed against the lock, the store trees re-hashed.
import { appendFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlatform, scratch, show } from './fixtures-platform.js';

describe('verify --target', () => {
  it('passes on a freshly applied target, fails on an edited store tree and on a lock ahead of it', async (t) => {
    const p = await buildPlatform(scratch(t, 'verify-target'), {
      a: { version: '1.0.0' },
      b: { version: '1.0.0' },
    });
    expect((await p.apply()).code).toBe(0);
    const ok = await p.cli(['verify', '--ring', 'canary', '--target']);
    expect(ok.code, show(ok)).toBe(0);
    const tree = resolve(p.target, readlinkSync(join(p.target, 'a')));
    appendFileSync(join(tree, 'src', 'index.php'), '// edited\n');
    const edited = await p.cli(['verify', '--ring', 'canary', '--target', '--json']);
    expect(edited.code, show(edited)).toBe(1);
    const findings = (JSON.parse(edited.stdout) as { findings: { module: string; rule: string }[] }).findings;
    expect(findings.filter((f) => f.rule !== 'verify/content')).toEqual([
      expect.objectContaining({ module: 'a', rule: 'verify/drift' }),
    ]);
    p.writeModule('b', { version: '1.1.0' });
    await p.release(['b']);
    const ahead = await p.cli(['verify', '--ring', 'canary', '--target']);
    expect(ahead.code).toBe(1);
    expect(ahead.stdout).toMatch(/deployed 1\.0\.0 .*the lock pins 1\.1\.0/);
  });
});
