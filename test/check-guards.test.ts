// `ringlock check` cannot be talked round by the change it judges: a relaxed ringlock.yaml, a deleted lock, a stale
// event base, a forged trailer or lock metadata. Scenario repositories with real git commits, run as Actions runs it.
import { describe, expect, it } from 'vitest';
import { checkAsAction, DAY, git, platformGitRepo, stableRanA110 } from './support/check-repo.js';

const HOUR = 3_600_000;

/** main: a 1.1.0 lands in canary `age` ago. */
function canaryHas110(age: number) {
  const repo = platformGitRepo();
  repo.write({ 'modules/a/src/index.php': '<?php // a 1.1.0\n' });
  repo.editManifest('a', (m) => {
    m.version = '1.1.0';
  });
  repo.edit('modules/a/CHANGELOG.md', (t) => `${t}\n## [1.1.0]\n- more\n`);
  repo.lock();
  const base = repo.commit('a 1.1.0 in canary', Date.now() - age);
  return { repo, base };
}

function promoteToEdge(repo: ReturnType<typeof platformGitRepo>) {
  const canary = JSON.parse(repo.read('rings/canary.lock.json'));
  repo.editLock('edge', (l) => {
    l.modules.a = canary.modules.a;
  });
}

describe('a pull request that relaxes ringlock.yaml is judged by the stricter base policy', () => {
  it('keeps the base minSoak for a promotion in the same change, and says so; a later change uses the new one', () => {
    const { repo, base } = canaryHas110(2 * HOUR);
    repo.branch('pr');
    repo.edit('ringlock.yaml', (t) => t.replace('minSoak: 24h', 'minSoak: 1h'));
    promoteToEdge(repo);
    const head = repo.commit('edge: soak 1h, and promote a 1.1.0');
    const r = checkAsAction(repo, { base, head });
    expect(r.code, r.stdout).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/title=RL006::a 1\.1\.0 has not soaked in canary for 24h/);
    expect(r.summary).toContain("judged by the base branch's stricter policy");
    expect(r.summary).toContain('minSoak 24h (head: 1h)');

    // Once the config change alone is merged, the next pull request is judged by it.
    git(repo.dir, ['checkout', '-q', 'main']);
    repo.edit('ringlock.yaml', (t) => t.replace('minSoak: 24h', 'minSoak: 1h'));
    const main2 = repo.commit('edge: soak 1h');
    repo.branch('pr2');
    promoteToEdge(repo);
    const head2 = repo.commit('promote a 1.1.0 to edge');
    const later = checkAsAction(repo, { base: main2, head: head2 });
    expect(later.code, later.stdout).toBe(0);
    expect(later.summary).not.toContain('stricter policy');
  });

  it('keeps promoteFrom and the ban on prereleases when the change drops them', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.edit('ringlock.yaml', (t) =>
      t.replace(
        '  - name: stable\n    promoteFrom: edge\n    minSoak: 72h\n',
        '  - name: stable\n    allowPrerelease: true\n',
      ),
    );
    repo.editLock('stable', (l) => {
      l.modules.a!.version = '1.3.0-rc.1';
      l.modules.a!.integrity = `sha256-${Buffer.alloc(32, 1).toString('base64')}`;
    });
    const head = repo.commit('stable: first ring, prereleases, a 1.3.0-rc.1');
    const r = checkAsAction(repo, { base, head, labels: ['ringlock:hotfix'] });
    expect(r.code, r.stdout).toBe(1);
    expect(r.errors.some((e) => /title=RL007::a 1\.3\.0-rc\.1 is a prerelease and ring stable/.test(e))).toBe(
      true,
    );
    expect(r.warnings.some((e) => /title=RL005::a 1\.3\.0-rc\.1 .* is not in ring edge/.test(e))).toBe(true);
    expect(r.summary).toContain('promoteFrom edge (head: none)');
  });
});

