import { RUNTIME, ring } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const historySpec: CommandSpec = {
  name: 'history',
  summary: "the target's audit history",
  description:
    'One record per operation: module, op, from → to, outcome, actor, times, error; below the table the reason (--reason,\n' +
    "or the daemon's commit subject), the changelog sections between the versions and the hooks run (exit, duration,\n" +
    'last output line). --json has every field. Answers "when did orders 1.4.2 ship, and why?".',
  options: {
    limit: { type: 'string', valueName: 'n', description: 'the last n records (default 50)' },
    ring: ring(
      "the ring whose state to read, with the PostgreSQL store (default: RING_NAME, else the config's only ring)",
    ),
    ...RUNTIME,
  },
  positionals: [{ name: 'module', required: false, description: 'only this module' }],
  examples: ['ringlock history', 'ringlock history orders --json', 'ringlock history --ring canary'],
  load: () => import('./history.js'),
};
