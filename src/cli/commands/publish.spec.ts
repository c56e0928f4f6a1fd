import { OPERATOR_CONFIG, ring } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const publishSpec: CommandSpec = {
  name: 'publish',
  summary: 'pack modules into the registry and record their integrity in a ring lock',
  description:
    'For each named module (with no names, or --all: every pin whose source is at the pinned version): pack it, check that the packed tree has\n' +
    'the content hash the lock pins, put the artifact in the registry (immutable: the same version with other bytes is\n' +
    'refused), and write integrity and artifact into the ring lock.',
  options: {
    ring: ring('the ring lock to record into (default: the ring that tracks the sources)'),
    all: {
      type: 'boolean',
      description: 'every pin of the ring whose source holds the pinned version (the default with no names)',
    },
    registry: {
      type: 'string',
      valueName: 'url',
      description: 'artifact registry: a directory, file://… or https://… (env RINGLOCK_REGISTRY)',
    },
    'operator-config': OPERATOR_CONFIG,
  },
  positionals: [{ name: 'module', required: false, description: 'the module(s) to publish', variadic: true }],
  examples: [
    'ringlock publish --ring canary',
    'ringlock publish orders --registry https://artifacts.example.com/ringlock',
  ],
  load: () => import('./publish.js'),
};
