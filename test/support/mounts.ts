// Real mounts for the file-system tests (they run as root): an overlay whose lower layer holds a target, and tmpfs
// mounts for a store on another device. Every mount is undone by the caller (unmountAll), lazily when busy.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';

const mounted: string[] = [];

function run(args: string[]): void {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
}

/**
 * Moves the directory `dir` into `<layers>/lower` and mounts an overlay at `dir` with it as the lower layer: what was
 * there is still visible, but renaming a directory that lives in the lower layer fails with EXDEV.
 */
export function overlayOver(dir: string, layers: string): void {
  const lower = join(layers, 'lower');
  mkdirSync(layers, { recursive: true });
  renameSync(dir, lower);
  for (const d of ['upper', 'work']) mkdirSync(join(layers, d), { recursive: true });
  mkdirSync(dir);
  run([
    'mount',
    '-t',
    'overlay',
    'overlay',
    '-o',
    `lowerdir=${lower},upperdir=${join(layers, 'upper')},workdir=${join(layers, 'work')}`,
    dir,
  ]);
  mounted.push(dir);
}

/** Mounts a fresh tmpfs at `dir` (created if missing). */
export function tmpfsAt(dir: string): void {
  mkdirSync(dir, { recursive: true });
  run(['mount', '-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', dir]);
  mounted.push(dir);
}

/** Unmounts everything mounted here, newest first; a busy mount is detached lazily (umount -l). */
export function unmountAll(): void {
  while (mounted.length > 0) {
    const d = mounted.pop()!;
    const r = spawnSync('umount', [d]);
    if (r.status !== 0) spawnSync('umount', ['-l', d]);
  }
}
