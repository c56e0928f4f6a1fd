// The entry file of a bundle: what the pointer's versioned entry URL names, from the module's manifest.
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const MANIFESTS = ['module.manifest.json', 'module.json'];

/** The entry file of the bundle at `dir`: the manifest's `entry` (its last path segment), default remoteEntry.js. */
export function entryIn(dir: string): { name: string; from?: string } {
  for (const f of MANIFESTS) {
    const p = join(dir, f);
    if (!existsSync(p)) continue;
    try {
      if (lstatSync(p).size > 64 * 1024) break;
      const entry = (JSON.parse(readFileSync(p, 'utf8')) as { entry?: unknown }).entry;
      if (typeof entry !== 'string') break;
      const name = entry
        .split(/[/?#]/)
        .filter((x) => x !== '')
        .pop();
      if (name !== undefined && /^[A-Za-z0-9._-]+$/.test(name) && name !== '..') return { name, from: entry };
    } catch {
      // unreadable manifest: the default
    }
    break;
  }
  return { name: 'remoteEntry.js' };
}

/** The manifest's absolute `healthCheck.http.url`, if it names one (a pointer target probes only through the platform). */
export function healthUrlIn(dir: string): string | undefined {
  for (const f of MANIFESTS) {
    const p = join(dir, f);
    if (!existsSync(p)) continue;
    try {
      if (lstatSync(p).size > 64 * 1024) return undefined;
      const hc = (JSON.parse(readFileSync(p, 'utf8')) as { healthCheck?: { http?: { url?: unknown } } })
        .healthCheck;
      const url = hc?.http?.url;
      return typeof url === 'string' ? url : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
