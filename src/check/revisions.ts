// The git side of `ringlock check`: which commits are compared, what changed between them, and what the base
// branch's history says (reverts, earlier pins). File contents at a commit are read through src/check/snapshot.ts.
import { realpathSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { InputError } from '../errors.js';
import { GitCommandError, git } from '../git/cli.js';
import { findEarlierPin } from '../git/history.js';
import type { LockEntry } from '../model/types.js';
import { samePin } from '../rules/promotion.js';
import type { CheckContext } from './context.js';

/** The paths the change adds, modifies or deletes (renames as a delete and an add). */
export async function changedPaths(repoDir: string, base: string, head: string): Promise<string[]> {
  const out = await git(['diff-tree', '-r', '-z', '--no-renames', '--name-only', base, head], {
    cwd: repoDir,
  });
  return out.split('\0').filter(Boolean);
}

/**
 * The modules under the modules folder at head: module name (the lowercase folder path) → the folder path as it is
 * (AutoCom's Modules/Orders is "orders" → "Orders"). A folder is a module when it holds one of `manifestFiles`.
 */
export async function moduleNames(
  repoDir: string,
  head: string,
  modulesDir: string,
  manifestFiles: readonly string[],
): Promise<Map<string, string>> {
  const out = await git(['ls-tree', '-r', '-z', '--name-only', '--full-tree', head, '--', `${modulesDir}/`], {
    cwd: repoDir,
  });
  const names = new Map<string, string>();
  for (const path of out.split('\0')) {
    const file = manifestFiles.find((f) => path.endsWith(`/${f}`));
    if (file === undefined) continue;
    const dir = moduleOf(modulesDir, path);
    if (dir !== undefined && path === `${modulesDir}/${dir}/${file}`) names.set(dir.toLowerCase(), dir);
  }
  return new Map([...names].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The module folders directly under the modules folder at head (and under its @scope folders): name → folder path. */
export async function moduleFolders(
  repoDir: string,
  head: string,
  modulesDir: string,
): Promise<Map<string, string>> {
  const trees = async (dir: string) =>
    (await git(['ls-tree', '-z', '--full-tree', head, '--', `${dir}/`], { cwd: repoDir }).catch(() => ''))
      .split('\0')
      .filter((l) => l.includes(' tree '))
      .map((l) => l.slice(l.indexOf('\t') + 1).slice(dir === '.' ? 0 : dir.length + 1));
  const out = new Map<string, string>();
  for (const name of await trees(modulesDir)) {
    if (name.startsWith('@'))
      for (const sub of await trees(`${modulesDir}/${name}`))
        out.set(`${name}/${sub}`.toLowerCase(), `${name}/${sub}`);
    else out.set(name.toLowerCase(), name);
  }
  return out;
}

/**
 * Why a ring downgrade counts as a rollback: a label, --allow, or a commit in the change that reverts a commit of
 * the base branch (`git revert`'s "This reverts commit X", X an ancestor of the base) or carries a `Revert:` or
 * `Ringlock-Rollback:` trailer — a real trailer, in the message's last paragraph as git parses it, not any line.
 */
export async function rollbackReason(ctx: CheckContext): Promise<string | undefined> {
  if (ctx.rollback || ctx.rollbackLooked) return ctx.rollback;
  ctx.rollbackLooked = true;
  const log = await git(
    ['log', '--format=%H%x1f%(trailers:only,unfold)%x1f%B%x1e', `${ctx.base}..${ctx.head}`],
    { cwd: ctx.repoDir },
  );
  for (const rec of log.split('\x1e')) {
    const [sha, trailers, body] = rec.trim().split('\x1f');
    if (!sha || trailers === undefined || body === undefined) continue;
    const reverts = /^This reverts commit ([0-9a-f]{7,64})/m.exec(body);
    if (reverts && (await isAncestor(ctx.repoDir, reverts[1]!, ctx.base))) {
      ctx.rollback = `commit ${sha.slice(0, 12)} reverts ${reverts[1]!.slice(0, 12)}`;
      break;
    }
    // A Revert trailer, or the one `ringlock revert` writes.
    const trailer = /^(Revert|Ringlock-Rollback):[ \t]*\S/im.exec(trailers);
    if (trailer) {
      ctx.rollback = `commit ${sha.slice(0, 12)} has a ${trailer[1]} trailer`;
      break;
    }
  }
  return ctx.rollback;
}

/** Whether the lock at `lockPath` pinned exactly `entry` (version, content hash, integrity) on the base history. */
export async function pinRanBefore(
  ctx: CheckContext,
  lockPath: string,
  module: string,
  entry: LockEntry,
): Promise<boolean> {
  ctx.stats.historyWalks++;
  const earlier = await findEarlierPin({
    repoDir: ctx.repoDir,
    ref: ctx.base,
    lockPath,
    module,
    wanted: (e) => samePin(e, entry),
  });
  return earlier !== undefined;
}

/** The module a repo-relative path belongs to: modules/<name>/… or modules/@scope/<name>/…; hidden folders are not modules. */
export function moduleOf(modulesDir: string, path: string): string | undefined {
  const prefix = modulesDir === '.' ? '' : `${modulesDir}/`;
  if (!path.startsWith(prefix)) return undefined;
  const parts = path.slice(prefix.length).split('/');
  const scoped = parts[0]?.startsWith('@');
  const n = scoped ? 2 : 1;
  if (parts.length <= n || parts.slice(0, n).some((s) => s.startsWith('.') || s === '')) return undefined;
  if (scoped && parts[0] === '@') return undefined;
  return parts.slice(0, n).join('/');
}

export async function repoRoot(cwd: string): Promise<string> {
  try {
    return (await git(['rev-parse', '--show-toplevel'], { cwd })).trim();
  } catch (e) {
    if (e instanceof GitCommandError)
      throw new InputError('check/not-a-repository', `${cwd} is not inside a git repository`, {
        expected:
          'a clone of the platform repository (ringlock check reads both sides of the change from git)',
      });
    throw e;
  }
}

export function startDir(repoDir: string, cwd: string): string {
  let rel: string;
  try {
    rel = relative(realpathSync(repoDir), realpathSync(cwd));
  } catch {
    rel = '';
  }
  const p = rel.split(sep).join('/');
  return p === '' || p.startsWith('..') ? '.' : p;
}

export async function resolveCommit(repoDir: string, ref: string, flag: string): Promise<string> {
  if (ref.startsWith('-') || /[\0\n]/.test(ref))
    throw new InputError('cli/usage', `${flag} ${JSON.stringify(ref)} is not a git revision`, {
      expected: 'a branch, tag or commit sha',
    });
  try {
    return (
      await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], { cwd: repoDir })
    ).trim();
  } catch (e) {
    if (!(e instanceof GitCommandError)) throw e;
    throw new InputError('check/unknown-revision', `${flag} ${ref}: no such commit in this clone`, {
      expected:
        'a branch, tag or commit the clone has (in GitHub Actions: actions/checkout with fetch-depth: 0)',
    });
  }
}

export async function mergeBase(repoDir: string, a: string, b: string, shown: string): Promise<string> {
  try {
    return (await git(['merge-base', a, b], { cwd: repoDir })).trim();
  } catch (e) {
    if (!(e instanceof GitCommandError)) throw e;
    throw new InputError(
      'check/no-merge-base',
      `${shown} and the head have no common ancestor in this clone`,
      {
        expected: 'the base branch fetched with its history (actions/checkout with fetch-depth: 0)',
      },
    );
  }
}

/** `merge`'s first parent when it is a two-parent merge whose second parent is `second`; else undefined. */
export async function firstParentOfMerge(
  repoDir: string,
  merge: string,
  second: string,
): Promise<string | undefined> {
  const [, first, other, ...more] = (await git(['rev-list', '--parents', '-n', '1', merge], { cwd: repoDir }))
    .trim()
    .split(' ');
  return first && other?.toLowerCase() === second.toLowerCase() && more.length === 0 ? first : undefined;
}

/** The merge base of head with the remote's default branch (origin/HEAD, else origin/main or origin/master). */
export async function defaultBase(repoDir: string, head: string): Promise<string> {
  const candidates: string[] = [];
  try {
    candidates.push((await git(['symbolic-ref', '-q', 'refs/remotes/origin/HEAD'], { cwd: repoDir })).trim());
  } catch {
    // No origin/HEAD: try the usual names.
  }
  candidates.push('refs/remotes/origin/main', 'refs/remotes/origin/master');
  for (const ref of candidates) {
    try {
      const sha = (
        await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: repoDir })
      ).trim();
      if (sha) return await mergeBase(repoDir, sha, head, ref.replace(/^refs\/remotes\//, ''));
    } catch (e) {
      if (e instanceof InputError) throw e;
    }
  }
  throw new InputError(
    'check/no-base',
    'no --base given and no remote default branch (origin/HEAD, origin/main) found',
    {
      expected: '--base <ref>, e.g. --base main (or "git remote set-head origin --auto")',
    },
  );
}

/** Whether `rev` names a commit that is an ancestor of (or is) `of`; false for what the clone does not have. */
export async function isAncestor(repoDir: string, rev: string, of: string): Promise<boolean> {
  try {
    const sha = (
      await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], { cwd: repoDir })
    ).trim();
    await git(['merge-base', '--is-ancestor', sha, of], { cwd: repoDir });
    return true;
  } catch (e) {
    if (e instanceof GitCommandError) return false;
    throw e;
  }
}

export async function isShallow(repoDir: string): Promise<boolean> {
  return (await git(['rev-parse', '--is-shallow-repository'], { cwd: repoDir })).trim() === 'true';
}
