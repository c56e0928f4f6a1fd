// Every workflow and action file against GitHub's published schemas (SchemaStore's, as @action-validator/core ships
// them), plus the rules a ringlock workflow must keep: pull_request only, least privilege, no PR values in scripts,
// third-party actions pinned by commit SHA. How the Action itself runs is test/action.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './helpers.js';

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
  ...readdirSync(join(REPO_ROOT, 'examples/workflows')).map((f) => `examples/workflows/${f}`),
].filter((f) => /\.ya?ml$/.test(f));

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML
type Y = any;
const load = (f: string): Y => parse(readFileSync(join(REPO_ROOT, f), 'utf8'));

describe('workflow and action files', () => {
  it.each(workflowFiles)('%s is a valid workflow', (f) => {
    expect(validator.validateWorkflow(readFileSync(join(REPO_ROOT, f), 'utf8')).errors).toEqual([]);
  });

  it('action.yml is a valid action', () => {
    const text = readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8');
    expect(load('action.yml').runs.using).toBe('node24');
    // The schema @action-validator/core ships predates node24 (GitHub runners run it since v2.327.1); the rest of the
    // file must pass as it stands.
    expect(validator.validateAction(text.replace('using: node24', 'using: node20')).errors).toEqual([]);
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

  it.each(workflowFiles)('%s: every action is pinned by full commit SHA, its version in a comment', (f) => {
    const uses = readFileSync(join(REPO_ROOT, f), 'utf8')
      .split('\n')
      .filter((l) => /^\s*(- )?uses:/.test(l));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) {
      // The ringlock Action itself is a placeholder (acme/ringlock): the copier pins their own fork.
      if (/uses: acme\/ringlock@v1$/.test(line)) continue;
      expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    }
  });

  it.each(workflowFiles)('%s: Node 24 where it sets up Node', (f) => {
    for (const job of Object.values<Y>(load(f).jobs))
      for (const step of job.steps ?? [])
        if (String(step.uses).startsWith('actions/setup-node')) {
          const v = String(step.with['node-version']);
          expect(v === '24' || (job.strategy?.matrix?.node ?? []).includes(24)).toBe(true);
        }
  });

  it('ringlock-check.yml: pull_request and merge_group, full history, write only on the commenting job', () => {
    const w = load('examples/github/ringlock-check.yml');
    expect(Object.keys(w.on)).toEqual(['pull_request', 'merge_group']);
    expect(w.on.pull_request.types).toEqual(expect.arrayContaining(['labeled', 'unlabeled', 'synchronize']));
    // Merge-queue runs have no pull-request number: they must not share (and cancel) one concurrency group.
    expect(w.concurrency.group).toContain('github.event.pull_request.number || github.ref');
    for (const job of Object.values<Y>(w.jobs)) {
      const step = job.steps.find((s: Y) => String(s.uses).includes('/ringlock@'));
      // A merge-queue run has no pull request to comment on (check --comment would stop with exit 2 there).
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Actions expression syntax, not a template
      expect(step.with.comment).toBe("${{ github.event_name == 'pull_request' }}");
      const comments = step.with.comment !== undefined;
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

  it('ringlock-deploy.yml: after a lock change lands, waits for each changed ring to run the commit', () => {
    const w = load('examples/workflows/ringlock-deploy.yml');
    expect(Object.keys(w.on)).toEqual(['push']);
    expect(w.on.push.paths).toEqual(['rings/*.lock.json']);
    const run = w.jobs.wait.steps.map((s: Y) => s.run ?? '').join('\n');
    // ringlock at the exact version the repository's lockfile pins, never whatever the registry serves today.
    expect(run).toContain('npm ci --ignore-scripts');
    expect(run).toContain(
      'npx --no-install ringlock wait --ring "$RING" --commit "$GITHUB_SHA" --timeout 30m',
    );
    expect(run).not.toMatch(/ringlock@/);
    // One group per ring, never cancelled: a ring's newer merge does not cancel another ring's wait.
    expect(w.concurrency).toBeUndefined();
    expect(w.jobs.wait.concurrency).toEqual({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JS template
      group: 'ringlock-deploy-${{ matrix.ring }}',
      'cancel-in-progress': false,
    });
  });

  it('release.yml: each job holds only the permissions it uses, and publishes with provenance', () => {
    const w = load('.github/workflows/release.yml');
    expect(Object.keys(w.on)).toEqual(['push']);
    const perms = Object.fromEntries(Object.entries<Y>(w.jobs).map(([name, job]) => [name, job.permissions]));
    expect(perms).toEqual({
      'release-please': { contents: 'write', 'pull-requests': 'write' },
      package: { contents: 'read' },
      npm: { contents: 'read', 'id-token': 'write' },
      image: { contents: 'read', packages: 'write' },
      action: { contents: 'write' },
    });
    const runs = (job: string) => w.jobs[job].steps.map((s: Y) => s.run ?? '').join('\n');
    // The job with the OIDC token publishes the tarball the credential-less package job built and tested, and runs
    // nothing else: no checkout, no install, no test.
    expect(runs('package')).toContain('bash .ci/run');
    expect(runs('package')).toContain('npm pack');
    expect(runs('npm').trim()).toBe('npm publish ./package/*.tgz --provenance --access public');
    expect(w.jobs.npm.needs).toContain('package');
    expect(w.jobs.npm.steps.map((st: Y) => String(st.uses ?? '').split('@')[0])).toEqual([
      'actions/setup-node',
      'actions/download-artifact',
      '',
    ]);
    expect(runs('image')).toContain('docker image inspect ringlock:release');
    // The image pushed is the one measured and tried, and only after the suite passed.
    expect(w.jobs.image.needs).toContain('package');
    expect(runs('image')).toContain('docker tag ringlock:release "$image:$tag"');
    expect(JSON.stringify(w.jobs.image.steps)).not.toContain('build-push-action');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a template
    expect(runs('image')).toContain('ghcr.io/${GITHUB_REPOSITORY_OWNER,,}/ringlock');
    expect(runs('action')).toContain('git add -f dist/action');
    const noHooks = 'git -c core.hooksPath=/dev/null push';
    expect(runs('action')).toContain(`${noHooks} -f "$remote" "refs/tags/\${MAJOR}"`);
    expect(runs('action')).toContain(`${noHooks} "$remote" "refs/tags/\${TAG}-action"`);
    // No dependency's install script runs beside a token, and no checkout leaves its token in .git/config.
    for (const job of ['action']) {
      expect(runs(job)).toContain('npm ci --ignore-scripts');
      expect(runs(job)).not.toMatch(/npm ci(?! --ignore-scripts)/);
    }
    for (const job of Object.values<Y>(w.jobs))
      for (const step of job.steps.filter((st: Y) => String(st.uses ?? '').startsWith('actions/checkout@')))
        expect(step.with?.['persist-credentials']).toBe(false);
  });
});
