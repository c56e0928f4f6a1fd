// The environment module code (lifecycle hooks, health commands) starts from: an allow-list, never the daemon's own
// environment — which holds the git, registry, GitHub and notification credentials.
import { InputError } from '../errors.js';

/** What the operator adds to module code's environment: names copied from ringlock's own, and fixed values. */
export interface ModuleEnvOptions {
  pass?: string[];
  set?: Record<string, string>;
}

/** Copied from ringlock's environment when set: what a shell and a well-behaved program need, nothing that authenticates. */
export const BASE_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR'] as const;

/** Operator-side list of further names to pass (comma or space separated), beside `moduleEnv.pass`. */
export const PASS_ENV_VAR = 'RINGLOCK_MODULE_ENV';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The environment of one module command: the allow-list, then the operator's `pass` names (from `RINGLOCK_MODULE_ENV`
 * and `opts.pass`) and `set` values, then `context` (RINGLOCK_MODULE, … — last, so nothing can forge the operation id
 * crash recovery finds a leftover hook by).
 */
export function moduleEnvironment(
  context: Record<string, string>,
  opts: ModuleEnvOptions = {},
  from: Record<string, string | undefined> = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  const fromEnv = (from[PASS_ENV_VAR] ?? '').split(/[\s,]+/).filter(Boolean);
  for (const name of [
    ...BASE_ENV,
    ...checkNames(fromEnv, PASS_ENV_VAR),
    ...checkNames(opts.pass ?? [], 'moduleEnv.pass'),
  ]) {
    const v = from[name];
    if (v !== undefined) env[name] = v;
  }
  for (const [name, v] of Object.entries(opts.set ?? {})) {
    checkNames([name], 'moduleEnv.set');
    if (v.includes('\0')) {
      throw new InputError('config/module-env', `moduleEnv.set.${name} contains a NUL byte`, {
        expected: 'a value without NUL bytes',
      });
    }
    env[name] = v;
  }
  return Object.assign(env, context);
}

function checkNames(names: string[], where: string): string[] {
  for (const n of names) {
    if (!NAME.test(n)) {
      throw new InputError(
        'config/module-env',
        `${where}: ${JSON.stringify(n.slice(0, 100))} is not a variable name`,
        {
          expected: 'names like MY_VAR (letters, digits, _)',
        },
      );
    }
  }
  return names;
}
