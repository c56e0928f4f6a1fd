// Built once per test run, before the first file, and removed after the last: what several files share and no test
// changes. Today: the world-readable copy of the CLI (public-cli.ts), and one real PostgreSQL server (postgres.ts) in
// which each test keeps its state in a schema of its own (tests that stop or restart a server start their own).
import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres.js';
import { makePublicCli } from './public-cli.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared test server's URL (superuser on loopback; each test makes its own schema). */
    pgUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const copy = makePublicCli();
  project.provide('publicCli', copy);
  const pg = await startPostgres();
  project.provide('pgUrl', pg.url);
  return async () => {
    rmSync(copy.root, { recursive: true, force: true });
    await pg.destroy();
  };
}
