// The target is ringlock's alone: what it did not create at a module's path is never replaced or deleted (the plan
// blocks it as an unmanaged path; --adopt moves it to a dated backup), and nothing planted in the state dir as a
// symlink makes a store write, a prune or a trash run reach outside it.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plan } from '../src/plan/plan.js';
import type { PlanAction } from '../src/plan/types.js';
import type { HistoryRecord } from '../src/state/file-store.js';
import {
  buildPlatform,
  HOOKS,
  type Platform,
  type Run,
  scratch,
  show,
  startCli,
} from './fixtures-platform.js';

type Ctx = { onTestFinished(fn: () => void): void };

interface ApplyJson {
  actions: PlanAction[];
  results: { module: string; action: string; outcome: string; code?: string; error?: string }[];
}

const parse = <T>(r: Run): T => {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON: ${show(r)}`);
  }
};

const platform = (t: Ctx, targetConfig?: string) =>
  buildPlatform(
    scratch(t, 'ownership'),
    { alpha: { version: '1.0.0' }, beta: { version: '1.0.0' } },
    targetConfig ? { targetConfig } : {},
  );

async function waitForFile(p: string): Promise<void> {
  const end = Date.now() + 30_000;
  while (!existsSync(p)) {
    if (Date.now() > end) throw new Error(`no ${p}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every file under `dir` with its bytes (what must survive untouched). */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true }) as string[]) {
    const abs = join(dir, rel);
    if (lstatSync(abs).isFile()) out[rel] = readFileSync(abs, 'utf8');
  }
  return out;
}

