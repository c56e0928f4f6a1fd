// A target that ran on the file store may hold an operation cut short (its journal.json): only the file store recovers
// it. Whatever starts writing the target's state elsewhere (the PostgreSQL store, its daemon, the migration) refuses
// until it is recovered, or the operation would be lost.
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { FileStateStore } from './file-store.js';

/** Throws (exit 2, naming the file) while the file store at `stateDir` has an operation in flight. */
export function refuseFileInFlight(stateDir: string, who: string): void {
  const file = join(stateDir, 'journal.json');
  if (new FileStateStore(stateDir).readJournal())
    throw new InputError(
      'state/file-journal',
      `${file}: the file state shows an operation in flight; ${who} does not start on PostgreSQL before it is recovered`,
      {
        file,
        expected:
          'recover first: run ringlock apply with the file store (RINGLOCK_STATE_TYPE=file), or ringlock state migrate',
      },
    );
}
