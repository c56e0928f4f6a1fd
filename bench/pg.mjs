// The benches' PostgreSQL server: the tests' own starter (test/support/postgres.ts: Debian's server binaries, a temp
// data dir, a random port on 127.0.0.1, as the postgres user when root), bundled with esbuild and imported, so the
// project has one way to start a server. Durable: fsync and synchronous_commit on, as a production server runs.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, WORK } from './lib.mjs';

let loaded;

function support() {
  loaded ??= (async () => {
    const out = join(WORK, 'pg.bundle.mjs');
    mkdirSync(WORK, { recursive: true });
    await createRequire(join(ROOT, 'package.json'))('esbuild').build({
      stdin: {
        contents: "export { pgBinDir, startPostgres } from './test/support/postgres.ts';",
        resolveDir: ROOT,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile: out,
      logLevel: 'warning',
    });
    return import(`${pathToFileURL(out).href}?t=${Date.now()}`);
  })();
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
