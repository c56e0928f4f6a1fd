// ringlock wait: polls a daemon's /status (or the target's own state) until the ring runs a commit or a module version;
// exit 0 reached, 1 failed or rolled back (with the reason), 124 timed out (as timeout(1)), 2 bad input.

import { relative, sep } from 'node:path';
import { judgeState, judgeStatus, type RolloutTarget, type Verdict } from '../../daemon/rollout.js';
import { readStatus, statusUrl } from '../../daemon/status-client.js';
import { ExitCode, InputError } from '../../errors.js';
import { GitCommandError, git } from '../../git/cli.js';
import { isSemver } from '../../model/semantics.js';
import { openWorkspace } from '../../source/workspace-dir.js';
import { stringOpt } from '../common.js';
import { splitSpec } from '../imperative.js';
import { msOpt } from '../options.js';
import { json, paint } from '../output.js';
import { maybeWorkspace, resolveRuntime } from '../runtime.js';
import type { CommandContext } from '../spec.js';

/** The exit code of a wait that ran out of time: timeout(1)'s. */
export const WAIT_TIMEOUT = 124;

/** One /status request never takes longer than this, so progress keeps moving against a host that does not answer. */
const REQUEST_MS = 10_000;

export async function run(ctx: CommandContext): Promise<number> {
  const ring = stringOpt(ctx, 'ring');
  if (!ring)
    throw new InputError('cli/usage', 'wait: --ring <ring> is required', { expected: '--ring canary' });
  const target = targetOf(ctx);
  const timeoutMs = msOpt(ctx, 'timeout', 600_000);
  const intervalMs = Math.max(100, msOpt(ctx, 'interval', 2_000));
  const rawUrl = stringOpt(ctx, 'url') ?? process.env.RINGLOCK_STATUS_URL;
  const from = stringOpt(ctx, 'url') !== undefined ? '--url' : 'RINGLOCK_STATUS_URL';
  const url = rawUrl ? statusUrl(rawUrl, from) : undefined;

  let poll: (leftMs: number) => Promise<Verdict>;
  if (url) {
    poll = async (leftMs) => {
      const a = await readStatus(url, Math.min(REQUEST_MS, Math.max(leftMs, 1_000)));
      if (!a.ok) return { phase: 'waiting', detail: `${a.error}; still waiting` };
      if (a.status.ring !== ring)
        throw new InputError(
          'wait/ring',
          `${from} ${url.origin} serves ring "${a.status.ring}", not "${ring}"`,
          {
            expected: `the address of ring ${ring}'s daemon`,
          },
        );
      const s = a.status;
      const runs =
        'commit' in target && s.appliedCommit && s.lockPath
          ? await sameLockAfter(ctx.cwd, target.commit, s.appliedCommit, s.lockPath)
          : undefined;
      return judgeStatus(s, target, runs);
    };
  } else {
    // Locally, --ring must be a ring of ringlock.yaml (when there is one) and the state must be that ring's.
    const ws = maybeWorkspace(ctx, (cwd) => openWorkspace(cwd));
    ws?.ring(ring);
    const lockPath = ws ? `./${relative(ctx.cwd, ws.lockPath(ring)).split(sep).join('/')}` : undefined;
    const rt = resolveRuntime(ctx, ws);
    poll = async () => {
      const state = rt.store.read();
      if (state.ring !== undefined && state.ring !== ring)
        throw new InputError(
          'wait/ring',
          `the target's state belongs to ring "${state.ring}", not "${ring}"`,
          {
            expected: `the target of ring ${ring} (--target), or --ring ${state.ring}`,
          },
        );
      const at = state.lockCommit;
      const runs =
        'commit' in target && at && lockPath
          ? (await sameLockAfter(ctx.cwd, target.commit, at, lockPath)) ||
            (await sameLockAfter(ctx.cwd, at, target.commit, lockPath))
          : undefined;
      return judgeState(ring, state, rt.store.readJournal(), rt.store.history(), target, runs);
    };
  }

  const what = 'commit' in target ? target.commit : `${target.module} ${target.version}`;
  const source = url ? url.href : 'the target state';
  const started = Date.now();
  const deadline = started + timeoutMs;
  const show = progressLine(ctx);
  let verdict: Verdict;
  for (;;) {
    verdict = await poll(deadline - Date.now());
    show(verdict.detail);
    if (verdict.phase !== 'waiting') break;
    const left = deadline - Date.now();
    if (left <= 0) break;
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, left)));
  }
  show.end();
  const elapsedMs = Date.now() - started;
  const result = verdict.phase === 'waiting' ? 'timeout' : verdict.phase;
  const code = result === 'reached' ? ExitCode.Ok : result === 'failed' ? ExitCode.CheckFailed : WAIT_TIMEOUT;
  if (ctx.json) {
    ctx.io.out(
      json({
        ok: code === 0,
        result,
        ring,
        ...target,
        source,
        detail: verdict.detail,
        ...(verdict.reason !== undefined ? { reason: verdict.reason } : {}),
        elapsedMs,
        exitCode: code,
      }),
    );
  } else if (result === 'reached') ctx.io.out(`${paint(ctx.io, 'green', 'reached')}: ${verdict.detail}\n`);
  else if (result === 'failed')
    ctx.io.out(
      `${paint(ctx.io, 'red', 'failed')}: ${what} in ring ${ring}: ${verdict.reason ?? verdict.detail}\n`,
    );
  else
    ctx.io.out(
      `${paint(ctx.io, 'yellow', 'timed out')} after ${Math.round(elapsedMs / 1000)}s waiting for ${what} in ring ${ring} (${source}): ${verdict.detail}\n`,
    );
  return code;
}

