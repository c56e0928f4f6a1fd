// Module code as child processes: each command in its own process group, and on a timeout, an abort or shutdown the
// whole group is stopped (SIGTERM, then SIGKILL after a grace) — a shell's background children must not outlive it.
import { spawn } from 'node:child_process';

export interface ModuleCommandOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL of the group (default 2 s). */
  graceMs?: number;
  /** Stops the command (its whole group) early. */
  signal?: AbortSignal;
  /** Written to stdin, then closed; without it stdin is /dev/null. */
  stdin?: string;
  /** Keep the last this many characters of stdout+stderr (default: none, output discarded). */
  keepOutput?: number;
  /** Called with the process group id once the command runs. */
  onSpawn?: (pgid: number) => void;
  /** Run as this user and group (the operator's moduleUser), not as ringlock's own. */
  user?: { uid: number; gid: number };
  /** When the command exits, kill what is left of its group (a probe's background children must not pile up). */
  reap?: boolean;
}

export interface ModuleCommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  output: string;
  durationMs: number;
}

/** Process groups of the module commands running now, so a stopping ringlock can take them down with it. */
const running = new Set<number>();

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // Already gone.
  }
}

/** SIGTERM to the group, SIGKILL to what is left after `graceMs`; resolves once the group is gone or killed. */
export async function stopGroup(pgid: number, graceMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  signalGroup(pgid, 'SIGKILL');
}

/**
 * Stops every running module command's group at once (SIGTERM, SIGKILL after at most `graceMs`). Synchronous: it is
 * called from signal handlers right before the process exits.
 */
export function killRunningModuleCommands(graceMs = 1000): void {
  const groups = [...running];
  running.clear();
  for (const g of groups) signalGroup(g, 'SIGTERM');
  const until = Date.now() + graceMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (groups.some(groupAlive) && Date.now() < until) Atomics.wait(pause, 0, 0, 20);
  for (const g of groups) signalGroup(g, 'SIGKILL');
}

/** Runs `command` (a string: through /bin/sh -c; an array: exec'd) in a new process group. Rejects only if it cannot start. */
export function runModuleCommand(
  command: string | readonly string[],
  o: ModuleCommandOptions,
): Promise<ModuleCommandResult> {
  const [file, args] =
    typeof command === 'string' ? ['/bin/sh', ['-c', command]] : [command[0]!, command.slice(1)];
  const started = Date.now();
  const grace = o.graceMs ?? 2000;
  return new Promise((resolve, reject) => {
    const capture = o.keepOutput !== undefined;
    const child = spawn(file, args, {
      cwd: o.cwd,
      env: o.env,
      stdio: [
        o.stdin !== undefined ? 'pipe' : 'ignore',
        capture ? 'pipe' : 'ignore',
        capture ? 'pipe' : 'ignore',
      ],
      detached: true,
      ...(o.user ? { uid: o.user.uid, gid: o.user.gid } : {}),
    });
    const pgid = child.pid;
    if (pgid !== undefined) {
      running.add(pgid);
      o.onSpawn?.(pgid);
    }
    let output = '';
    const keep = (b: Buffer) => {
      output = (output + b.toString('utf8')).slice(-(o.keepOutput ?? 0));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(o.stdin);
    }
    let timedOut = false;
    let aborted = false;
    let stopping: Promise<void> | undefined;
    const stop = () => {
      if (pgid !== undefined && !stopping) stopping = stopGroup(pgid, grace);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, o.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = () => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      finish();
      if (pgid !== undefined) running.delete(pgid);
      reject(
        o.user && e.code === 'EPERM'
          ? new Error(
              `cannot run as ${o.user.uid}:${o.user.gid} (the operator's moduleUser): ringlock needs root or CAP_SETUID and CAP_SETGID`,
              { cause: e },
            )
          : e,
      );
    });
    // 'exit', not 'close': a command that starts a background service which keeps the pipes open has still finished.
    child.on('exit', async (code, signal) => {
      finish();
      child.stdout?.destroy();
      child.stderr?.destroy();
      // Cut short: wait until the rest of its group is gone too, so nothing of it outlives the result.
      if (stopping) await stopping;
      else if (o.reap && pgid !== undefined) signalGroup(pgid, 'SIGKILL');
      if (pgid !== undefined) running.delete(pgid);
      resolve({ code, signal, timedOut, aborted, output, durationMs: Date.now() - started });
    });
  });
}