describe('deleting a ring lock', () => {
  it('fails at the ring in ringlock.yaml while the ring is still defined', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.remove('rings/stable.lock.json');
    const head = repo.commit('drop the stable lock');
    const r = checkAsAction(repo, { base, head });
    expect(r.code, r.stdout).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      /^::error file=ringlock.yaml,line=12,col=11,title=RL001::this change deletes rings\/stable.lock.json, the lock of ring stable, which ringlock.yaml still defines/,
    );
    expect(r.summary).toContain('lock deleted');
  });

  it('passes, without warnings, when the ring goes too', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.remove('rings/stable.lock.json');
    repo.edit('ringlock.yaml', (t) =>
      t.replace('  - name: stable\n    promoteFrom: edge\n    minSoak: 72h\n', ''),
    );
    const head = repo.commit('retire ring stable');
    const r = checkAsAction(repo, { base, head });
    expect(r.code, r.stdout).toBe(0);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });
});

describe('on the merge commit GitHub checks out', () => {
  it("takes the merge's first parent as the base, so the base branch's own changes since a stale base.sha stay out", () => {
    const repo = platformGitRepo();
    const stale = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.write({ 'modules/a/src/index.php': '<?php // a 1.0.1\n' });
    repo.editManifest('a', (m) => {
      m.version = '1.0.1';
    });
    repo.lock();
    const head = repo.commit('a 1.0.1');
    // Meanwhile main takes a change of its own (b's source without a bump, which this PR has nothing to do with).
    git(repo.dir, ['checkout', '-q', 'main']);
    repo.write({ 'modules/b/src/index.php': '<?php // b, changed on main\n' });
    const tip = repo.commit('b changed on main');
    git(repo.dir, ['checkout', '-q', 'pr']);

    const r = checkAsAction(repo, { base: stale, head, mergeInto: 'main' }, { args: ['--json'] });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.base).toBe(tip);
    expect(report.head).not.toBe(head);
    expect(report.findings).toEqual([]);
    expect(report.plans.map((p: { ring: string }) => p.ring)).toEqual(['canary']);
  });
});

describe('a ring whose policy changes is checked for freshness in full', () => {
  /** main: a 1.0.1 in canary; edge still pins a 1.0.0, built from the source before it. */
  function edgeBehind() {
    const repo = platformGitRepo();
    repo.write({ 'modules/a/src/index.php': '<?php // a 1.0.1\n' });
    repo.editManifest('a', (m) => {
      m.version = '1.0.1';
    });
    repo.lock();
    const base = repo.commit('a 1.0.1 in canary', Date.now() - DAY);
    repo.branch('pr');
    return { repo, base };
  }

  it('fails switching a ring to tracksSource while it pins a module the sources have moved past', () => {
    const { repo, base } = edgeBehind();
    repo.edit('ringlock.yaml', (t) =>
      t.replace('  - name: edge\n', '  - name: edge\n    tracksSource: true\n'),
    );
    const head = repo.commit('edge tracks the sources');
    const r = checkAsAction(repo, { base, head });
    expect(r.code, r.stdout).toBe(1);
    expect(
      r.errors.some((e) =>
        /^::error file=rings\/edge.lock.json,.*title=RL004::ring edge is stale for a: /.test(e),
      ),
    ).toBe(true);
  });

  it('fails any policy change of a ring whose pin no longer matches the source at that version', () => {
    const repo = platformGitRepo();
    repo.editLock('stable', (l) => {
      l.modules.b!.sha256 = l.modules.b!.sha256!.toString().replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    });
    const base = repo.commit('stable: b with a stale content hash', Date.now() - DAY);
    repo.branch('pr');
    repo.edit('ringlock.yaml', (t) => t.replace('minSoak: 72h', 'minSoak: 96h'));
    const head = repo.commit('stable soaks longer');
    const r = checkAsAction(repo, { base, head });
    expect(r.code, r.stdout).toBe(1);
    expect(r.errors.some((e) => /title=RL004::ring stable pins b 1\.0\.0 with content /.test(e))).toBe(true);
  });
});

