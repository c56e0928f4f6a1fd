import { RUNTIME, ring } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const planSpec: CommandSpec = {
  name: 'plan',
  summary: 'what apply would change on the target for a ring',
  description:
    "Reads the target's state, re-hashes every active version to find drift, and prints the ordered actions that would make\n" +
    "the target match the ring's lock: install, upgrade, rollback, reinstall, remove (with --prune), blocked (incompatible,\n" +
    'dependency missing or blocked, quarantined, or an unmanaged path: something ringlock did not create is at the\n' +
    "module's path; --adopt plans moving it aside), noop. Nothing is changed. Exits 0 whatever the plan holds; with\n" +
    '--exit-code, 1 when the target differs from the lock (like git diff --exit-code; 2 means a usage error here).',
  options: {
    ring: ring('the ring (default: the ring that tracks the sources)'),
    prune: { type: 'boolean', description: 'plan removals of deployed modules the lock does not name' },
    platform: {
      type: 'string',
      valueName: 'version',
      description: "plan against this platform version instead of the lock's",
    },
    'no-drift-check': { type: 'boolean', description: 'skip re-hashing the deployed trees' },
    adopt: {
      type: 'boolean',
      description:
        "move what ringlock did not create at a module's path to .ringlock/adopted/ instead of blocking",
    },
    verbose: { type: 'boolean', short: 'v', description: 'list unchanged modules too' },
    'exit-code': {
      type: 'boolean',
      description: 'exit 1 when the target differs from the lock (anything but noop), 0 when it matches',
    },
    ...RUNTIME,
  },
  positionals: [],
  examples: [
    'ringlock plan --ring canary',
    'ringlock plan --ring stable --exit-code || echo "the target diverged"',
    'ringlock plan --ring stable --target /srv/app/modules --json',
  ],
  load: () => import('./plan.js'),
};
