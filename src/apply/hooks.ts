// Lifecycle hooks from module.json, run as child processes with the operation's context as JSON on stdin and as env vars.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { OperationFailed } from '../errors.js';
import type { Command, ModuleManifest } from '../model/types.js';

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
}

export interface HookResult {
  ran: boolean;
  durationMs: number;
  /** The last lines of output, for the audit record and messages. */
  output: string;
}

const TAIL = 4000;

/** Process groups of the hooks running now, so a stopping ringlock can take them down with it. */
const running = new Set<number>();

/** Kills every running hook's process group (on SIGTERM/SIGINT: a hook must not outlive the apply that started it). */
export function killRunningHooks(): void {
  for (const pgid of running) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  running.clear();
}

/** Runs `hook` of the manifest if it has one. A non-zero exit, a signal or the timeout throws OperationFailed. */
export async function runHook(hook: HookName, ctx: HookContext, timeoutMs: number): Promise<HookResult> {
  const command: Command | undefined = ctx.manifest.lifecycle?.[hook];
  if (command === undefined) return { ran: false, durationMs: 0, output: '' };
  const started = Date.now();
  const [file, args, shell] =
    typeof command === 'string' ? ['/bin/sh', ['-c', command], true] : [command[0]!, command.slice(1), false];
  const env = {
    ...hookEnvironment(),
    RINGLOCK_MODULE: ctx.module,
    RINGLOCK_OPERATION: ctx.operation,
    RINGLOCK_FROM_VERSION: ctx.fromVersion ?? '',
    RINGLOCK_TO_VERSION: ctx.toVersion,
    RINGLOCK_SOURCE_PATH: ctx.sourcePath,
    RINGLOCK_HOOK: hook,
    RINGLOCK_OPERATION_ID: ctx.operationId ?? '',
  };
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: ctx.sourcePath,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    if (child.pid !== undefined) {
      running.add(child.pid);
      ctx.onSpawn?.(child.pid);
    }
    let output = '';
    const keep = (b: Buffer) => {
      output = (output + b.toString('utf8')).slice(-TAIL);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole process group: a shell hook's children must not outlive it.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.stdin.on('error', () => {});
    const { onSpawn: _onSpawn, ...context } = ctx;
    child.stdin.end(JSON.stringify({ ...context, hook }));
    const what = `${hook} of ${ctx.module} ${ctx.toVersion}${shell ? '' : ` (${file})`}`;
    child.on('error', (e) => {
      clearTimeout(timer);
      if (child.pid !== undefined) running.delete(child.pid);
      reject(new OperationFailed('hook/failed', `${what} could not start: ${e.message}`, { cause: e }));
    });
    // 'exit', not 'close': a hook that starts a background service which keeps the pipes open has still finished.
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (child.pid !== undefined) running.delete(child.pid);
      child.stdout.destroy();
      child.stderr.destroy();
      const durationMs = Date.now() - started;
      if (timedOut) {
        reject(
          new OperationFailed('hook/timeout', `${what} timed out after ${timeoutMs} ms`, {
            expected: 'the hook to finish in time',
          }),
        );
      } else if (code !== 0) {
        const last = output.trim().split('\n').slice(-3).join(' | ');
        reject(
          new OperationFailed(
            'hook/failed',
            `${what} failed (${signal ? `signal ${signal}` : `exit ${code}`})${last ? `: ${last}` : ''}`,
          ),
        );
      } else resolve({ ran: true, durationMs, output });
    });
  });
}

/**
 * Stops the process group of a hook a killed ringlock left running — only when it is still that hook (its environment
 * carries the operation id), never a process that happens to reuse the number.
 */
export function killOrphanHook(pgid: number, operationId: string): boolean {
  let env: string;
  try {
    env = readFileSync(`/proc/${pgid}/environ`, 'latin1');
  } catch {
    return false;
  }
  if (!env.split('\0').includes(`RINGLOCK_OPERATION_ID=${operationId}`)) return false;
  try {
    process.kill(-pgid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

/** The hook for an operation: first install, upgrade (newer), downgrade (older), or reinstall (same version). */
export function hookFor(op: string): HookName {
  if (op === 'install') return 'onInstall';
  if (op === 'rollback') return 'onDowngrade';
  return 'onUpgrade';
}

/**
 * The environment a hook inherits: ours without ringlock's own secrets (the git, webhook and API tokens, and
 * whatever variable RINGLOCK_SECRET_ENV lists): module code must not be able to read the daemon's credentials.
 */
function hookEnvironment(): NodeJS.ProcessEnv {
  const extra = new Set((process.env.RINGLOCK_SECRET_ENV ?? '').split(',').filter(Boolean));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      extra.has(k) ||
      k === 'RINGLOCK_SECRET_ENV' ||
      (k.startsWith('RINGLOCK_') && /TOKEN|SECRET|PASSWORD/.test(k))
    )
      continue;
    env[k] = v;
  }
  return env;
}
