// A world-readable copy of the built CLI, for tests that run it as another user (uid 65534 when we are root): the
// checkout itself may sit in a private directory (mode 0700) that user cannot enter. The bundle in dist/ needs only
// Node's built-ins, so bin/, dist/, schemas/ and package.json are all it takes. One copy per test run: made by
// global-setup.ts before the first file, removed after the last; tests find it with publicCli().
import { chmodSync, cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export interface PublicCli {
  /** The copy's root (cwd for the runs). */
  root: string;
  /** Its bin/ringlock.js. */
  bin: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    publicCli: PublicCli;
  }
}

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Copies the CLI into a fresh temp dir: every directory 755, every file 644 (the bin script 755). */
export function makePublicCli(): PublicCli {
  const root = mkdtempSync(join(tmpdir(), 'ringlock-public-cli-'));
  for (const part of ['bin', 'dist', 'schemas', 'package.json'])
    cpSync(join(REPO_ROOT, part), join(root, part), {
      recursive: true,
      filter: (src) => !src.endsWith('.map'),
    });
  chmodTree(root, root);
  return { root, bin: join(root, 'bin', 'ringlock.js') };
}

/** The run's copy (see global-setup.ts). */
export function publicCli(): PublicCli {
  return inject('publicCli');
}

function chmodTree(root: string, dir: string): void {
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const abs = join(dir, e.name);
    if (e.isDirectory()) chmodTree(root, abs);
    else if (e.isFile()) {
      const inBin = relative(root, abs).split(sep)[0] === 'bin';
      chmodSync(abs, inBin && abs.endsWith('.js') ? 0o755 : 0o644);
    }
  }
}
