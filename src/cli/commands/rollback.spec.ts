import { REASON, RUNTIME, ring, WRITE } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const rollbackSpec: CommandSpec = {
  name: 'rollback',
  summary: 'switch one module back to an earlier version',
  description:
    'Switches back to the previous version (or --to a version this target ran before), straight from the store: no download. Recorded as imperative. Asks on a terminal; elsewhere --yes is required.',
  options: {
    to: {
      type: 'string',
      valueName: 'version',
      description: 'the version to go back to (default: the previous one)',
    },
    ring: ring("the ring whose platform to use (default: the target's ring)"),
    force: { type: 'boolean', description: 'allow a version that is not older' },
    yes: { type: 'boolean', short: 'y', description: 'roll back without asking (required off a terminal)' },
    reason: REASON,
    ...WRITE,
    ...RUNTIME,
  },
  positionals: [{ name: 'module', required: true, description: 'the module' }],
  examples: ['ringlock rollback orders', 'ringlock rollback orders --to 1.4.0'],
  load: () => import('./rollback.js'),
};
