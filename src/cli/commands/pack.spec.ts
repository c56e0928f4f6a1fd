import type { CommandSpec } from '../spec-types.js';

export const packSpec: CommandSpec = {
  name: 'pack',
  summary: 'build a reproducible artifact of a module',
  description:
    'Packs a module directory into <out>/<name>-<version>.tgz — the same tree always gives the same bytes (sorted entries,\n' +
    'fixed mtime, owner and modes) — plus a .sha256 sidecar (sha256sum -c) and MANIFEST.json (name, version, content hash,\n' +
    'file count, size, SRI integrity).',
  options: {
    out: { type: 'string', valueName: 'dir', description: 'where to write (default ./artifacts)' },
  },
  positionals: [
    { name: 'module-dir', required: true, description: 'the module directory (holding module.json)' },
  ],
  examples: [
    'ringlock pack examples/platform/modules/orders',
    'ringlock pack modules/orders --out /tmp/out --json',
  ],
  load: () => import('./pack.js'),
};
