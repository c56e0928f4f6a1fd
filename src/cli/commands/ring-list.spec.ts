import type { CommandSpec } from '../spec-types.js';

export const ringListSpec: CommandSpec = {
  name: 'ring list',
  summary: 'rings in promotion order with module and tenant counts',
  description:
    'Lists the rings from ringlock.yaml in promotion order, with their policies, platform, module and tenant counts.',
  options: {},
  positionals: [],
  examples: ['ringlock ring list', 'ringlock ring list --json'],
  load: () => import('./ring-list.js'),
};