describe('a rollback must be one', () => {
  /** The PR takes stable's a back to what it ran before (or, with `forge`, to a 1.1.0 it never ran), committed as `message`. */
  function rollback(message: string, forge = false) {
    const { repo, base, promotion } = stableRanA110();
    repo.branch('pr');
    const before = JSON.parse(git(repo.dir, ['show', `${promotion}^:rings/stable.lock.json`])).modules.a;
    repo.editLock('stable', (l) => {
      l.modules.a = forge
        ? { ...before, integrity: `sha256-${Buffer.alloc(32, 9).toString('base64')}` }
        : before;
    });
    return { repo, base, promotion, head: repo.commit(message) };
  }

  it('refuses, even with the label, a downgrade to a pin the ring never ran', () => {
    const { repo, base, head } = rollback('stable: a back to 1.1.0', true);
    const r = checkAsAction(repo, { base, head, labels: ['ringlock:rollback'] });
    expect(r.code, r.stdout).toBe(1);
    expect(r.errors[0]).toMatch(
      /title=RL009::ring stable takes a back from 1\.2\.0 to 1\.1\.0, which is not a pin this ring ran before/,
    );
  });

  it('reads Revert: and Ringlock-Rollback: only as trailers of the last paragraph', () => {
    const inBody = rollback(
      'stable: a back to 1.1.0\n\nRevert: this line is prose, not a trailer\n\nMore prose.',
    );
    const r = checkAsAction(inBody.repo, { base: inBody.base, head: inBody.head });
    expect(r.code, r.stdout).toBe(1);
    expect(r.errors[0]).toMatch(/title=RL009::ring stable takes a back from 1\.2\.0 to 1\.1\.0%0Aexpected/);

    const trailer = rollback(
      'stable: a back to 1.1.0\n\nCheckout errors.\n\nRinglock-Rollback: a@1.1.0 stable (from 1.2.0)',
    );
    const ok = checkAsAction(trailer.repo, { base: trailer.base, head: trailer.head });
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.warnings[0]).toMatch(/allowed: commit [0-9a-f]{12} has a Ringlock-Rollback trailer/);
  });

  it('takes "This reverts commit X" only when X is on the base branch', () => {
    const { repo, base, head } = rollback('stable: a back to 1.1.0');
    // A "revert" of the pull request's own commit, and of a commit nobody has.
    for (const x of [head, '0123456789abcdef0123456789abcdef01234567']) {
      git(repo.dir, ['commit', '-q', '--allow-empty', '-m', `Revert "x"\n\nThis reverts commit ${x}.`]);
      const r = checkAsAction(repo, { base, head: git(repo.dir, ['rev-parse', 'HEAD']) });
      expect(r.code, r.stdout).toBe(1);
      expect(r.errors[0]).toMatch(/title=RL009::ring stable takes a back/);
    }
  });
});

describe("a ring's entry must carry its upstream's dependencies and compatibility", () => {
  it('fails a hand edit that drops a dependency from a pin the ring already has', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.editLock('edge', (l) => {
      l.modules.b!.dependencies = {};
    });
    const head = repo.commit('edge: b needs nothing');
    const r = checkAsAction(repo, { base, head, labels: ['ringlock:hotfix'] }, { args: ['--json'] });
    expect(r.code, r.stdout).toBe(0); // hotfix turns RL005 into a warning …
    const f = JSON.parse(r.stdout).findings.find((x: { rule: string }) => x.rule === 'RL005');
    expect(f).toMatchObject({ ring: 'edge', module: 'b', overriddenBy: 'hotfix' });
    expect(f.message).toContain('declares other dependencies than ring canary');
    const plain = checkAsAction(repo, { base, head });
    expect(plain.code, plain.stdout).toBe(1); // … and without it the change fails.
    expect(plain.errors[0]).toMatch(
      /^::error file=rings\/edge.lock.json,line=\d+,col=\d+,title=RL005::b 1\.0\.0/,
    );
  });

  it('fails a promotion whose copy of the pin declares another compatibility', () => {
    const { repo, base } = canaryHas110(2 * DAY);
    repo.branch('pr');
    const canary = JSON.parse(repo.read('rings/canary.lock.json'));
    repo.editLock('edge', (l) => {
      l.modules.a = { ...canary.modules.a, compatibility: { platform: '>=0.0.1' } };
    });
    const head = repo.commit('promote a 1.1.0 to edge, any platform');
    const r = checkAsAction(repo, { base, head });
    expect(r.code, r.stdout).toBe(1);
    expect(
      r.errors.some((e) => /title=RL005::a 1\.1\.0 in ring edge declares other compatibility/.test(e)),
    ).toBe(true);
  });
});
