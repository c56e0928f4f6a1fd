import { RUNTIME, ring } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const listSpec: CommandSpec = {
  name: 'list',
  summary: 'what is deployed on the target',
  description:
    'Lists each deployed module: version, status, content hash, previous version, origin (lock or imperative), since when; the modules the last plan blocked, with the reason and its chain; and the quarantine.',
  options: {
    ring: ring(
      "the ring whose state to read, with the PostgreSQL store (default: RING_NAME, else the config's only ring)",
    ),
    ...RUNTIME,
  },
  positionals: [],
  examples: [
    'ringlock list',
    'ringlock list --target /srv/app/modules --json',
    'ringlock list --ring canary',
  ],
  load: () => import('./list.js'),
};
