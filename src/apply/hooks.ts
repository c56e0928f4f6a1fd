// Lifecycle hooks from module.json, run as child processes with the operation's context as JSON on stdin, in a context
// file ({contextFile}, RINGLOCK_CONTEXT_FILE) and as env vars (on top of the minimal environment of module-env.ts, never
// ringlock's own). A command runs as it is; a reference runs through one of the operator's runners (hook-runner.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { OperationFailed } from '../errors.js';
import type { HookPoint, ModuleManifest } from '../model/types.js';
import type { HookRun } from '../state/types.js';
import { writeContextFile } from './hook-context.js';
import { ArgvRunner, type HookRunners, type HookRunResult, resolveHook } from './hook-runner.js';
import { type ModuleEnvOptions, moduleEnvironment } from './module-env.js';
import { killRunningModuleCommands, runModuleCommand } from './module-process.js';

export type HookName = HookPoint;

export interface HookContext {
  module: string;
  operation: string;
  fromVersion: string | null;
  toVersion: string;
  /** The directory of the version the hook comes from, in the store: the hook's working directory. */
  sourcePath: string;
  manifest: ModuleManifest;
  /** Id of the operation (journal and history), passed to the hook as RINGLOCK_OPERATION_ID. */
  operationId?: string;
  ring?: string;
  /** The git commit of the lock being applied, when known. */
  commit?: string;
  actor?: string;
  /** For the per-tenant hooks (onEnable, onDisable): the tenant it runs for. */
  tenant?: string;
  /** Called with the hook's process group id once it runs. */
  onSpawn?: (pgid: number) => void;
  /** Called once the hook ran (or failed to start), before its outcome is returned or thrown: the audit record. */
  onResult?: (r: HookRun) => void;
}

/** How hooks run: the operator's choices. */
export interface HookOptions {
  timeoutMs: number;
  moduleEnv?: ModuleEnvOptions;
  /** The operator's runners, built once (runtime/); without them a reference cannot run. */
  runners?: HookRunners;
}

export interface HookResult {
  ran: boolean;
  durationMs: number;
  /** The last lines of output, for the audit record and messages. */
  output: string;
}

const TAIL = 4000;

/** The hooks running now, each with the controller that stops a runner whose work is not a local process. */
const running = new Map<AbortController, Promise<unknown> | undefined>();

/**
 * Stops every running hook and health command: local ones by their whole process group, remote ones (http, exec, job)
 * through their AbortSignal (on SIGTERM/SIGINT and when the writer lease is lost: module code must not outlive the
 * apply that started it).
 */
/** Set once the process is about to exit (a one-shot command stopped by a signal): no hook's outcome is recorded. */
let exiting = false;

/**
 * For a one-shot command stopped by SIGTERM/SIGINT: stops every running hook like killRunningHooks, and from now on no
 * hook starts and no stopped hook's outcome goes on to the engine — the operation stays in the journal for the next
 * run to recover, as when the process dies at once. Resolves when the remote hooks are stopped.
 */
export function stopHooksForExit(): Promise<void> {
  exiting = true;
  return killRunningHooks();
}

/** Never settles: what the engine would do next (record a failure, roll back) is left to recovery. */
const parked = (): Promise<never> => new Promise<never>(() => {});

export function killRunningHooks(): Promise<void> {
  killRunningModuleCommands();
  const settling: Promise<unknown>[] = [];
  for (const [c, run] of running) {
    c.abort(new Error('ringlock is stopping (signal or writer lease lost)'));
    if (run) settling.push(run);
  }
  // A remote runner stops its work asynchronously (a second exec that kills, a Job deleted): a caller about to exit
  // waits for this (bounded) so that the work does not outlive it.
  return Promise.allSettled(settling).then(() => undefined);
}

/** The hook's description in messages: `onInstall of orders 1.0.0 (php artisan module:hook Modules\…\OnInstall)`. */
function describeHook(hook: HookName, ctx: HookContext, detail: string | undefined): string {
  const tenant = ctx.tenant === undefined ? '' : ` for tenant ${ctx.tenant}`;
  return `${hook} of ${ctx.module} ${ctx.toVersion}${tenant}${detail ? ` (${detail})` : ''}`;
}

/**
 * The hooks of `manifest` among `points` that no runner of the operator config can run: each as a message naming the
 * hook and the fix. Checked before anything changes.
 */
export function unresolvedHooks(
  module: string,
  version: string,
  manifest: ModuleManifest,
  points: readonly HookName[],
  runners: HookRunners | undefined,
): string[] {
  const map = runners?.byName ?? new Map();
  const out: string[] = [];
  for (const point of points) {
    const spec = manifest.lifecycle?.[point];
    if (spec === undefined) continue;
    const r = resolveHook(spec, map, runners?.config, point);
    if (r.kind === 'unresolved')
      out.push(`lifecycle.${point} of ${module} ${version} (${r.reference}) cannot run: ${r.why}; ${r.fix}`);
  }
  return out;
}

