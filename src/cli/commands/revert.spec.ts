import { PUBLISH, ring } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const revertSpec: CommandSpec = {
  name: 'revert',
  summary: 'roll a module back to an earlier pin of a ring, by pull request',
  description:
    "Puts back an earlier pin of the module from the ring lock's own git history on the default branch (default: the previous\n" +
    'distinct version; --to a version the ring pinned before), on a branch ringlock/revert/<ring>/<module>-<version>, and opens\n' +
    'a pull request labelled ringlock:rollback with the reason. Refused when modules of the ring need the newer version.',
  options: {
    ring: ring('the ring to roll back in'),
    to: {
      type: 'string',
      valueName: 'version',
      description: 'the version to go back to (default: the previous one)',
    },
    reason: {
      type: 'string',
      valueName: 'text',
      description: 'why (required; goes into the commit and pull request)',
    },
    ...PUBLISH,
  },
  positionals: [{ name: 'module', required: true, description: 'the module' }],
  examples: [
    'ringlock revert orders --ring stable --reason "checkout errors since 1.5.0"',
    'ringlock revert orders --ring edge --to 1.4.0 --reason "…" --dry-run',
  ],
  load: () => import('./revert.js'),
};
