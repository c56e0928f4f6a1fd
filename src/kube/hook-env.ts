// What a hook run in the platform's runtime sees of ringlock's hook environment: the RINGLOCK_* values (not the local
// context file, and the source path as that container sees it), never ringlock's own environment.
import type { HookPlaceholder } from '../model/operator-config.js';

/** `{sourcePath}` rewritten from ringlock's target to where the target is mounted in the platform's container. */
export function rewriteSourcePath<T extends Record<string, string>>(
  values: T,
  targetMount: string | undefined,
): T {
  if (targetMount === undefined || values.sourcePath === undefined) return values;
  return { ...values, sourcePath: underMount(values.sourcePath, targetMount) };
}

/** `<target>/.ringlock/store/…` → `<mount>/.ringlock/store/…`; a path outside a target's state dir is kept. */
export function underMount(path: string, targetMount: string): string {
  const i = path.indexOf('/.ringlock/');
  return i < 0 ? path : `${targetMount.replace(/\/+$/, '')}${path.slice(i)}`;
}

/**
 * The largest context passed in RINGLOCK_CONTEXT: one environment string above 128 KiB fails the hook's exec (E2BIG).
 * Above it the variable is not set (exec: stdin still carries the context; job: RINGLOCK_CONTEXT_OMITTED says why).
 */
export const CONTEXT_ENV_MAX = 64 * 1024;

/**
 * The hook context JSON (stdin, RINGLOCK_CONTEXT) as the platform's container sees it: its `sourcePath` rewritten
 * under the mount like `{sourcePath}`, since ringlock's own path does not exist there.
 */
export function remoteContext(stdin: string, targetMount: string | undefined): string {
  if (targetMount === undefined || stdin === '') return stdin;
  let ctx: unknown;
  try {
    ctx = JSON.parse(stdin);
  } catch {
    return stdin;
  }
  if (ctx === null || typeof ctx !== 'object' || Array.isArray(ctx)) return stdin;
  const { sourcePath } = ctx as { sourcePath?: unknown };
  if (typeof sourcePath !== 'string') return stdin;
  return JSON.stringify({ ...ctx, sourcePath: underMount(sourcePath, targetMount) });
}

/** The hook's RINGLOCK_* variables for a remote run: without RINGLOCK_CONTEXT_FILE (a local path). */
export function hookEnv(
  env: Record<string, string>,
  values: Partial<Record<HookPlaceholder, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env))
    if (k.startsWith('RINGLOCK_') && k !== 'RINGLOCK_CONTEXT_FILE') out[k] = v;
  if (values.sourcePath !== undefined && out.RINGLOCK_SOURCE_PATH !== undefined)
    out.RINGLOCK_SOURCE_PATH = values.sourcePath;
  return out;
}
