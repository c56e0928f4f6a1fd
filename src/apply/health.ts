// Health checks after a switch: an HTTP URL (2xx, or the status the module expects) or a command, polled until it
// passes or the timeout runs out. A command runs like a hook: minimal environment, its own process group.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { healthCheckOf } from '../model/manifest.js';
import type { ModuleManifest } from '../model/types.js';
import { type ModuleEnvOptions, moduleEnvironment } from './module-env.js';
import { runModuleCommand } from './module-process.js';

export interface HealthSpec {
  url?: string;
  command?: string | string[];
  expectStatus?: number;
  timeoutMs: number;
  intervalMs: number;
}

export interface HealthResult {
  healthy: boolean;
  attempts: number;
  /** Why the last attempt failed. */
  reason?: string;
  /** The wait was cut short by the signal before the check passed. */
  aborted?: boolean;
}

const REQUEST_DEADLINE_MS = 5000;

/** The check for a module: its own healthCheck, resolved against the base URL given by config or flag. Undefined: none. */
export function healthSpecFor(
  manifest: ModuleManifest,
  defaults: {
    baseUrl?: string;
    url?: string;
    command?: string | string[];
    timeoutMs: number;
    intervalMs: number;
  },
  parseMs: (d: string) => number,
): HealthSpec | undefined {
  // A string healthCheck (SeptemCore) is a path, resolved against the base URL, or a URL: no credentials either way.
  const hc = healthCheckOf(manifest);
  const timeoutMs = hc?.timeout ? parseMs(hc.timeout) : defaults.timeoutMs;
  const intervalMs = hc?.interval ? parseMs(hc.interval) : defaults.intervalMs;
  if (hc?.command) return { command: hc.command, timeoutMs, intervalMs };
  if (hc?.http?.url) return { url: hc.http.url, expectStatus: hc.http.expectStatus, timeoutMs, intervalMs };
  // '//host/x' would resolve to another host: the schema refuses it, and it is never resolved here either.
  if (hc?.http?.path && defaults.baseUrl && !hc.http.path.startsWith('//')) {
    return {
      url: new URL(hc.http.path, defaults.baseUrl).toString(),
      expectStatus: hc.http.expectStatus,
      timeoutMs,
      intervalMs,
    };
  }
  // No check of its own that can run here (an http.path needs a base URL): the platform-wide one, if any.
  if (defaults.command) return { command: defaults.command, timeoutMs, intervalMs };
  if (defaults.url) return { url: defaults.url, timeoutMs, intervalMs };
  return undefined;
}

/**
 * Why the module's own health check cannot run here, when it cannot: a path (SeptemCore's string healthCheck, or
 * `http.path`) with no health base URL set. A warning on the module's result, code health/unresolved; not a failure.
 */
export function unresolvedHealthWarning(
  manifest: ModuleManifest,
  defaults: { baseUrl?: string; url?: string; command?: string | string[] },
): string | undefined {
  const hc = healthCheckOf(manifest);
  const path = hc?.http?.path;
  if (path === undefined || hc?.command || hc?.http?.url || defaults.baseUrl) return undefined;
  const instead =
    defaults.command || defaults.url ? 'the platform-wide health check runs instead' : 'no health check runs';
  return `its healthCheck ${JSON.stringify(path)} is not probed: no health base URL is set (--health-url, RINGLOCK_HEALTH_URL or health.baseUrl); ${instead} [health/unresolved]`;
}

function probeUrl(url: string, expect: number | undefined, deadlineMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(
      url,
      { method: 'GET', timeout: deadlineMs },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        const ok = expect !== undefined ? code === expect : code >= 200 && code < 300;
        resolve(ok ? undefined : `HTTP ${code}`);
      },
    );
    // A whole-request deadline, not only the socket's idle timeout: a server that trickles bytes is unhealthy too.
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${deadlineMs} ms`)), deadlineMs);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${deadlineMs} ms`)));
    req.on('error', (e) => resolve(e.message));
    req.end();
  });
}

async function probeCommand(
  command: string | string[],
  cwd: string,
  deadlineMs: number,
  env: Record<string, string>,
  signal?: AbortSignal,
  user?: { uid: number; gid: number },
): Promise<string | undefined> {
  try {
    const r = await runModuleCommand(command, { cwd, env, timeoutMs: deadlineMs, signal, user, reap: true });
    if (r.timedOut) return `no answer within ${deadlineMs} ms`;
    if (r.code === 0 && !r.aborted) return undefined;
    return r.signal ? `killed (${r.signal})` : `exit ${r.code}`;
  } catch (e) {
    return (e as Error).message;
  }
}

/** How module code is run by a command health check: the operator's additions and the module's context. */
export interface HealthRunOptions {
  moduleEnv?: ModuleEnvOptions;
  /** RINGLOCK_MODULE, … for the command. */
  context?: Record<string, string>;
}

export async function waitHealthy(
  spec: HealthSpec,
  cwd: string,
  signal?: AbortSignal,
  run: HealthRunOptions = {},
): Promise<HealthResult> {
  const env = spec.command ? moduleEnvironment(run.context ?? {}, run.moduleEnv) : {};
  const deadline = Date.now() + spec.timeoutMs;
  let attempts = 0;
  let reason: string | undefined;
  /** The last failure that was an answer (or a full-length wait), not a probe the remaining budget cut short. */
  let answered: string | undefined;
  for (;;) {
    attempts++;
    const left = Math.max(1, deadline - Date.now());
    const budget = Math.min(left, REQUEST_DEADLINE_MS);
    reason = spec.url
      ? await probeUrl(spec.url, spec.expectStatus, budget)
      : await probeCommand(
          spec.command!,
          cwd,
          Math.min(left, REQUEST_DEADLINE_MS),
          env,
          signal,
          run.moduleEnv?.user,
        );
    if (reason === undefined) return { healthy: true, attempts };
    if (signal?.aborted) return { healthy: false, attempts, reason, aborted: true };
    // A last probe given only the few milliseconds left says nothing of the module: the answer before it does.
    const cutShort = budget < REQUEST_DEADLINE_MS && reason === `no answer within ${budget} ms`;
    if (!cutShort) answered = reason;
    if (Date.now() + spec.intervalMs > deadline) {
      return {
        healthy: false,
        attempts,
        reason: `${cutShort && answered ? answered : reason} (after ${attempts} attempts in ${spec.timeoutMs} ms)`,
      };
    }
    await sleep(spec.intervalMs, signal);
    if (signal?.aborted) return { healthy: false, attempts, reason, aborted: true };
  }
}

/** Waits `ms`, or less when the signal fires. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
