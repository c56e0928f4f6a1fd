// The environment module code (lifecycle hooks, health commands) starts from: an allow-list, never the daemon's own
// environment — which holds the git, registry, GitHub and notification credentials.
import { InputError } from '../errors.js';
import type { ModuleEnvPolicy } from '../trust/policy.js';

/** What the operator adds to module code's environment (names copied from ringlock's own, fixed values). */
export type ModuleEnvOptions = Partial<ModuleEnvPolicy>;

/** Copied from ringlock's environment when set: what a shell and a well-behaved program need, nothing that authenticates. */
export const BASE_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR'] as const;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The environment of one module command: the allow-list, then the operator's `pass` names and `set` values (the
 * operator config's `moduleEnv` and RINGLOCK_MODULE_ENV, see cli/operator.ts), then `context` (RINGLOCK_MODULE, … —
 * last, so nothing can forge the operation id crash recovery finds a leftover hook by).
 */
export function moduleEnvironment(
  context: Record<string, string>,
  opts: ModuleEnvOptions = {},
  from: Record<string, string | undefined> = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of [...BASE_ENV, ...checkNames(opts.pass ?? [], 'moduleEnv.pass')]) {
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