function adoptedEntries(p: Platform): string[] {
  const dir = join(p.stateDir(), 'adopted');
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Plan blocks alpha (beta proceeds); apply leaves the planted path alone and exits 1; --adopt moves it and installs. */
async function blockedThenAdopted(p: Platform, planted: () => void, check: (backup: string) => void) {
  planted();
  const plan = parse<ApplyJson>(await p.cli(['plan', '--ring', 'canary', '--json']));
  const alpha = plan.actions.find((a) => a.module === 'alpha')!;
  expect(alpha).toMatchObject({ kind: 'blocked', code: 'unmanaged-path' });
  expect(alpha.reason).toMatch(
    /^unmanaged path: alpha is .*--adopt moves it to \.ringlock\/adopted\/, or remove it/,
  );
  expect(plan.actions.find((a) => a.module === 'beta')?.kind).toBe('install');
  const human = await p.cli(['plan', '--ring', 'canary']);
  expect(human.stdout).toMatch(/alpha +blocked .*unmanaged path/);

  const r = await p.apply(['--json']);
  expect(r.code, show(r)).toBe(1);
  const res = parse<ApplyJson>(r).results;
  expect(res.find((x) => x.module === 'alpha')?.outcome).toBe('blocked');
  expect(res.find((x) => x.module === 'beta')?.outcome).toBe('succeeded');
  expect(adoptedEntries(p)).toEqual([]);
  check(join(p.target, 'alpha'));

  const adopt = await p.apply(['--adopt', '--json']);
  expect(adopt.code, show(adopt)).toBe(0);
  expect(parse<ApplyJson>(adopt).results.find((x) => x.module === 'alpha')?.outcome).toBe('succeeded');
  const [backup, ...more] = adoptedEntries(p);
  expect(more).toEqual([]);
  expect(backup).toMatch(/^alpha-\d{8}T\d{6}Z$/);
  check(join(p.stateDir(), 'adopted', backup!));
  expect(readFileSync(join(p.target, 'alpha/src/index.php'), 'utf8')).toContain('alpha 1.0.0');
  const rec = p.history().find((h: HistoryRecord) => h.op === 'adopt');
  expect(rec).toMatchObject({ module: 'alpha', outcome: 'succeeded', backup: `.ringlock/adopted/${backup}` });
}

describe('plan with unmanaged paths (pure)', () => {
  const e = (v: string, deps: Record<string, string> = {}) => ({
    version: v,
    sha256: `sha256:${'a'.repeat(64)}`,
    compatibility: { platform: '^2.0.0' },
    dependencies: deps,
  });
  const lock = {
    lockfileVersion: 1 as const,
    ring: 'canary',
    platform: '2.0.0',
    modules: { alpha: e('1.0.0'), beta: e('1.0.0', { alpha: '^1.0.0' }), gamma: e('1.0.0') },
  };
  const deployed = { stateVersion: 1 as const, modules: {}, quarantine: [] };
  const conflicts = new Map([['alpha', 'alpha is a directory ringlock did not create']]);

  it('blocks the module (code unmanaged-path) and its dependents; the rest proceeds', () => {
    const p = plan({ lock, deployed, conflicts, policy: { prune: false } });
    const by = Object.fromEntries(p.actions.map((a) => [a.module, a]));
    expect(by.alpha).toMatchObject({ kind: 'blocked', code: 'unmanaged-path' });
    expect(by.alpha!.reason).toBe(
      'unmanaged path: alpha is a directory ringlock did not create (--adopt moves it to .ringlock/adopted/, or remove it); stays uninstalled',
    );
    expect(by.beta!.kind).toBe('blocked');
    // Its dependents are blocked by the chain, not by a path of their own.
    expect(by.beta!.code).toBe('dependency');
    expect(by.gamma!.kind).toBe('install');
  });

  it('with adopt, installs and says what it adopts', () => {
    const p = plan({ lock, deployed, conflicts, policy: { prune: false, adopt: true } });
    const alpha = p.actions.find((a) => a.module === 'alpha')!;
    expect(alpha.kind).toBe('install');
    expect(alpha.notes).toContain(
      'adopts an unmanaged path: alpha is a directory ringlock did not create (moved to .ringlock/adopted/)',
    );
    expect(p.actions.find((a) => a.module === 'beta')?.kind).toBe('install');
  });
});

describe.concurrent('unmanaged paths in the target', () => {
  it('symlink mode: a planted directory blocks its module until --adopt moves it to a dated backup', async (t) => {
    const p = await platform(t);
    await blockedThenAdopted(
      p,
      () => {
        mkdirSync(join(p.target, 'alpha'), { recursive: true });
        writeFileSync(join(p.target, 'alpha/important.txt'), 'do not lose me\n');
      },
      (at) => expect(readFileSync(join(at, 'important.txt'), 'utf8')).toBe('do not lose me\n'),
    );
    expect(p.link('alpha')).toMatch(/^\.ringlock\/store\/alpha\/1\.0\.0-/);
  });

  it('copy mode: a planted directory blocks its module until --adopt moves it to a dated backup', async (t) => {
    const p = await platform(t, '  mode: copy');
    await blockedThenAdopted(
      p,
      () => {
        mkdirSync(join(p.target, 'alpha'), { recursive: true });
        writeFileSync(join(p.target, 'alpha/important.txt'), 'do not lose me\n');
      },
      (at) => expect(readFileSync(join(at, 'important.txt'), 'utf8')).toBe('do not lose me\n'),
    );
    expect(lstatSync(join(p.target, 'alpha')).isDirectory()).toBe(true);
    expect(existsSync(join(p.target, 'alpha/important.txt'))).toBe(false);
  });

  it('a planted symlink pointing outside is neither replaced nor followed; --adopt moves the link itself', async (t) => {
    const p = await platform(t);
    const outside = join(p.root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'keep.txt'), 'outside\n');
    await blockedThenAdopted(
      p,
      () => {
        mkdirSync(p.target, { recursive: true });
        symlinkSync(outside, join(p.target, 'alpha'));
      },
      (at) => {
        expect(lstatSync(at).isSymbolicLink()).toBe(true);
        expect(readlinkSync(at)).toBe(outside);
      },
    );
    expect(files(outside)).toEqual({ 'keep.txt': 'outside\n' });
  });

  it("a deployed module's link replaced by someone's directory is blocked, not repaired over it", async (t) => {
    const p = await platform(t);
    expect((await p.apply()).code).toBe(0);
    rmSync(join(p.target, 'beta'));
    mkdirSync(join(p.target, 'beta'));
    writeFileSync(join(p.target, 'beta/notes.txt'), 'mine\n');
    const plan = parse<ApplyJson>(await p.cli(['plan', '--ring', 'canary', '--json']));
    expect(plan.actions.find((a) => a.module === 'beta')).toMatchObject({
      kind: 'blocked',
      code: 'unmanaged-path',
    });
    const r = await p.apply();
    expect(r.code, show(r)).toBe(1);
    expect(readFileSync(join(p.target, 'beta/notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('install M@V refuses an unmanaged path (exit 1) and adopts it with --adopt', async (t) => {
    const p = await platform(t);
    mkdirSync(join(p.target, 'alpha'), { recursive: true });
    writeFileSync(join(p.target, 'alpha/important.txt'), 'x\n');
    const r = await p.cli(['install', 'alpha@1.0.0', '--yes', '--json']);
    expect(r.code, show(r)).toBe(1);
    expect(parse<ApplyJson>(r).results[0]).toMatchObject({
      outcome: 'blocked',
      code: 'target/unmanaged-path',
    });
    expect(readFileSync(join(p.target, 'alpha/important.txt'), 'utf8')).toBe('x\n');
    const ok = await p.cli(['install', 'alpha@1.0.0', '--yes', '--adopt']);
    expect(ok.code, show(ok)).toBe(0);
    const [backup] = adoptedEntries(p);
    expect(readFileSync(join(p.stateDir(), 'adopted', backup!, 'important.txt'), 'utf8')).toBe('x\n');
  });
});

describe.concurrent('paths taken between the plan and the switch', () => {
  for (const mode of ['copy', 'symlink'] as const) {
    it(`${mode} mode: a directory planted while a first install's hook runs is refused, not replaced`, async (t) => {
      const p = await buildPlatform(
        scratch(t, 'ownership'),
        { alpha: { version: '1.0.0', lifecycle: HOOKS } },
        mode === 'copy' ? { targetConfig: '  mode: copy' } : {},
      );
      const env = { RL_HOOK_OUT: p.out, RL_HOOK_SLOW: 'alpha', RL_HOOK_SLEEP: '2' };
      const run = startCli(['apply', '--ring', 'canary', '--yes', '--json'], { cwd: p.repo, env });
      await waitForFile(join(p.out, 'alpha.hook.pid'));
      mkdirSync(join(p.target, 'alpha'), { recursive: true });
      writeFileSync(join(p.target, 'alpha/important.txt'), 'do not lose me\n');
      const r = await run.done;
      expect(r.code, show(r)).toBe(3);
      expect(r.stdout).toContain('target/unmanaged-path');
      // A later run (which empties the trash) still finds it where it was.
      const again = await p.apply();
      expect(again.code, show(again)).toBe(1);
      expect(readFileSync(join(p.target, 'alpha/important.txt'), 'utf8')).toBe('do not lose me\n');
    });
  }

  it('--adopt with a symlinked @scope moves the link aside, never what it points to', async (t) => {
    const p = await buildPlatform(scratch(t, 'ownership'), { '@acme/analytics': { version: '1.0.0' } });
    const outside = join(p.root, 'outside');
    mkdirSync(join(outside, 'analytics'), { recursive: true });
    writeFileSync(join(outside, 'analytics/precious.txt'), 'outside\n');
    mkdirSync(p.target, { recursive: true });
    symlinkSync(outside, join(p.target, '@acme'));
    const blocked = await p.apply();
    expect(blocked.code, show(blocked)).toBe(1);
    expect(blocked.stdout + blocked.stderr).toContain('@acme is a symlink');
    const r = await p.apply(['--adopt']);
    expect(r.code, show(r)).toBe(0);
    expect(readFileSync(join(outside, 'analytics/precious.txt'), 'utf8')).toBe('outside\n');
    expect(lstatSync(join(p.target, '@acme')).isDirectory()).toBe(true);
    expect(p.link('@acme/analytics')).toMatch(/^\.ringlock\/store\/@acme\/analytics\/1\.0\.0-/);
    const backup = readdirSync(join(p.stateDir(), 'adopted/@acme'));
    expect(backup).toHaveLength(1);
    expect(readlinkSync(join(p.stateDir(), 'adopted/@acme', backup[0]!))).toBe(outside);
  });
});

describe.concurrent('symlinks planted in the state dir', () => {
  it('a symlinked store/<module> is never written through nor pruned through', async (t) => {
    const p = await platform(t, '  keepVersions: 2');
    const outside = join(p.root, 'outside-store');
    for (const v of ['0.1.0-aaaaaaaa', '0.2.0-bbbbbbbb']) {
      mkdirSync(join(outside, v), { recursive: true });
      writeFileSync(join(outside, v, 'precious.txt'), `${v}\n`);
    }
    // Older than anything the apply stores: the old code's prune (keepVersions 2) picked 0.1.0 to delete.
    utimesSync(join(outside, '0.1.0-aaaaaaaa'), new Date(0), new Date(0));
    utimesSync(join(outside, '0.2.0-bbbbbbbb'), new Date(1000), new Date(1000));
    const before = files(outside);
    mkdirSync(join(p.stateDir(), 'store'), { recursive: true });
    symlinkSync(outside, join(p.stateDir(), 'store/alpha'));
    const r = await p.apply(['--json']);
    // Nothing outside is moved, added or deleted; alpha fails cleanly naming the link; beta installs.
    expect(readdirSync(outside).sort()).toEqual(['0.1.0-aaaaaaaa', '0.2.0-bbbbbbbb']);
    expect(files(outside)).toEqual(before);
    expect(r.code, show(r)).toBe(3);
    const alpha = parse<ApplyJson>(r).results.find((x) => x.module === 'alpha')!;
    expect(alpha).toMatchObject({ outcome: 'failed', code: 'target/store-path' });
    expect(alpha.error).toContain('.ringlock/store/alpha is a symlink');
    expect(parse<ApplyJson>(r).results.find((x) => x.module === 'beta')?.outcome).toBe('succeeded');
    expect(files(outside)).toEqual(before);
    expect(readdirSync(outside).sort()).toEqual(['0.1.0-aaaaaaaa', '0.2.0-bbbbbbbb']);
    expect(lstatSync(join(p.stateDir(), 'store/alpha')).isSymbolicLink()).toBe(true);
  });

  it('a symlink planted in the download cache neither redirects downloads nor lets the sweep delete outside', async (t) => {
    const p = await platform(t);
    const outside = join(p.root, 'outside-docs');
    mkdirSync(join(outside, 'project'), { recursive: true });
    writeFileSync(join(outside, 'thesis.txt'), 'years of work\n');
    writeFileSync(join(outside, 'project/notes.txt'), 'notes\n');
    // Named like a stale temp file too, and old: the old sweep deleted whatever was older than a day.
    writeFileSync(join(outside, `${'ab'.repeat(32)}.1.deadbeef`), 'also precious\n');
    const old = new Date(Date.now() - 3 * 86_400_000);
    for (const f of ['thesis.txt', 'project', `${'ab'.repeat(32)}.1.deadbeef`])
      utimesSync(join(outside, f), old, old);
    const before = files(outside);
    mkdirSync(join(p.stateDir(), 'cache'), { recursive: true });
    symlinkSync(outside, join(p.stateDir(), 'cache/.tmp'));
    const r = await p.apply();
    expect(r.code, show(r)).toBe(0);
    expect(files(outside)).toEqual(before);
    expect(lstatSync(join(p.stateDir(), 'cache/.tmp')).isDirectory()).toBe(true);

    // A link in place of the cache itself (or of its sha512/ dir) fails the fetch cleanly; nothing lands outside.
    const q = await platform(t);
    mkdirSync(q.stateDir(), { recursive: true });
    symlinkSync(outside, join(q.stateDir(), 'cache'));
    const r2 = await q.apply(['--json']);
    expect(r2.code, show(r2)).toBe(3);
    expect(r2.stdout).toContain('cache/path');
    expect(files(outside)).toEqual(before);
    expect(readdirSync(outside).sort()).toEqual(
      ['ab'.repeat(32) + '.1.deadbeef', 'project', 'thesis.txt'].sort(),
    );
  });

  it('a symlink planted in place of history.jsonl or state.json is refused before anything changes', async (t) => {
    const p = await platform(t);
    for (const name of ['history.jsonl', 'state.json']) {
      const outside = join(p.root, `outside-${name}`);
      writeFileSync(outside, 'precious\n');
      mkdirSync(p.stateDir(), { recursive: true });
      symlinkSync(outside, join(p.stateDir(), name));
      const r = await p.apply();
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr).toContain(`${name} is a symbolic link, which ringlock never makes [state/link]`);
      expect(readFileSync(outside, 'utf8')).toBe('precious\n');
      expect(p.link('alpha')).toBeUndefined();
      rmSync(join(p.stateDir(), name));
    }
    const ok = await p.apply();
    expect(ok.code, show(ok)).toBe(0);
    expect(lstatSync(join(p.stateDir(), 'history.jsonl')).isFile()).toBe(true);
  });

  // A regression guard: these held before too (rm unlinks a link it is given), and must keep holding.
  it('a symlinked version dir is unlinked by prune, and symlinked trash/ and staging/ are unlinked, never followed', async (t) => {
    const p = await platform(t, '  keepVersions: 2');
    expect((await p.apply()).code).toBe(0);
    const outside = join(p.root, 'outside');
    for (const d of ['version', 'trash', 'staging']) {
      mkdirSync(join(outside, d), { recursive: true });
      writeFileSync(join(outside, d, 'precious.txt'), `${d}\n`);
    }
    const before = files(outside);
    const old = join(p.stateDir(), 'store/alpha/0.0.1-deadbeef');
    symlinkSync(join(outside, 'version'), old);
    utimesSync(join(outside, 'version'), new Date(0), new Date(0));
    symlinkSync(join(outside, 'trash'), join(p.stateDir(), 'trash'));
    symlinkSync(join(outside, 'staging'), join(p.stateDir(), 'staging'));
    // An upgrade: beyond keepVersions 2 (1.1.0, and 1.0.0 kept as the previous) the planted version link is pruned.
    p.writeModule('alpha', { version: '1.1.0' });
    p.writeModule('beta', { version: '1.1.0' });
    await p.release();
    const r = await p.apply();
    expect(r.code, show(r)).toBe(0);
    expect(files(outside)).toEqual(before);
    expect(readdirSync(join(outside, 'trash'))).toEqual(['precious.txt']);
    expect(existsSync(old) || lstatExists(old)).toBe(false);
    expect(lstatExists(join(p.stateDir(), 'trash'))).toBe(false);
    expect(lstatExists(join(p.stateDir(), 'staging'))).toBe(false);
    expect(
      readdirSync(join(p.stateDir(), 'store/alpha'))
        .map((n) => n.slice(0, 6))
        .sort(),
    ).toEqual(['1.0.0-', '1.1.0-']);
  });
});

function lstatExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
