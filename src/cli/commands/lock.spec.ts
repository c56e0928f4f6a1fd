import { ring } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const lockSpec: CommandSpec = {
  name: 'lock',
  summary: "(re)write a ring's lock from the module sources",
  description:
    'Hashes every module source and writes rings/<ring>.lock.json byte-stable (sorted keys, 2-space indent, trailing newline), atomically.\n' +
    'The ring that tracks the sources (default) gets every module at its source version. Any other ring keeps its older\n' +
    'releases and only refreshes entries that pin the version the source holds; --module pins one module to its source version.\n' +
    'With --check nothing is written: exit 1 when the lock is stale, listing what differs.',
  options: {
    ring: ring('the ring to lock (default: the ring that tracks the sources)'),
    module: { type: 'string', valueName: 'name', description: 'only this module', multiple: true },
    check: { type: 'boolean', description: 'write nothing; exit 1 when the lock is stale' },
  },
  positionals: [],
  examples: ['ringlock lock', 'ringlock lock --check', 'ringlock lock --ring edge --module orders'],
  load: () => import('./lock.js'),
};
