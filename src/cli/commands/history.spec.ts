import { RUNTIME } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const historySpec: CommandSpec = {
  name: 'history',
  summary: "the target's audit history",
  description:
    'One record per operation: module, op, from → to, outcome, actor, times, error. Answers "when did orders 1.4.2 ship?".',
  options: {
    limit: { type: 'string', valueName: 'n', description: 'the last n records (default 50)' },
    ...RUNTIME,
  },
  positionals: [{ name: 'module', required: false, description: 'only this module' }],
  examples: ['ringlock history', 'ringlock history orders --json'],
  load: () => import('./history.js'),
};
