import { PUBLISH } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const ringAssignSpec: CommandSpec = {
  name: 'ring assign',
  summary: 'move a tenant to a ring, by pull request',
  description:
    "Sets the tenant's ring in rings/tenants.yaml as the remote's default branch has it (comments, order and layout kept),\n" +
    'commits that on a branch ringlock/tenants/<tenant>-<ring> and opens (or updates) a pull request with the reason.\n' +
    'Needs a token with contents: write and pull-requests: write (GITHUB_TOKEN, or promotion.github.tokenEnv).',
  options: {
    ...PUBLISH,
    reason: {
      type: 'string',
      valueName: 'text',
      description: 'why (required; goes into the pull request)',
    },
  },
  positionals: [
    { name: 'tenant', required: true, description: 'the tenant id' },
    { name: 'ring', required: true, description: 'the ring it moves to' },
  ],
  examples: [
    'ringlock ring assign northwind stable --reason "GA contract signed"',
    'ringlock ring assign beta-bakery canary --reason "opted in" --dry-run',
  ],
  load: () => import('./ring-assign.js'),
};
