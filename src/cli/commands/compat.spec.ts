import { ring } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const compatSpec: CommandSpec = {
  name: 'compat',
  summary: 'platform and dependency compatibility of every module in a ring',
  description:
    'Prints module, constraint, platform and status for each ring (or the one given). A module whose dependency is missing,\n' +
    'incompatible or itself blocked is blocked, with the chain. Exit 1 when a module is incompatible or blocked;\n' +
    'with --strict also when a module has no platform constraint or its dependencies cannot be known.',
  options: {
    ring: ring('only this ring (default: every ring that has a lock)'),
    platform: {
      type: 'string',
      valueName: 'version',
      description: "evaluate against this platform version instead of each lock's",
    },
    strict: { type: 'boolean', description: 'fail on warnings too' },
  },
  positionals: [],
  examples: ['ringlock compat', 'ringlock compat --ring canary', 'ringlock compat --platform 3.0.0 --strict'],
  load: () => import('./compat.js'),
};
