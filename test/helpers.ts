// Test helpers: temp directory trees from inline objects, and running the real CLI.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(REPO_ROOT, 'bin', 'ringlock.js');

/** A file's content, or a symlink `{ symlink: target }`, or an executable `{ exec: content }`. */
export type TreeValue = string | Buffer | { symlink: string } | { exec: string };
export type Tree = Record<string, TreeValue>;

const created: string[] = [];
afterEach(() => {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Writes `tree` (paths → contents) into a fresh temp dir, removed after the test. */
export function testdir(tree: Tree = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'ringlock-test-'));
  created.push(root);
  writeTree(root, tree);
  return root;
}

export function writeTree(root: string, tree: Tree): void {
  for (const [rel, value] of Object.entries(tree)) {
    const abs = join(root, rel);
    mkdirSync(dirname(abs), { recursive: true });
    if (typeof value === 'string' || Buffer.isBuffer(value)) writeFileSync(abs, value);
    else if ('symlink' in value) symlinkSync(value.symlink, abs);
    else {
      writeFileSync(abs, value.exec);
      chmodSync(abs, 0o755);
    }
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (bin/ringlock.js → dist/) as a child process, as a user would. */
export function cli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; uid?: number; gid?: number; bin?: string } = {},
): CliResult {
  const r = spawnSync(process.execPath, [opts.bin ?? BIN, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env },
    encoding: 'utf8',
    timeout: 60_000,
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A module.json text. */
export function manifest(name: string, version: string, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ name, version, compatibility: { platform: '^2.0.0' }, ...extra }, null, 2)}\n`;
}

/** ringlock.yaml of the test platforms: canary → edge (24h) → stable (72h), platform version in VERSION. */
export const PLATFORM_CONFIG = `apiVersion: ringlock/v1
platform:
  versionFile: VERSION
modules:
  dir: modules
rings:
  - name: canary
    allowPrerelease: true
  - name: edge
    promoteFrom: canary
    minSoak: 24h
  - name: stable
    promoteFrom: edge
    minSoak: 72h
`;

/** A minimal platform repo: ringlock.yaml with canary/edge/stable, a VERSION, and the given modules. */
export function platformRepo(
  modules: Record<string, { version: string; extra?: Record<string, unknown>; files?: Tree }>,
  opts: { config?: string; platform?: string } = {},
): string {
  const tree: Tree = {
    'ringlock.yaml': opts.config ?? PLATFORM_CONFIG,
    VERSION: `${opts.platform ?? '2.0.0'}\n`,
  };
  for (const [name, m] of Object.entries(modules)) {
    tree[`modules/${name}/module.json`] = manifest(name, m.version, m.extra);
    for (const [rel, v] of Object.entries(m.files ?? { 'src/index.php': `<?php // ${name}\n` }))
      tree[`modules/${name}/${rel}`] = v;
  }
  return testdir(tree);
}
