import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The slowest files, longest first (measured on a 2-core machine with three files at once). Starting them first keeps
// one long file from running alone at the end; the rest follow in vitest's own order (earlier durations if it has
// them, else size).
const SLOW_FIRST = [
  'test/cli-bad-input.test.ts',
  'test/promote.test.ts',
  'test/apply-crash.test.ts',
  'test/apply-faults.test.ts',
  'test/daemon-e2e.test.ts',
  'test/apply-e2e.test.ts',
  'test/check-guards.test.ts',
  'test/daemon-webhook-guard.test.ts',
  'test/check.test.ts',
  'test/cli.test.ts',
  'test/git-source.test.ts',
  'test/github-deployments.test.ts',
];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.indexOf(relative(f.project.config.root, f.moduleId).replaceAll('\\', '/'));
      return i === -1 ? SLOW_FIRST.length : i;
    };
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Most of the suite waits on child processes (the CLI, git, hooks, health checks) rather than using a CPU, so
    // more files run at once than there are cores (vitest's default is one less than the cores: 1 on 2 cores). Three
    // on two cores (more on a bigger machine): several files also run their own tests concurrently, and a fourth worker
    // on two cores adds time-outs, not speed.
    maxWorkers: Math.max(3, availableParallelism()),
    sequence: { sequencer: SlowFirst },
    // Generous: with files overlapping, a test that takes 10 s alone can take three times that on a loaded machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
