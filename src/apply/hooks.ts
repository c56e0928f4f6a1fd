// Lifecycle hooks from module.json, run as child processes with the operation's context as JSON on stdin and as env vars
// (on top of the minimal environment of module-env.ts, never ringlock's own).
import { readdirSync, readFileSync } from 'node:fs';
import { OperationFailed } from '../errors.js';
import type { Command, ModuleManifest } from '../model/types.js';
import type { HookRun } from '../state/types.js';
import { type ModuleEnvOptions, moduleEnvironment } from './module-env.js';
import { killRunningModuleCommands, runModuleCommand } from './module-process.js';

export type HookName = 'onInstall' | 'onUpgrade' | 'onDowngrade' | 'onEnable' | 'onDisable';

export interface HookContext {
  module: string;
  operation: string;
  fromVersion: string | null;
  toVersion: string;
  /** The new version's directory in the store: the hook's working directory. */
  sourcePath: string;
  manifest: ModuleManifest;
  /** Id of the operation (journal and history), passed to the hook as RINGLOCK_OPERATION_ID. */
  operationId?: string;
  /** Called with the hook's process group id once it runs. */
  onSpawn?: (pgid: number) => void;
  /** Called once the hook ran (or failed to start), before its outcome is returned or thrown: the audit record. */
  onResult?: (r: HookRun) => void;
}

export interface HookResult {
  ran: boolean;
  durationMs: number;
  /** The last lines of output, for the audit record and messages. */
  output: string;
}

const TAIL = 4000;

/** Stops every running hook and health command, whole process groups (on SIGTERM/SIGINT: module code must not outlive
 * the apply that started it). */
export function killRunningHooks(): void {
  killRunningModuleCommands();
}

/** Runs `hook` of the manifest if it has one. A non-zero exit, a signal or the timeout throws OperationFailed. */
export async function runHook(
  hook: HookName,
  ctx: HookContext,
  timeoutMs: number,
  moduleEnv?: ModuleEnvOptions,
): Promise<HookResult> {
  const command: Command | undefined = ctx.manifest.lifecycle?.[hook];
  if (command === undefined) return { ran: false, durationMs: 0, output: '' };
  const env = moduleEnvironment(
    {
      RINGLOCK_MODULE: ctx.module,
      RINGLOCK_OPERATION: ctx.operation,
      RINGLOCK_FROM_VERSION: ctx.fromVersion ?? '',
      RINGLOCK_TO_VERSION: ctx.toVersion,
      RINGLOCK_SOURCE_PATH: ctx.sourcePath,
      RINGLOCK_HOOK: hook,
      RINGLOCK_OPERATION_ID: ctx.operationId ?? '',
    },
    moduleEnv,
  );
  const shell = typeof command === 'string';
  const what = `${hook} of ${ctx.module} ${ctx.toVersion}${shell ? '' : ` (${command[0]})`}`;
  const { onSpawn, onResult, ...context } = ctx;
  let r: Awaited<ReturnType<typeof runModuleCommand>>;
  try {
    r = await runModuleCommand(command, {
      cwd: ctx.sourcePath,
      env,
      timeoutMs,
      stdin: JSON.stringify({ ...context, hook }),
      keepOutput: TAIL,
      onSpawn,
      user: moduleEnv?.user,
    });
  } catch (e) {
    onResult?.({ hook, exit: null, durationMs: 0, output: (e as Error).message.slice(-TAIL) });
    throw new OperationFailed('hook/failed', `${what} could not start: ${(e as Error).message}`, {
      cause: e,
    });
  }
  onResult?.({
    hook,
    exit: r.timedOut ? null : r.code,
    ...(r.signal ? { signal: r.signal } : {}),
    ...(r.timedOut ? { timedOut: true as const } : {}),
    durationMs: r.durationMs,
    output: r.output.slice(-TAIL),
  });
  if (r.timedOut) {
    throw new OperationFailed('hook/timeout', `${what} timed out after ${timeoutMs} ms`, {
      expected: 'the hook to finish in time',
    });
  }
  if (r.code !== 0) {
    const last = r.output.trim().split('\n').slice(-3).join(' | ');
    throw new OperationFailed(
      'hook/failed',
      `${what} failed (${r.signal ? `signal ${r.signal}` : `exit ${r.code}`})${last ? `: ${last}` : ''}`,
    );
  }
  return { ran: true, durationMs: r.durationMs, output: r.output };
}

/**
 * Stops the process group of a hook a killed ringlock left running — only when it is still that hook (its environment
 * carries the operation id), never a process that happens to reuse the number.
 */
export function killOrphanHook(pgid: number, operationId: string): boolean {
  const carries = (pid: number | string) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'latin1')
        .split('\0')
        .includes(`RINGLOCK_OPERATION_ID=${operationId}`);
    } catch {
      return false;
    }
  };
  // The leader may have exited (or exec'd with another environment) while the rest of its group runs on.
  if (!carries(pgid) && !groupMembers(pgid).some(carries)) return false;
  try {
    process.kill(-pgid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

/** The processes whose process group is `pgid` (field 5 of /proc/<pid>/stat, after the command name's parenthesis). */
function groupMembers(pgid: number): string[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  return pids.filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid;
    } catch {
      return false;
    }
  });
}

/** The hook for an operation: first install, upgrade (newer), downgrade (older), or reinstall (same version). */
export function hookFor(op: string): HookName {
  if (op === 'install') return 'onInstall';
  if (op === 'rollback') return 'onDowngrade';
  return 'onUpgrade';
}
