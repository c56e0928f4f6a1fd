// promote --no-pr never destroys work: a rerun leaves the identical local commit alone (no new commit, no reset), and
// a local branch someone committed to by hand is refused, not wiped. Real git, the built CLI as a child process.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { show } from './fixtures-platform.js';
import { DAY, entry, HOUR, PromoRepo } from './support/promote-repo.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

const BRANCH = 'ringlock/promote/edge/orders-1.5.0';
const base = { orders: entry('orders', '1.4.2'), payments: entry('payments', '1.2.0') };

/** canary got orders 1.5.0 two days ago; edge runs 1.4.2. No GitHub token: --no-pr needs none. */
function world() {
  const repo = new PromoRepo();
  cleanups.push(() => repo.dispose());
  repo.seed({ base, orders: entry('orders', '1.5.0'), soakedMs: 2 * DAY });
  const promote = (...extra: string[]) =>
    repo.run(['promote', 'orders', '--from', 'canary', '--no-pr', ...extra], { GITHUB_TOKEN: undefined });
  const reflog = () =>
    repo.git(repo.work, 'reflog', 'show', '--format=%H', `refs/heads/${BRANCH}`).split('\n').filter(Boolean);
  return { repo, promote, reflog };
}

describe('promote --no-pr', () => {
  it('a rerun with the same inputs leaves the identical commit and branch alone and says unchanged', async () => {
    const { repo, promote, reflog } = world();
    const first = await promote();
    expect(first.code, show(first)).toBe(0);
    const commit = repo.tip(repo.work, BRANCH);
    expect(first.stdout).toContain(`committed ${commit.slice(0, 12)} on local branch ${BRANCH}`);
    // Past the second boundary: a re-made commit would get a new committer time, so a new sha.
    await new Promise((r) => setTimeout(r, 1100));

    const again = await promote('--json');
    expect(again.code, show(again)).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      status: 'committed',
      unchanged: true,
      commit,
      branch: BRANCH,
    });
    const human = await promote();
    expect(human.stdout).toContain(
      `unchanged: local branch ${BRANCH} already holds this change at ${commit.slice(0, 12)}`,
    );
    expect(repo.tip(repo.work, BRANCH)).toBe(commit);
    // One reflog entry: the branch was created once and never reset since.
    expect(reflog()).toEqual([commit]);
  });

  it('refuses (exit 2) a local branch with a commit ringlock did not make, and the commit is still there', async () => {
    const { repo, promote, reflog } = world();
    expect((await promote()).code).toBe(0);
    const ours = repo.tip(repo.work, BRANCH);
    // Someone adds work on the branch by hand (in a second worktree, so the clone's own checkout stays on main).
    const wt = join(repo.root, 'hand');
    repo.git(repo.work, 'worktree', 'add', '-q', wt, BRANCH);
    writeFileSync(join(wt, 'NOTES.md'), 'a note by hand\n');
    repo.git(wt, 'add', 'NOTES.md');
    repo.git(wt, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.test', 'commit', '-q', '-m', 'my note');
    repo.git(repo.work, 'worktree', 'remove', '--force', wt);
    const manual = repo.tip(repo.work, BRANCH);
    expect(manual).not.toBe(ours);

    const again = await promote();
    expect(again.code, show(again)).toBe(2);
    expect(again.stderr).toContain(`local branch ${BRANCH} has commits ringlock did not make`);
    expect(again.stderr).toContain('my note');
    expect(again.stderr).toContain('[promote/branch-edited]');
    expect(repo.tip(repo.work, BRANCH)).toBe(manual);
    expect(repo.git(repo.work, 'show', `${BRANCH}:NOTES.md`)).toBe('a note by hand');
    expect(reflog()).toEqual([manual, ours]);
  });

  it('a moved base re-makes the commit on the new base (its own tip only), compare-and-swap', async () => {
    const { repo, promote } = world();
    expect((await promote()).code).toBe(0);
    const old = repo.tip(repo.work, BRANCH);
    const main = repo.commit({ 'README.md': 'moved\n' }, HOUR, 'main moves on');
    const again = await promote();
    expect(again.code, show(again)).toBe(0);
    const now = repo.tip(repo.work, BRANCH);
    expect(now).not.toBe(old);
    expect(repo.git(repo.work, 'rev-parse', `${BRANCH}^`)).toBe(main);
    expect(again.stdout).toContain(`committed ${now.slice(0, 12)}`);
  });

  // Amending ringlock's commit keeps its trailer: the trailer alone does not make a tip ringlock's.
  it.each([
    [
      'an amendment of ringlock’s commit that adds a file (trailer kept)',
      (wt: string, git: (...a: string[]) => string) => {
        writeFileSync(join(wt, 'NOTES.md'), 'a note by hand\n');
        git('add', 'NOTES.md');
        git('commit', '-q', '--amend', '--no-edit');
      },
    ],
    [
      'ringlock’s commit moved onto a commit of a person that is not on the base branch',
      (wt: string, git: (...a: string[]) => string) => {
        const ours = git('rev-parse', 'HEAD');
        git('reset', '-q', '--hard', 'HEAD^');
        writeFileSync(join(wt, 'NOTES.md'), 'a note by hand\n');
        git('add', 'NOTES.md');
        git('commit', '-q', '-m', 'my note');
        git('cherry-pick', ours);
      },
    ],
  ])('refuses (exit 2) %s, and the work is still there', async (_, edit) => {
    const { repo, promote } = world();
    expect((await promote()).code).toBe(0);
    const wt = join(repo.root, 'hand');
    repo.git(repo.work, 'worktree', 'add', '-q', wt, BRANCH);
    edit(wt, (...a) => repo.git(wt, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.test', ...a));
    repo.git(repo.work, 'worktree', 'remove', '--force', wt);
    const edited = repo.tip(repo.work, BRANCH);
    expect(repo.git(repo.work, 'log', '-1', '--format=%B', BRANCH)).toContain('Ringlock-Promotion: ');

    const again = await promote();
    expect(again.code, show(again)).toBe(2);
    expect(again.stderr).toContain(`local branch ${BRANCH} has commits ringlock did not make`);
    expect(again.stderr).toContain('[promote/branch-edited]');
    expect(repo.tip(repo.work, BRANCH)).toBe(edited);
    expect(repo.git(repo.work, 'show', `${BRANCH}:NOTES.md`)).toBe('a note by hand');
  });
});
