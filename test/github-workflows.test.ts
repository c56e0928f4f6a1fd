// Every workflow and action file against GitHub's published schemas (SchemaStore's, as @action-validator/core ships
// them), plus the rules a ringlock workflow must keep: pull_request only, least privilege, no PR values in scripts.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './helpers.js';
import { git, platformGitRepo } from './support/check-repo.js';

interface ValidationState {
  errors: unknown[];
}
const validator = createRequire(import.meta.url)('@action-validator/core') as {
  validateWorkflow(src: string): ValidationState;
  validateAction(src: string): ValidationState;
};

const workflowFiles = [
  ...readdirSync(join(REPO_ROOT, '.github/workflows')).map((f) => `.github/workflows/${f}`),
  ...readdirSync(join(REPO_ROOT, 'examples/github')).map((f) => `examples/github/${f}`),
].filter((f) => /\.ya?ml$/.test(f));

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML
type Y = any;
const load = (f: string): Y => parse(readFileSync(join(REPO_ROOT, f), 'utf8'));

describe('workflow and action files', () => {
  it.each(workflowFiles)('%s is a valid workflow', (f) => {
    expect(validator.validateWorkflow(readFileSync(join(REPO_ROOT, f), 'utf8')).errors).toEqual([]);
  });

  it('action.yml is a valid action', () => {
    expect(validator.validateAction(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')).errors).toEqual([]);
  });

  it('the schema check does catch a broken workflow', () => {
    const bad =
      'on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: x\n        permissions: {}\n';
    expect(validator.validateWorkflow(bad).errors.length).toBeGreaterThan(0);
  });

  it.each(workflowFiles)(
    '%s: read-only by default, no pull_request_target, no expressions in scripts',
    (f) => {
      const w = load(f);
      expect(Object.keys(w.on)).not.toContain('pull_request_target');
      expect(w.permissions).toEqual({ contents: 'read' });
      for (const job of Object.values<Y>(w.jobs))
        for (const step of job.steps ?? []) if (step.run) expect(step.run).not.toMatch(/\$\{\{/);
    },
  );

  it('ringlock-check.yml: pull_request, full history, write only on the commenting job', () => {
    const w = load('examples/github/ringlock-check.yml');
    expect(Object.keys(w.on)).toEqual(['pull_request']);
    expect(w.on.pull_request.types).toEqual(expect.arrayContaining(['labeled', 'unlabeled', 'synchronize']));
    for (const job of Object.values<Y>(w.jobs)) {
      const comments = job.steps.some((s: Y) => s.with?.comment === true);
      expect(job.permissions).toEqual(
        comments ? { contents: 'read', 'pull-requests': 'write' } : { contents: 'read' },
      );
      const checkout = job.steps.find((s: Y) => String(s.uses).startsWith('actions/checkout'));
      expect(checkout.with).toMatchObject({ 'fetch-depth': 0, 'persist-credentials': false });
    }
  });

  it('ringlock-promote.yml: schedule and workflow_dispatch running promote --auto', () => {
    const w = load('examples/github/ringlock-promote.yml');
    expect(Object.keys(w.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    const step = w.jobs.promote.steps.find((s: Y) => String(s.uses).includes('/ringlock@'));
    expect(step.with).toEqual({ command: 'promote', args: '--auto' });
  });

  it("action.yml's script takes its inputs as words from the environment, never as shell code", () => {
    const action = load('action.yml');
    const script: string = action.runs.steps.at(-1).run;
    expect(script).not.toMatch(/\$\{\{/);
    const repo = platformGitRepo();
    const marker = join(repo.dir, 'pwned');
    const r = spawnSync('bash', ['-c', script], {
      cwd: repo.dir,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: repo.dir,
        RL_COMMAND: 'check',
        RL_COMMENT: 'false',
        RL_ARGS: `--base HEAD --json $(touch ${marker}) ;touch ${marker}`,
        RL_BIN: join(REPO_ROOT, 'bin/ringlock.js'),
      },
    });
    // The words reach ringlock as arguments: it refuses the unexpected ones (exit 2) and nothing ran.
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout).error.message).toBe('check: unexpected argument "$(touch"');
    expect(spawnSync('test', ['-e', marker]).status).not.toBe(0);
    const ok = spawnSync('bash', ['-c', script], {
      cwd: repo.dir,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: repo.dir,
        RL_COMMAND: 'check',
        RL_COMMENT: 'false',
        RL_ARGS: '--base HEAD --json',
        RL_BIN: join(REPO_ROOT, 'bin/ringlock.js'),
      },
    });
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).head).toBe(git(repo.dir, ['rev-parse', 'HEAD']));
  });
});
