import { REASON, RUNTIME, ring, WRITE } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const upgradeSpec: CommandSpec = {
  name: 'upgrade',
  summary: 'upgrade one installed module',
  description:
    "Moves an installed module to a newer version that a ring lock pins. Refused (exit 1, nothing changed) when the new version's dependencies are not met, as plan checks them, or when an installed module depending on it would no longer be in range (named). Recorded as imperative. Asks on a terminal; elsewhere --yes is required.",
  options: {
    to: { type: 'string', valueName: 'version', description: 'the version to upgrade to' },
    ring: ring("the ring whose platform and pins to use (default: the target's ring)"),
    force: { type: 'boolean', description: 'allow a version that is not newer' },
    'with-deps': {
      type: 'boolean',
      description:
        "first install the missing dependencies, in dependency order, each at a version a ring lock pins (the target's ring first)",
    },
    yes: { type: 'boolean', short: 'y', description: 'upgrade without asking (required off a terminal)' },
    reason: REASON,
    ...WRITE,
    ...RUNTIME,
  },
  positionals: [{ name: 'module', required: true, description: 'the module' }],
  examples: ['ringlock upgrade orders --to 1.5.0'],
  load: () => import('./upgrade.js'),
};
