import { REASON, RUNTIME, ring, WRITE } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const installSpec: CommandSpec = {
  name: 'install',
  summary: 'install one module version a ring lock pins',
  description:
    'Installs <module>@<version> through the same verified path as apply. Refused when another version is installed (use upgrade or rollback), and (exit 1, nothing changed) when a dependency is missing, out of range or blocked, or the module does not fit the platform: the same check as plan, printed as its chain. Recorded as imperative: plan then shows the target diverging from the lock. Asks on a terminal; elsewhere --yes is required.',
  options: {
    ring: ring("the ring whose platform and pins to use (default: the target's ring)"),
    force: { type: 'boolean', description: 'reinstall even when installed' },
    adopt: {
      type: 'boolean',
      description:
        "move what ringlock did not create at a module's path to .ringlock/adopted/ instead of blocking",
    },
    'with-deps': {
      type: 'boolean',
      description:
        "first install the missing dependencies, in dependency order, each at a version a ring lock pins (the target's ring first)",
    },
    yes: { type: 'boolean', short: 'y', description: 'install without asking (required off a terminal)' },
    reason: REASON,
    ...WRITE,
    ...RUNTIME,
  },
  positionals: [{ name: 'module@version', required: true, description: 'e.g. orders@1.5.0' }],
  examples: ['ringlock install orders@1.5.0', 'ringlock install @acme/analytics@0.4.0 --with-deps'],
  load: () => import('./install.js'),
};
