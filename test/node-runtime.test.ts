// Which Node.js runs the suite. .ci/run runs a smoke subset under each supported major fetched from the registry
// (scripts/node-runtime.sh) and sets RINGLOCK_EXPECT_NODE to that major, so a run that silently fell back to the
// machine's Node fails here instead of passing on the wrong runtime.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers.js';

const major = (v: string) => v.replace(/^v/, '').split('.')[0];
const engines = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }
).engines.node;

describe('node runtime', () => {
  it('is the major .ci/run asked for, and the CLI children run on it too', () => {
    const expected = process.env.RINGLOCK_EXPECT_NODE ?? major(process.version);
    expect(major(process.version)).toBe(expected);
    // test/helpers.ts cli() spawns process.execPath: the same binary as this worker.
    const child = spawnSync(process.execPath, ['-p', 'process.version'], { encoding: 'utf8' });
    expect(child.stdout.trim()).toBe(process.version);
    console.log(`node ${process.version} (${process.execPath})`);
  });

  it('a supported major satisfies package.json engines', () => {
    for (const v of ['22.12.0', '24.0.0'])
      expect(semver.satisfies(v, engines), `${v} vs ${engines}`).toBe(true);
    expect(semver.satisfies('20.19.0', engines), `20 is end of life: ${engines}`).toBe(false);
    if (process.env.RINGLOCK_EXPECT_NODE) expect(semver.satisfies(process.version, engines)).toBe(true);
  });
});
