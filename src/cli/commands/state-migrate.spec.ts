import { ring } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const stateMigrateSpec: CommandSpec = {
  name: 'state migrate',
  summary: "copy a target's file state and history into the PostgreSQL store",
  description:
    "Copies a target's file state (state.json with its quarantine, history.jsonl, a suspension) into the PostgreSQL\n" +
    "store of its ring (RINGLOCK_DATABASE_URL, RINGLOCK_STATE_SCHEMA). <dir> is the target's state dir (.ringlock) or\n" +
    'the target itself. Idempotent: each history record is inserted once (by id), and a second run prints "already\n' +
    'migrated" and changes nothing. The state is written under the ring\'s writer lease, then the counts are verified\n' +
    '(records, modules, quarantine). Refuses (exit 2, nothing written) while an operation is in flight (journal.json:\n' +
    "recover first with ringlock apply on the file store), on a corrupt file (named), while a daemon holds the ring's\n" +
    "lease, and when the database holds another state for the ring, unless --force (the database's state is replaced;\n" +
    'history is only ever added to). Exit 3 when the database is unreachable or the counts differ after the copy.',
  options: {
    from: {
      type: 'string',
      valueName: 'file:dir',
      description: "the target's state: file:<.ringlock dir or target>",
    },
    to: {
      type: 'string',
      valueName: 'store',
      description: 'where to: postgres (the only store to migrate to)',
    },
    ring: ring("the ring the state is of (default: the state's own ring, else RING_NAME)"),
    force: {
      type: 'boolean',
      description: 'replace a different state the database holds for the ring (history is only added to)',
    },
  },
  positionals: [],
  examples: [
    'RINGLOCK_DATABASE_URL=postgres://ringlock@db/platform ringlock state migrate --from file:/srv/app/modules --to postgres',
    'ringlock state migrate --from file:/srv/app/modules/.ringlock --to postgres --ring canary --json',
  ],
  load: () => import('./state-migrate.js'),
};
