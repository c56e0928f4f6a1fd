// How long a pin has been on a ring's lock, from git history: the soak rule of promotion and of the PR check.
// Walks the lock's first-parent history newest → oldest through one `git cat-file --batch` and stops as soon as every
// asked-for pin's run has begun (or is older than what the caller needs), so the cost grows with the change and the
// soak window, not with the length of the history.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseJsonLoose } from '../model/source.js';
import type { LockEntry, RingLock } from '../model/types.js';
import { type PinAppearance, samePin } from '../rules/promotion.js';
import { BlobReader, GitCommandError } from './cli.js';

export interface PinHistoryOptions {
  /** A checked-out repository (any clone holding `ref`). */
  repoDir: string;
  /** The commit or ref whose history counts: the default branch (origin/main) or a PR's base. */
  ref: string;
  /** Repo-relative path of the lock, '/'-separated. */
  lockPath: string;
  /** module → the pin to date (as the lock at `ref` holds it). */
  pins: ReadonlyMap<string, LockEntry>;
  /** Stop walking once commits are older than this (ms since the epoch): older is old enough for the caller. */
  notBefore?: number;
}

/**
 * For each module in `pins`, the first commit of the unbroken run of commits on `ref`'s first-parent history (merges
 * count when they land, not when a branch was written) in which the lock pins exactly that pin, up to `ref`. A module
 * whose pin is not the one at `ref` gets no entry. Commits that do not touch the lock are skipped by git itself.
 */
export async function pinAppearances(opts: PinHistoryOptions): Promise<Map<string, PinAppearance>> {
  const out = new Map<string, PinAppearance>();
  if (opts.pins.size === 0) return out;
  const open = new Map(opts.pins);
  const reader = new BlobReader(opts.repoDir);
  try {
    let newer: { commit: string; time: number } | undefined;
    for await (const c of lockCommits(opts)) {
      if (open.size === 0) break;
      if (opts.notBefore !== undefined && newer && newer.time < opts.notBefore) {
        // Every run still open reaches back at least this far, which is old enough.
        for (const name of open.keys()) out.set(name, { ...newer, atLeast: true });
        open.clear();
        break;
      }
      const lock = parseJsonLoose<RingLock>(await reader.read(`${c.commit}:${opts.lockPath}`));
      for (const [name, pin] of open) {
        if (!samePin(lock?.modules?.[name], pin)) {
          if (newer) out.set(name, newer);
          open.delete(name);
        }
      }
      newer = c;
    }
    // The run goes back to the lock's first commit.
    if (newer) for (const name of open.keys()) out.set(name, newer);
  } finally {
    reader.close();
  }
  return out;
}

/**
 * The commits on `ref`'s first-parent line that changed the lock, newest first, with committer times — streamed, so
 * a walk that stops early never pays for the rest of the history.
 */
async function* lockCommits(
  opts: Pick<PinHistoryOptions, 'repoDir' | 'ref' | 'lockPath'>,
): AsyncGenerator<{ commit: string; time: number }> {
  const child = spawn('git', ['log', '--first-parent', '--format=%H %ct', opts.ref, '--', opts.lockPath], {
    cwd: opts.repoDir,
    env: { ...process.env, LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let complete = false;
  try {
    for await (const line of createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY })) {
      const [commit, t] = line.split(' ');
      if (commit && t) yield { commit, time: Number(t) * 1000 };
    }
    complete = true;
  } finally {
    if (!complete) child.kill();
  }
  const code = await exited;
  if (code !== 0)
    throw new GitCommandError(`git log: ${stderr.trim()}`, ['log', opts.ref], code, stderr.trim());
}

export interface EarlierPin {
  entry: LockEntry;
  commit: string;
  time: number;
}

/**
 * Walks the lock's first-parent history from `ref` back and returns the first pin of `module` that `wanted` accepts
 * (e.g. the previous distinct version, or a named one), or undefined when history holds none.
 */
export async function findEarlierPin(
  opts: Pick<PinHistoryOptions, 'repoDir' | 'ref' | 'lockPath'> & {
    module: string;
    wanted: (entry: LockEntry) => boolean;
  },
): Promise<EarlierPin | undefined> {
  const reader = new BlobReader(opts.repoDir);
  try {
    for await (const c of lockCommits(opts)) {
      const entry = parseJsonLoose<RingLock>(await reader.read(`${c.commit}:${opts.lockPath}`))?.modules?.[
        opts.module
      ];
      if (entry && typeof entry.version === 'string' && opts.wanted(entry)) return { entry, ...c };
    }
    return undefined;
  } finally {
    reader.close();
  }
}
