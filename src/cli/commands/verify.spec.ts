import { ring } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const verifySpec: CommandSpec = {
  name: 'verify',
  summary: "check a module tree against a ring's lock",
  description:
    'On the source tree (default): the ring that tracks the sources must match exactly; in any other ring an entry pinning the\n' +
    "version the source holds must carry the source's content hash, and an older release is reported, not failed.\n" +
    "On a deployed tree (--dir, e.g. the platform's modules folder) every entry must match exactly: version, content hash,\n" +
    'platform constraint; a deployed module the lock does not name is drift; a deployed module whose dependency the tree\n' +
    'does not hold in range fails with its chain. Every failure is listed. Exit 1 on any failure.',
  options: {
    ring: ring('the ring whose lock to verify against (default: the ring that tracks the sources)'),
    dir: {
      type: 'string',
      valueName: 'dir',
      description: 'a deployed modules directory to verify instead of the sources',
    },
    target: {
      type: 'boolean',
      description:
        'verify the deployment target instead (config target / RINGLOCK_TARGET): what is deployed and its stored trees or bundles (a pointer target: the storage and the Redis pointer) against the lock',
    },
  },
  positionals: [],
  examples: [
    'ringlock verify',
    'ringlock verify --ring stable',
    'ringlock verify --ring stable --dir /srv/app/modules',
    'ringlock verify --ring stable --target',
  ],
  load: () => import('./verify.js'),
};
