import { REASON, RUNTIME, ring, WRITE } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const applySpec: CommandSpec = {
  name: 'apply',
  summary: "make the target match a ring's lock",
  description:
    'Recovers any operation a crash interrupted, plans, and applies module by module in dependency order: fetch (content-\n' +
    'addressed cache) → verify integrity → extract safely → check the content hash → compatibility → lifecycle hook →\n' +
    'atomic switch → health check → record. A failing health check switches back and quarantines that version.\n' +
    'Asks for confirmation on a terminal; elsewhere --yes is required. Exit 3 when a module failed or was rolled back.',
  options: {
    ring: ring('the ring (default: the ring that tracks the sources)'),
    'dry-run': { type: 'boolean', description: 'only print the plan' },
    yes: { type: 'boolean', short: 'y', description: 'apply without asking' },
    prune: { type: 'boolean', description: 'remove deployed modules the lock does not name' },
    concurrency: { type: 'string', valueName: 'n', description: 'downloads running ahead (default 4)' },
    'no-drift-check': { type: 'boolean', description: 'skip re-hashing the deployed trees' },
    adopt: {
      type: 'boolean',
      description:
        "move what ringlock did not create at a module's path to .ringlock/adopted/ instead of blocking",
    },
    reason: REASON,
    ...WRITE,
    ...RUNTIME,
  },
  positionals: [],
  examples: ['ringlock apply --ring canary --yes', 'ringlock apply --ring stable --dry-run'],
  load: () => import('./apply.js'),
};
