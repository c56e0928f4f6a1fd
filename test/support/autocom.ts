// AutoCom locks as their documentation gives them (shared/platform-formats.md section A), and a platform to import
// them into, for the import tests.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RingLock } from '../../src/model/types.js';
import { platformRepo, writeTree } from '../helpers.js';

export const HASH = 'sha256:9ad8f12909c541c029379df6307bfd534a3e4859e6f6370618449979a314b635';

/** An AutoCom lock entry. */
export const entry = (version: string, alias: string, extra: Record<string, unknown> = {}) => ({
  version,
  source: `gitlab:autocommerce/modules/${alias}`,
  artifact: null,
  sha256: HASH,
  file_count: 405,
  size_bytes: 1834521,
  released_at: null,
  ...extra,
});

export const autocomLock = (modules: Record<string, unknown>, top: Record<string, unknown> = {}) =>
  `${JSON.stringify(
    {
      $schema: './manifest.lock.schema.json',
      platform: '2.0.0',
      generated_at: '2026-04-12T19:54:19+00:00',
      modules,
      ...top,
    },
    null,
    2,
  )}\n`;

/** A platform with orders 1.0.0 and catalog 1.2.0, its manifest.lock.json, and AutoCom's lock folder inside the modules folder. */
export function autocomRepo(
  lock: string = autocomLock({ orders: entry('1.0.0', 'orders'), catalog: entry('1.2.0', 'catalog') }),
): string {
  const dir = platformRepo({ orders: { version: '1.0.0' }, catalog: { version: '1.2.0' } });
  writeFileSync(join(dir, 'manifest.lock.json'), lock);
  // AutoCom's per-ring locks sit inside the modules folder: a folder of locks, not a module.
  writeTree(dir, { 'modules/manifests/canary.lock.json': lock });
  return dir;
}

export const readLock = (dir: string, ring: string): RingLock =>
  JSON.parse(readFileSync(join(dir, 'rings', `${ring}.lock.json`), 'utf8'));
export const ringFiles = (dir: string): string[] =>
  existsSync(join(dir, 'rings')) ? readdirSync(join(dir, 'rings')).sort() : [];
/** 1-based line of the first line containing `needle`. */
export const lineOf = (text: string, needle: string): number =>
  text.split('\n').findIndex((l) => l.includes(needle)) + 1;