/** Runs `hook` of the manifest if it has one. A non-zero exit, a signal or the timeout throws OperationFailed. */
export async function runHook(hook: HookName, ctx: HookContext, opts: HookOptions): Promise<HookResult> {
  const spec = ctx.manifest.lifecycle?.[hook];
  if (spec === undefined) return { ran: false, durationMs: 0, output: '' };
  const resolved = resolveHook(spec, opts.runners?.byName ?? new Map(), opts.runners?.config, hook);
  if (resolved.kind === 'unresolved') {
    // Recorded like a hook that could not start: the audit record says which hook stopped the operation.
    ctx.onResult?.({
      hook,
      ...(ctx.tenant !== undefined ? { tenant: ctx.tenant } : {}),
      exit: null,
      durationMs: 0,
      output: `${resolved.why}; ${resolved.fix}`.slice(-TAIL),
    });
    throw new OperationFailed(
      'hook/no-runner',
      `${describeHook(hook, ctx, resolved.reference)} cannot run: ${resolved.why}`,
      { expected: resolved.fix },
    );
  }
  const { onSpawn, onResult, ...rest } = ctx;
  const context = { ...rest, hook, hookPoint: hook };
  const user = opts.moduleEnv?.user;
  const ctxFile = writeContextFile(context, user);
  const env = moduleEnvironment(
    {
      RINGLOCK_MODULE: ctx.module,
      RINGLOCK_OPERATION: ctx.operation,
      RINGLOCK_FROM_VERSION: ctx.fromVersion ?? '',
      RINGLOCK_TO_VERSION: ctx.toVersion,
      RINGLOCK_SOURCE_PATH: ctx.sourcePath,
      RINGLOCK_HOOK: hook,
      RINGLOCK_OPERATION_ID: ctx.operationId ?? '',
      RINGLOCK_CONTEXT_FILE: ctxFile.file,
      RINGLOCK_RING: ctx.ring ?? '',
      RINGLOCK_COMMIT: ctx.commit ?? '',
      ...(ctx.tenant !== undefined ? { RINGLOCK_TENANT: ctx.tenant } : {}),
    },
    opts.moduleEnv,
  );
  const values = {
    hook: resolved.kind === 'reference' ? resolved.reference : '',
    contextFile: ctxFile.file,
    hookPoint: hook,
    module: ctx.module,
    fromVersion: ctx.fromVersion ?? '',
    toVersion: ctx.toVersion,
    sourcePath: ctx.sourcePath,
    ring: ctx.ring ?? '',
    tenant: ctx.tenant ?? '',
    operationId: ctx.operationId ?? '',
  };
  // A reference's runner as it runs: `php artisan module:hook Modules\…\OnInstall --context /tmp/…/context.json`.
  const detail =
    resolved.kind === 'reference'
      ? resolved.runner.describe(values)
      : typeof resolved.command === 'string'
        ? undefined
        : resolved.command[0];
  const what = describeHook(hook, ctx, detail);
  const stdin = JSON.stringify(context);
  const timeoutMs = (resolved.kind === 'reference' ? resolved.runner.timeoutMs : undefined) ?? opts.timeoutMs;
  const abort = new AbortController();
  if (exiting) return parked();
  let r: HookRunResult;
  try {
    const run =
      resolved.kind === 'reference'
        ? resolved.runner.run({
            reference: resolved.reference,
            values,
            cwd: ctx.sourcePath,
            env,
            stdin,
            timeoutMs,
            keepOutput: TAIL,
            onSpawn,
            user,
            hookPoint: hook,
            context: { ...context, reference: resolved.reference },
            signal: abort.signal,
          })
        : runModuleCommand(resolved.command, {
            cwd: ctx.sourcePath,
            env,
            timeoutMs: opts.timeoutMs,
            stdin,
            keepOutput: TAIL,
            onSpawn,
            user,
          });
    // A local process dies with its group at once (killRunningModuleCommands): only remote work is waited for.
    running.set(
      abort,
      resolved.kind === 'reference' && !(resolved.runner instanceof ArgvRunner) ? run : undefined,
    );
    r = await run;
    if (exiting) return parked();
  } catch (e) {
    if (exiting) return parked();
    onResult?.({
      hook,
      ...(ctx.tenant !== undefined ? { tenant: ctx.tenant } : {}),
      exit: null,
      durationMs: 0,
      output: (e as Error).message.slice(-TAIL),
    });
    throw new OperationFailed('hook/failed', `${what} could not start: ${(e as Error).message}`, {
      cause: e,
    });
  } finally {
    running.delete(abort);
    ctxFile.dispose();
  }
  onResult?.({
    hook,
    ...(ctx.tenant !== undefined ? { tenant: ctx.tenant } : {}),
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

/** The hook before the switch of an operation: first install, upgrade (newer), downgrade (older), or reinstall. */
export function hookFor(op: string): HookName {
  if (op === 'install') return 'onInstall';
  if (op === 'rollback') return 'onDowngrade';
  return 'onUpgrade';
}
