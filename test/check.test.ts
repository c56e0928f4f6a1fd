// `ringlock check` on scenario repositories built with real git commits, run as a GitHub Actions job runs it.
import { describe, expect, it } from 'vitest';
import { checkAsAction, DAY, git, platformGitRepo, ringlock, stableRanA110 } from './support/check-repo.js';

/** Version line of a manifest written by helpers.manifest(): line 3, the value at column 14. */
const VERSION_AT = 'line=3,col=14';

describe('ringlock check in GitHub Actions', () => {
  it('passes a pull request with no change, checking nothing', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    const head = repo.commit('nothing');
    const r = checkAsAction(repo, { base, head });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.errors).toEqual([]);
    expect(r.summary).toContain('## ringlock check: ✅ passed');
    expect(r.summary).toContain('No ring lock changes.');
  });

  it('checks nothing heavy on a docs-only change', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.write({ 'README.md': '# platform\n\nMore docs.\n', 'docs/howto.md': 'how\n' });
    const head = repo.commit('docs');
    const r = checkAsAction(repo, { base, head }, { args: ['--json'] });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.stats).toEqual({
      changedFiles: 2,
      relevantFiles: 0,
      locksRead: 0,
      manifestsRead: 0,
      treesHashed: 0,
      historyWalks: 0,
    });
    expect(report.rules.every((x: { outcome: string }) => x.outcome === 'skipped')).toBe(true);
  });

  it("fails a module change without a version bump at module.json's version line", () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.write({ 'modules/a/src/index.php': '<?php // a, changed\n' });
    repo.lock();
    const head = repo.commit('change a');
    const r = checkAsAction(repo, { base, head });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.errors[0]).toMatch(
      new RegExp(
        `^::error file=modules/a/module.json,${VERSION_AT},title=RL002::a's content changed .* but its version is still 1\\.0\\.0`,
      ),
    );
    // edge and stable pin a 1.0.0 as a release: its content no longer matches the source.
    expect(
      r.errors.some((e) => e.startsWith('::error file=rings/edge.lock.json') && e.includes('title=RL004')),
    ).toBe(true);
    expect(r.summary).toContain('## ringlock check: ❌');
    expect(r.summary).toMatch(/\| RL002 version bump \| ❌ fail \(1 error\(s\)\) \|/);
  });

  it('passes a module change with a version bump (and says what canary will do)', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.write({ 'modules/a/src/index.php': '<?php // a, changed\n' });
    repo.editManifest('a', (m) => {
      m.version = '1.0.1';
    });
    repo.lock();
    const head = repo.commit('change a, 1.0.1');
    const r = checkAsAction(repo, { base, head });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.summary).toContain('#### Ring `canary` (`rings/canary.lock.json`)');
    expect(r.summary).toContain('| `a` | ⬆️ upgrade | `1.0.0` | `1.0.1` |');
    expect(r.summary).toMatch(/\| RL002 version bump \| ✅ pass \|/);
  });

  it('warns (never fails) on a minor bump without a changelog entry', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.editManifest('a', (m) => {
      m.version = '1.1.0';
    });
    repo.lock();
    const head = repo.commit('a 1.1.0');
    const r = checkAsAction(repo, { base, head });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(
      new RegExp(
        `^::warning file=modules/a/module.json,${VERSION_AT},title=RL010::a 1\\.0\\.0 → 1\\.1\\.0 is a minor bump`,
      ),
    );
  });

  it('fails a version regression', () => {
    const repo = platformGitRepo({ modules: { a: '1.2.0', b: '1.0.0' } });
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.editManifest('a', (m) => {
      m.version = '1.1.9';
    });
    repo.lock();
    const head = repo.commit('a back to 1.1.9');
    const r = checkAsAction(repo, { base, head });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(
      new RegExp(
        `^::error file=modules/a/module.json,${VERSION_AT},title=RL003::a's version went down from 1\\.2\\.0 to 1\\.1\\.9`,
      ),
    );
  });

  it('fails a stale lock (sources bumped, lock not rewritten)', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.write({ 'modules/a/src/index.php': '<?php // a 1.0.1\n' });
    repo.editManifest('a', (m) => {
      m.version = '1.0.1';
    });
    const head = repo.commit('forgot ringlock lock');
    const r = checkAsAction(repo, { base, head });
    expect(r.code).toBe(1);
    const stale = r.errors.find((e) => e.includes('title=RL004'));
    expect(stale).toMatch(
      /^::error file=rings\/canary.lock.json,line=\d+,col=\d+,title=RL004::ring canary is stale for a: /,
    );
    expect(stale).toContain('run "ringlock lock" and commit the lock');
  });

  it('fails promoting to stable a version edge (and canary) never had', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.editLock('stable', (l) => {
      l.modules.a!.version = '1.3.0';
      l.modules.a!.integrity = `sha256-${Buffer.alloc(32, 1).toString('base64')}`;
    });
    const head = repo.commit('a 1.3.0 straight to stable');
    const r = checkAsAction(repo, { base, head });
    expect(r.code).toBe(1);
    const order = r.errors.find((e) => e.includes('title=RL005'));
    expect(order).toMatch(
      /^::error file=rings\/stable.lock.json,line=\d+,col=\d+,title=RL005::a 1\.3\.0 .* is not in ring edge/,
    );
    expect(r.summary).toContain('| `a` | ⬆️ upgrade | `1.0.0` | `1.3.0` |');
  });

  describe('soak', () => {
    /** main: a 1.1.0 lands in canary `age` ago; the PR promotes it to edge (minSoak 24h). */
    function promotion(age: number) {
      const repo = platformGitRepo();
      repo.write({ 'modules/a/src/index.php': '<?php // a 1.1.0\n' });
      repo.editManifest('a', (m) => {
        m.version = '1.1.0';
      });
      repo.edit('modules/a/CHANGELOG.md', (t) => `${t}\n## [1.1.0]\n- more\n`);
      repo.lock();
      const base = repo.commit('a 1.1.0 in canary', Date.now() - age);
      repo.branch('pr');
      const canary = JSON.parse(repo.read('rings/canary.lock.json'));
      repo.editLock('edge', (l) => {
        l.modules.a = canary.modules.a;
      });
      const head = repo.commit('promote a 1.1.0 to edge');
      return { repo, base, head };
    }

    it('passes once the pin has soaked in the ring it is promoted from', () => {
      const { repo, base, head } = promotion(2 * DAY);
      const r = checkAsAction(repo, { base, head });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.summary).toContain('| `a` | ⬆️ upgrade | `1.0.0` | `1.1.0` |');
      expect(r.summary).toMatch(/\| RL006 soak \| ✅ pass \|/);
    });

    it('fails promoting before the soak', () => {
      const { repo, base, head } = promotion(2 * 3_600_000);
      const r = checkAsAction(repo, { base, head });
      expect(r.code).toBe(1);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(
        /^::error file=rings\/edge.lock.json,line=\d+,col=\d+,title=RL006::a 1\.1\.0 has not soaked in canary for 24h: it has been there 2h/,
      );
    });

    it('passes with warnings under the hotfix label, and the summary says so at the top', () => {
      const { repo, base, head } = promotion(2 * 3_600_000);
      const r = checkAsAction(repo, { base, head, labels: ['bug', 'ringlock:hotfix'] });
      expect(r.code, r.stdout).toBe(0);
      expect(r.errors).toEqual([]);
      expect(r.warnings[0]).toMatch(
        /^::warning file=rings\/edge.lock.json,.*title=RL006::.*\(overridden: hotfix, label ringlock:hotfix\)/,
      );
      const lines = r.summary.split('\n');
      expect(lines[0]).toBe('## ringlock check: ⚠️ passed with 1 warning');
      expect(lines.slice(1, 4).join('\n')).toContain('**Hotfix override** (label ringlock:hotfix)');
    });
  });

  it('annotates a malformed lock at the right line and column', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.edit('rings/edge.lock.json', (t) => t.replace('"version": "1.0.0"', '"version": "1.0"'));
    const head = repo.commit('bad version');
    const text = repo.read('rings/edge.lock.json').split('\n');
    const line = text.findIndex((l) => l.includes('"version": "1.0"')) + 1;
    const col = text[line - 1]!.indexOf('"1.0"') + 1;
    const r = checkAsAction(repo, { base, head });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(
      new RegExp(
        `^::error file=rings/edge.lock.json,line=${line},col=${col},title=RL001::/modules/a/version: invalid value "1\\.0"`,
      ),
    );
  });

  it('annotates a JSON syntax error in a lock where it is', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.edit('rings/stable.lock.json', (t) => t.replace('"ring": "stable"', '"ring": "stable",'));
    const head = repo.commit('trailing comma');
    const lines = repo.read('rings/stable.lock.json').split('\n');
    const line = lines.findIndex((l) => l.includes('"ring": "stable",')) + 1;
    const r = checkAsAction(repo, { base, head });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(
      new RegExp(`^::error file=rings/stable.lock.json,line=${line},col=\\d+,title=RL001::`),
    );
  });

  it('fails a broken dependency closure in the target ring, with the chain', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.editManifest('b', (m) => {
      m.version = '1.0.1';
      m.dependencies = { a: '^2.0.0' };
    });
    repo.lock();
    const head = repo.commit('b needs a 2');
    const r = checkAsAction(repo, { base, head, labels: [] }, { args: ['--json'] });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    const f = report.findings.find((x: { rule: string }) => x.rule === 'RL008');
    expect(f).toMatchObject({
      ring: 'canary',
      module: 'b',
      file: 'rings/canary.lock.json',
      chain: ['b needs a ^2.0.0', 'the ring has a 1.0.0'],
    });
    const text = checkAsAction(repo, { base, head });
    expect(text.errors[0]).toMatch(/title=RL008::b 1\.0\.1 is blocked in ring canary: b needs a \^2\.0\.0/);
  });

  it('fails a prerelease in stable', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    for (const ring of ['edge', 'stable'])
      repo.editLock(ring, (l) => {
        l.modules.a!.version = '1.1.0-rc.1';
      });
    const head = repo.commit('rc everywhere');
    const r = checkAsAction(repo, { base, head, labels: ['ringlock:hotfix'] });
    expect(r.code).toBe(1);
    const pre = r.errors.filter((e) => e.includes('title=RL007'));
    expect(pre).toHaveLength(2);
    expect(pre.join('\n')).toContain(
      '::a 1.1.0-rc.1 is a prerelease and ring stable does not allow prereleases',
    );
  });

  it('fails a ring downgrade unless it is a rollback (label or revert commit), and calls the rollback out', () => {
    const { repo, base, promotion } = stableRanA110();
    repo.branch('pr');
    repo.editLock('stable', (l) => {
      l.modules.a = JSON.parse(git(repo.dir, ['show', `${promotion}^:rings/stable.lock.json`])).modules.a;
    });
    const head = repo.commit('stable: a back to 1.1.0');
    const plain = checkAsAction(repo, { base, head });
    expect(plain.code).toBe(1);
    expect(plain.errors[0]).toMatch(/title=RL009::ring stable takes a back from 1\.2\.0 to 1\.1\.0/);

    const labelled = checkAsAction(repo, { base, head, labels: ['ringlock:rollback'] });
    expect(labelled.code, labelled.stdout).toBe(0);
    expect(labelled.warnings[0]).toMatch(
      /title=RL009::rollback: ring stable takes a back from 1\.2\.0 to 1\.1\.0 \(allowed: label ringlock:rollback\)/,
    );
    expect(labelled.summary).toContain('**Rollback** (label ringlock:rollback)');
    expect(labelled.summary).toContain('| `a` | ⏪ rollback | `1.2.0` | `1.1.0` |');

    git(repo.dir, ['reset', '-q', '--hard', base]);
    git(repo.dir, ['revert', '--no-edit', promotion]);
    const reverted = git(repo.dir, ['rev-parse', 'HEAD']);
    const r = checkAsAction(repo, { base, head: reverted });
    expect(r.code, r.stdout).toBe(0);
    expect(r.warnings[0]).toMatch(
      new RegExp(`allowed: commit [0-9a-f]{12} reverts ${promotion.slice(0, 12)}`),
    );
  });

  it('keeps findings past 10 errors in the summary', () => {
    const modules = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [`m${String(i).padStart(2, '0')}`, '1.0.0']),
    );
    const repo = platformGitRepo({ modules });
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    for (const m of Object.keys(modules))
      repo.write({ [`modules/${m}/src/index.php`]: `<?php // ${m} v2\n` });
    repo.lock();
    const head = repo.commit('change all, bump none');
    const r = checkAsAction(repo, { base, head });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(10);
    expect(r.notices).toHaveLength(1);
    expect(r.notices[0]).toMatch(
      /^::notice title=ringlock check::\d+ more finding\(s\) than GitHub annotates per step/,
    );
    // 12 bump errors and 12 stale release pins in each of edge and stable, all in the summary.
    expect(r.summary.match(/\| ❌ \| RL002 version bump \|/g)).toHaveLength(12);
    expect(r.summary.match(/\| ❌ \| RL004 lock freshness \|/g)).toHaveLength(24);
  });

  it('checks the tenants file names only existing rings', () => {
    const repo = platformGitRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']);
    repo.branch('pr');
    repo.write({ 'rings/tenants.yaml': 'tenants:\n  fabrikam: stable\n  globex: production\n' });
    const head = repo.commit('tenants');
    const r = checkAsAction(repo, { base, head });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(
      /^::error file=rings\/tenants.yaml,line=3,col=11,title=RL011::tenant globex is assigned to ring "production"/,
    );
  });
});

