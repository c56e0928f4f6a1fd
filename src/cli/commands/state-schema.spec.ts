import type { CommandSpec } from '../spec-types.js';

export const stateSchemaSpec: CommandSpec = {
  name: 'state schema',
  summary: "the PostgreSQL store's schema version; --apply migrates it",
  description:
    "Prints the version of the PostgreSQL store's schema (RINGLOCK_DATABASE_URL, RINGLOCK_STATE_SCHEMA) and the newest\n" +
    'this ringlock knows, with the migrations still to apply; reads only. --apply applies them first, with the role of\n' +
    'the URL, in one transaction under an advisory lock: for operators whose runtime role may not CREATE, run it once as\n' +
    "the schema's owner (ringlock then starts with RINGLOCK_STATE_MIGRATE=false or a role that finds nothing to apply).\n" +
    'Exit 2 for a missing or bad URL or a schema newer than this ringlock, 3 when the database is unreachable or refuses.',
  options: {
    apply: {
      type: 'boolean',
      description: "apply the missing migrations (forward-only) with the URL's role",
    },
  },
  positionals: [],
  examples: [
    'ringlock state schema',
    'RINGLOCK_DATABASE_URL=postgres://owner@db/platform ringlock state schema --apply',
  ],
  load: () => import('./state-schema.js'),
};
