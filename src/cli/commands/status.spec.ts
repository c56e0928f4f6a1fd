import type { CommandSpec } from '../spec-types.js';

export const statusSpec: CommandSpec = {
  name: 'status',
  summary: 'the fleet: every ring × module in the shared PostgreSQL store',
  description:
    'Reads the shared state (RINGLOCK_DATABASE_URL; schema RINGLOCK_STATE_SCHEMA, default ringlock) and prints the rings\n' +
    '(lock commit, writer, suspension), a modules × rings table of versions with marks (failed, rolled_back, disabled,\n' +
    'blocked, quarantined, in flight), and the cells that need attention with since, actor, lock commit and why (every\n' +
    "cell with --ring or --module). Inside a workspace the columns follow ringlock.yaml's rings and each ring's lock is\n" +
    'compared with what runs: pending marks a lock pinning another version, or a module not deployed yet.\n' +
    "--history M: the module's timeline across rings, newest first. Read-only: a role with SELECT on the schema will do.",
  options: {
    ring: { type: 'string', valueName: 'ring', description: 'only this ring' },
    module: { type: 'string', valueName: 'module', description: 'only this module' },
    history: {
      type: 'string',
      valueName: 'module',
      description: "the module's history across rings (with --ring: in that ring)",
    },
    limit: {
      type: 'string',
      valueName: 'n',
      description: 'with --history: the newest n records (default 50)',
    },
    before: {
      type: 'string',
      valueName: 'seq',
      description: 'with --history: the page older than this record (the last page said which)',
    },
  },
  positionals: [],
  examples: [
    'ringlock status',
    'ringlock status --module orders',
    'ringlock status --history orders --limit 20 --json',
  ],
  load: () => import('./status.js'),
};