describe('ringlock check: bad input is exit 2 with where and what', () => {
  it('an unknown --base', () => {
    const repo = platformGitRepo();
    const r = ringlock(repo.dir, ['check', '--base', 'no-such-branch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--base no-such-branch: no such commit in this clone');
  });

  it('no base and no remote default branch', () => {
    const repo = platformGitRepo();
    const r = ringlock(repo.dir, ['check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no --base given and no remote default branch');
  });

  it('a malformed event payload, at its line and column', () => {
    const repo = platformGitRepo();
    const head = git(repo.dir, ['rev-parse', 'HEAD']);
    const r = checkAsAction(
      repo,
      { base: head, head },
      { event: { pull_request: { base: { sha: 'main' }, head: { sha: head } } } },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /error .*event\.json:1:\d+: \/pull_request\/base\/sha: expected a commit sha, got "main" \[github\/event\]/,
    );
  });

  it('an unknown --allow, and --comment outside a pull request', () => {
    const repo = platformGitRepo();
    expect(ringlock(repo.dir, ['check', '--base', 'HEAD', '--allow', 'everything']).stderr).toContain(
      '--allow everything: unknown override',
    );
    const r = ringlock(repo.dir, ['check', '--base', 'HEAD', '--comment']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('check --comment: no pull request number');
  });

  it('outside a git repository', () => {
    const r = ringlock('/', ['check', '--base', 'HEAD']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not inside a git repository');
  });

  it('the default base is the merge base with origin/HEAD', () => {
    const repo = platformGitRepo();
    const remote = `${repo.dir}/.remote.git`;
    git(repo.dir, ['init', '-q', '--bare', remote]);
    git(repo.dir, ['remote', 'add', 'origin', remote]);
    git(repo.dir, ['push', '-q', 'origin', 'main']);
    git(repo.dir, ['remote', 'set-head', 'origin', 'main']);
    repo.branch('pr');
    repo.write({ 'modules/a/src/index.php': '<?php // changed\n' });
    repo.lock();
    repo.commit('no bump');
    const r = ringlock(repo.dir, ['check', '--json']);
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout).base).toBe(git(repo.dir, ['rev-parse', 'main']));
  });
});
