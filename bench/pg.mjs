// The benches' PostgreSQL server: the tests' own starter (test/support/postgres.ts: Debian's server binaries, a temp
// data dir, a random port on 127.0.0.1, as the postgres user when root), bundled with esbuild and imported, so the
// project has one way to start a server. Durable: fsync and synchronous_commit on, as a production server runs.
import { importTs } from './lib.mjs';

let loaded;

function support() {
  loaded ??= importTs('pg', ["export { pgBinDir, startPostgres } from './test/support/postgres.ts';"]);
  return loaded;
}

/** Whether the server binaries are here (else the PostgreSQL benches are skipped, saying why). */
export async function hasPostgres() {
  try {
    (await support()).pgBinDir();
    return true;
  } catch {
    return false;
  }
}

/** A new durable server with extra `settings` (name → value); `destroy()` stops it and removes its data. */
export async function startPostgres(settings = {}) {
  return (await support()).startPostgres({ durable: true, settings });
}
