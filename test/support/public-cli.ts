// A world-readable copy of the built CLI, for tests that run it as another user (uid 65534 when we are root): the
// checkout itself may sit in a private directory (mode 0700) that user cannot enter. The bundle in dist/ needs only
// Node's built-ins, so bin/, dist/, schemas/ and package.json are all it takes. One copy per test process.
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers.js';

let copy: { root: string; bin: string } | undefined;

/** The copy's root (cwd for the runs) and its bin/ringlock.js; every directory 755 and every file 644 (bin 755). */
export function publicCli(): { root: string; bin: string } {
  if (copy) return copy;
  const root = mkdtempSync(join(tmpdir(), 'ringlock-public-cli-'));
  for (const part of ['bin', 'dist', 'schemas', 'package.json'])
    cpSync(join(REPO_ROOT, part), join(root, part), {
      recursive: true,
      filter: (src) => !src.endsWith('.map'),
    });
  chmodTree(root);
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  copy = { root, bin: join(root, 'bin', 'ringlock.js') };
  return copy;
}

function chmodTree(dir: string): void {
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const abs = join(dir, e.name);
    if (e.isDirectory()) chmodTree(abs);
    else if (e.isFile()) chmodSync(abs, abs.endsWith('.js') && abs.includes('/bin/') ? 0o755 : 0o644);
  }
}
