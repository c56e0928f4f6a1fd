// Built once per test run, before the first file, and removed after the last: what several files share and no test
// changes. Today: the world-readable copy of the CLI (public-cli.ts).
import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { makePublicCli } from './public-cli.js';

export default function setup(project: TestProject): () => void {
  const copy = makePublicCli();
  project.provide('publicCli', copy);
  return () => rmSync(copy.root, { recursive: true, force: true });
}
