import type { CommandSpec } from '../spec-types.js';

export const ringShowSpec: CommandSpec = {
  name: 'ring show',
  summary: "one ring's policy, modules and tenants",
  description:
    "Shows a ring's policy and lock summary; --modules lists its pinned modules, --tenants its tenants (both by default).",
  options: {
    modules: { type: 'boolean', description: 'list the modules pinned in the ring' },
    tenants: { type: 'boolean', description: 'list the tenants assigned to the ring' },
    verbose: {
      type: 'boolean',
      short: 'v',
      description:
        "with the modules, each one's platform fields (its manifest's own data: permissions, route, alias…)",
    },
  },
  positionals: [{ name: 'ring', required: true, description: 'the ring to show' }],
  examples: [
    'ringlock ring show stable',
    'ringlock ring show canary --tenants',
    'ringlock ring show canary --modules -v',
  ],
  load: () => import('./ring-show.js'),
};
