import type { CommandSpec } from '../spec-types.js';

export const hashSpec: CommandSpec = {
  name: 'hash',
  summary: 'print the content hash of a directory',
  description:
    'Prints the content hash (sha256:<hex>) of a module tree, exactly as the lock records it. --manifest prints the per-entry\n' +
    'lines the hash is computed over ("<sha256> <mode> <path>"), which is how to find which file differs between two trees.',
  options: { manifest: { type: 'boolean', description: 'print the entry lines the hash covers' } },
  positionals: [{ name: 'dir', required: true, description: 'the directory to hash' }],
  examples: ['ringlock hash modules/orders', 'ringlock hash modules/orders --manifest'],
  load: () => import('./hash.js'),
};