const sameLockCache = new Map<string, boolean | undefined>();

/**
 * From the git checkout wait runs in (the CI workspace), if it has both commits: whether `commit` is `applied` or an
 * ancestor of it with the same lock file (its blob). undefined when the checkout cannot tell (no repository, a commit
 * it does not have).
 */
export async function sameLockAfter(
  cwd: string,
  commit: string,
  applied: string,
  lockPath: string,
): Promise<boolean | undefined> {
  // What /status said goes to git only as a commit id (never as something git could read as an option).
  if (!/^[0-9a-fA-F]{4,64}$/.test(applied)) return undefined;
  const key = `${commit} ${applied} ${lockPath}`;
  if (sameLockCache.has(key)) return sameLockCache.get(key);
  let answer: boolean | undefined;
  const opts = { cwd, timeoutMs: 10_000 };
  try {
    const [want, have] = await Promise.all(
      [commit, applied].map((c) => git(['rev-parse', '--verify', '-q', `${c}^{commit}`], opts)),
    );
    try {
      await git(['merge-base', '--is-ancestor', want!.trim(), have!.trim()], opts);
      const [a, b] = await Promise.all(
        [want!, have!].map((c) => git(['rev-parse', '-q', '--verify', `${c.trim()}:${lockPath}`], opts)),
      );
      answer = a!.trim() === b!.trim();
    } catch (e) {
      if (!(e instanceof GitCommandError) || e.exitCode !== 1) throw e;
      answer = false;
    }
  } catch {
    answer = undefined;
  }
  sameLockCache.set(key, answer);
  return answer;
}

/** --commit SHA or --module M@V, exactly one. */
function targetOf(ctx: CommandContext): RolloutTarget {
  const commit = stringOpt(ctx, 'commit');
  const mod = stringOpt(ctx, 'module');
  if ((commit === undefined) === (mod === undefined))
    throw new InputError(
      'cli/usage',
      `wait: give ${commit ? 'only one of' : 'one of'} --commit <sha> and --module <module>@<version>`,
      {
        expected: '--commit 3f2a9c1 or --module orders@1.5.0',
      },
    );
  if (commit !== undefined) {
    if (!/^[0-9a-fA-F]{4,64}$/.test(commit))
      throw new InputError('cli/usage', `--commit ${commit}: not a commit id`, {
        expected: 'a full or abbreviated hexadecimal commit id (at least 4 digits)',
      });
    return { commit: commit.toLowerCase() };
  }
  const [module, version] = splitSpec(mod!);
  if (!version || !isSemver(version))
    throw new InputError(
      'cli/usage',
      `--module ${mod}: give the module and its version as <module>@<version>`,
      {
        expected: `${module}@1.0.0`,
      },
    );
  return { module, version };
}

/** Progress on stderr: one updating line on a terminal, else one line per change. */
function progressLine(ctx: CommandContext): ((line: string) => void) & { end(): void } {
  let last: string | undefined;
  const io = ctx.io;
  const show = (line: string) => {
    if (line === last) return;
    last = line;
    if (io.progress) io.err(`\r\u001b[K${line}`);
    else io.err(`waiting: ${line}\n`);
  };
  return Object.assign(show, {
    end: () => {
      if (io.progress && last !== undefined) io.err('\n');
    },
  });
}
