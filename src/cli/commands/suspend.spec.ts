import { RUNTIME, ring } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const suspendSpec: CommandSpec = {
  name: 'suspend',
  summary: "stop the ring's daemon from applying anything",
  description:
    'Writes <state>/suspended.json: the daemon keeps fetching, reports drift and pending changes in /status, and applies\n' +
    'nothing until "ringlock resume". Takes effect at the next tick; an operation already running finishes.',
  options: {
    ring: ring('the ring being suspended'),
    reason: { type: 'string', valueName: 'text', description: 'why (shown in status)' },
    ...RUNTIME,
  },
  positionals: [],
  examples: ['ringlock suspend --ring stable --reason "incident 4711"', 'ringlock resume --ring stable'],
  load: () => import('./suspend.js'),
};
