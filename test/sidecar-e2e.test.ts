// The sidecar layout end to end, without a cluster: the real daemon (a child process) keeps a modules folder in step
// with a ring's lock served over git smart HTTP, while a stand-in platform (another child process) shares the folder —
// read-only, at another path, as the platform container mounts it — and reads a module continuously through 50
// version switches. The platform must only ever see complete trees of one version. And the sidecar's startup probe:
// /readyz?synced stays 503 while the lock is not fully applied, where /readyz already answers 200.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlatform, expectConsistent, scratch } from './fixtures-platform.js';
import { DEADLINE_MS, SECRETS, serveRepo, startDaemon } from './support/daemon.js';
import { judgeOnce, markedFiles, type ReaderResult, writeReader } from './support/platform-reader.js';

const SWITCHES = 50;
const V1 = { version: '1.0.0', files: markedFiles('1.0.0', 24) };
const V2 = { version: '2.0.0', files: markedFiles('2.0.0', 36) };

/** `mount --bind` of `from` at `at`, then read-only (as the platform container mounts the volume); the tests run as root. */
function bindReadOnly(from: string, at: string): void {
  mkdirSync(at, { recursive: true });
  for (const args of [
    ['--bind', from, at],
    ['-o', 'remount,bind,ro', at],
  ]) {
    const r = spawnSync('mount', args, { encoding: 'utf8' });
    if (r.status !== 0) {
      spawnSync('umount', [at]);
      throw new Error(`mount ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    }
  }
}

describe('sidecar layout: the daemon and a platform sharing the modules folder', () => {
  it('the platform never sees a partial or mixed tree during 50 switches', async (t) => {
    const p = await buildPlatform(scratch(t, 'sidecar'), { shop: V1 });
    const lockV1 = p.readLock();
    p.writeModule('shop', V2);
    await p.release(['shop']);
    const lockV2 = p.readLock();
    expect(lockV2).not.toBe(lockV1);
    p.writeLock(lockV1);
    const remote = await serveRepo(p);
    t.onTestFinished(() => remote.close());
    const d = await startDaemon(p, { repo: remote.url });
    t.onTestFinished(async () => {
      await d.stop('SIGKILL');
    });
    await d.until('first sync', (s) => s.appliedCommit !== undefined && s.modules[0]?.deployed === '1.0.0');
    expect((await d.get('/readyz?synced')).status).toBe(200);

    // The platform's view: the same folder at another path, read-only. The links are relative, so they resolve there.
    const app = join(p.root, 'app', 'modules');
    bindReadOnly(p.target, app);
    try {
      const reader = writeReader(p.root);
      const stop = join(p.root, 'reader.stop');
      const result = join(p.root, 'reader.json');
      const child = spawn(process.execPath, [reader, 'loop', join(app, 'shop'), stop, result], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      t.onTestFinished(() => {
        if (child.exitCode === null) child.kill('SIGKILL');
      });

      for (let i = 1; i <= SWITCHES; i++) {
        const to = i % 2 === 1 ? '2.0.0' : '1.0.0';
        p.writeLock(to === '2.0.0' ? lockV2 : lockV1);
        const commit = remote.push(`shop ${to} (switch ${i})`);
        // POST /reconcile: a run at once (webhooks less than a second apart are coalesced into one run per second).
        expect((await d.post('/reconcile', '', { authorization: `Bearer ${SECRETS.api}` })).status).toBe(202);
        const s = await d.until(`switch ${i} to ${to}`, (x) => x.appliedCommit === commit, DEADLINE_MS);
        expect(s.modules.find((m) => m.name === 'shop')?.deployed).toBe(to);
      }
      writeFileSync(stop, '');
      expect(await exited).toBe(0);
      const r = JSON.parse(readFileSync(result, 'utf8')) as ReaderResult;

      expect(r.errors).toEqual([]);
      expect(r.observations).toBeGreaterThanOrEqual(SWITCHES);
      expect(Object.keys(r.versions).sort()).toEqual(['1.0.0', '2.0.0']);
      // It read on through the switches and saw the version change (how often depends on scheduling: on a loaded
      // machine the reader may sleep through many switches, so no count above one is asserted).
      expect(r.transitions).toBeGreaterThanOrEqual(1);
      // Every tree the platform read was a store tree on its own mount, never ringlock's path.
      for (const tree of r.resolvedTo)
        expect(tree.startsWith(`${realpathSync(app)}${sep}.ringlock${sep}store${sep}shop${sep}`), tree).toBe(
          true,
        );
      const history = p.history().filter((h) => h.module === 'shop' && h.outcome === 'succeeded');
      expect(history.length).toBe(SWITCHES + 1);
    } finally {
      if (spawnSync('umount', [app]).status !== 0) spawnSync('umount', ['-l', app]);
    }
    expect(await d.stop()).toEqual({ code: 0, signal: null });
    await expectConsistent(p);
  });

  it('/readyz?synced: 503 until a pass applied the whole lock, while /readyz is 200 already', async (t) => {
    const p = await buildPlatform(scratch(t, 'sidecar-synced'), { shop: V1, cart: { version: '1.0.0' } });
    const artifact = join(p.registry, 'cart', '1.0.0');
    renameSync(artifact, `${artifact}.away`);
    const remote = await serveRepo(p);
    t.onTestFinished(() => remote.close());
    const d = await startDaemon(p, { repo: remote.url, schedule: '*/1 * * * * *' });
    t.onTestFinished(async () => {
      await d.stop('SIGKILL');
    });
    // The first pass ran (shop installed) but cart failed: ready, yet the target does not match the lock.
    await d.until('a pass with cart failing', (s) =>
      s.modules.some((m) => m.name === 'cart' && m.retryAt !== undefined),
    );
    expect((await d.status()).modules.find((m) => m.name === 'shop')?.deployed).toBe('1.0.0');
    expect((await d.get('/readyz')).status).toBe(200);
    const early = await d.get('/readyz?synced');
    expect(early.status).toBe(503);
    expect(early.text).toMatch(/not synced/);
    renameSync(`${artifact}.away`, artifact);
    await d.until('cart retried and applied', (s) => s.appliedCommit !== undefined, DEADLINE_MS);
    const synced = await d.get('/readyz?synced');
    expect(synced).toEqual({ status: 200, text: 'synced\n' });
    expect(existsSync(join(p.target, 'cart'))).toBe(true);
  });
});

describe('the platform stand-in’s judge', () => {
  /** A tree as ringlock's store holds it (the fixture's module.json, src/index.php and hook.sh beside the files). */
  function tree(root: string, name: string, version: string, files: Record<string, string>): string {
    const dir = join(root, name);
    for (const [rel, text] of Object.entries({
      ...files,
      'module.json': JSON.stringify({ name: 'shop', version }),
      'src/index.php': `<?php // shop ${version}\n`,
      'hook.sh': '#!/bin/sh\n',
    })) {
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
    return dir;
  }

  it('passes a complete tree, and catches a missing file, an extra one and a file of the other version', async (t) => {
    const root = scratch(t, 'judge');
    const reader = writeReader(root);
    expect(await judgeOnce(reader, tree(root, 'whole', '2.0.0', V2.files))).toEqual({
      version: '2.0.0',
      files: 40,
    });

    const partial = { ...V2.files };
    delete partial['lib/part-035.txt'];
    expect((await judgeOnce(reader, tree(root, 'partial', '2.0.0', partial))).error).toMatch(
      /39 files, its manifest lists 40/,
    );
    const extra = { ...V1.files, 'lib/part-030.txt': V2.files['lib/part-030.txt']! };
    expect((await judgeOnce(reader, tree(root, 'extra', '1.0.0', extra))).error).toMatch(
      /29 files, its manifest lists 28/,
    );
    const mixed = { ...V2.files, 'lib/part-003.txt': V1.files['lib/part-003.txt']! };
    expect((await judgeOnce(reader, tree(root, 'mixed', '2.0.0', mixed))).error).toMatch(
      /lib\/part-003.txt carries @@1.0.0@@ in a tree of 2.0.0/,
    );
    // A file half rewritten (a copy in place caught in the middle): two markers.
    const torn = { ...V2.files, 'lib/part-010.txt': `@@1.0.0@@ part 10\n@@2.0.0@@\n` };
    expect((await judgeOnce(reader, tree(root, 'torn', '2.0.0', torn))).error).toMatch(
      /part-010.txt carries/,
    );
    const oldManifest = { ...V2.files, 'MANIFEST.txt': V1.files['MANIFEST.txt']! };
    expect((await judgeOnce(reader, tree(root, 'manifest', '2.0.0', oldManifest))).error).toMatch(
      /MANIFEST.txt is not of 2.0.0/,
    );
  });
});
