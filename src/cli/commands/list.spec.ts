import { RUNTIME } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const listSpec: CommandSpec = {
  name: 'list',
  summary: 'what is deployed on the target',
  description:
    'Lists each deployed module: version, status, content hash, previous version, origin (lock or imperative), since when; the modules the last plan blocked, with the reason and its chain; and the quarantine.',
  options: { ...RUNTIME },
  positionals: [],
  examples: ['ringlock list', 'ringlock list --target /srv/app/modules --json'],
  load: () => import('./list.js'),
};
