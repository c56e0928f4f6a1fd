import { REASON, RUNTIME, ring, WRITE } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const installSpec: CommandSpec = {
  name: 'install',
  summary: 'install one module version a ring lock pins',
  description:
    'Installs <module>@<version> through the same verified path as apply. Refused when another version is installed (use upgrade or rollback). Recorded as imperative: plan then shows the target diverging from the lock. Asks on a terminal; elsewhere --yes is required.',
  options: {
    ring: ring("the ring whose platform and pins to use (default: the target's ring)"),
    force: { type: 'boolean', description: 'reinstall even when installed' },
    adopt: {
      type: 'boolean',
      description:
        "move what ringlock did not create at a module's path to .ringlock/adopted/ instead of blocking",
    },
    yes: { type: 'boolean', short: 'y', description: 'install without asking (required off a terminal)' },
    reason: REASON,
    ...WRITE,
    ...RUNTIME,
  },
  positionals: [{ name: 'module@version', required: true, description: 'e.g. orders@1.5.0' }],
  examples: ['ringlock install orders@1.5.0'],
  load: () => import('./install.js'),
};
