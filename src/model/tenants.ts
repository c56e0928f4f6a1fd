// rings/tenants.yaml read from any file source (the daemon reads it at a commit): tenant → ring, validated.
import { InputError } from '../errors.js';
import type { LoadedConfig } from './config.js';
import { type Reading, readText } from './file-source.js';
import { throwIfErrors } from './manifest.js';
import { validateSchema } from './schema.js';
import { diagAt } from './semantics.js';
import { parseSource } from './source.js';
import type { TenantsFile } from './types.js';

/**
 * tenant → ring from the tenants file at `file` (its path as the source names it); empty when the default file is
 * absent, an error when ringlock.yaml names one that is. Every ring named must exist.
 */
export function* readTenants(file: string, config: LoadedConfig): Reading<Record<string, string>> {
  const text = yield* readText(file, { what: 'tenants file', maxBytes: 4 * 1024 * 1024 });
  if (text === undefined) {
    if (config.config.locks?.tenants === undefined) return {};
    throw new InputError('config/tenants', `tenants file ${file} not found`, {
      file: config.file,
      ...config.doc.locate('/locks/tenants'),
      expected: 'locks.tenants to name an existing file (or leave it out)',
    });
  }
  const doc = parseSource(file, text);
  const diags = validateSchema('tenants', doc);
  if (diags.length === 0) {
    const known = new Set(config.rings.map((r) => r.name));
    for (const [tenant, ring] of Object.entries((doc.value as TenantsFile).tenants))
      if (!known.has(ring))
        diags.push(
          diagAt(
            doc,
            `/tenants/${tenant}`,
            'tenants/unknown-ring',
            `tenant "${tenant}" is assigned to unknown ring "${ring}"`,
            `one of: ${[...known].join(', ')}`,
          ),
        );
  }
  throwIfErrors(diags);
  return (doc.value as TenantsFile).tenants;
}

/** The tenants `tenants` assigns to `ring`, sorted. */
export function tenantsOf(tenants: Record<string, string>, ring: string): string[] {
  return Object.entries(tenants)
    .filter(([, r]) => r === ring)
    .map(([t]) => t)
    .sort();
}
