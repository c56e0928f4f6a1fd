import { RUNTIME, ring } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const resumeSpec: CommandSpec = {
  name: 'resume',
  summary: "let the ring's daemon apply again",
  description:
    'Removes the suspension written by "ringlock suspend"; the daemon applies again at its next tick.',
  options: { ring: ring('the ring being resumed'), ...RUNTIME },
  positionals: [],
  examples: ['ringlock resume --ring stable'],
  load: () => import('./resume.js'),
};
