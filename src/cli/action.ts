// The GitHub Action (action.yml: runs.using node24; action-main.ts is the entry scripts/build.mjs bundles into dist/action/):
// the runner passes the inputs as INPUT_* variables; this turns them into one ringlock command line and runs it
// in-process, exactly as `ringlock check [--comment] <args>` or `ringlock promote <args>` would run.
import { resolve } from 'node:path';
import { ExitCode } from '../errors.js';
import { main } from './main.js';
import { processIo } from './output.js';

/** An input as the runner passes it: INPUT_ + the name upper-cased, spaces as underscores (hyphens kept). */
export function input(env: NodeJS.ProcessEnv, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

/** The command line for these inputs, or undefined for an unknown `command` input. */
export function actionArgv(env: NodeJS.ProcessEnv): string[] | undefined {
  // Words split on white space, never through a shell: `args: --allow hotfix` is two arguments, `$(x)` one word.
  const extra = input(env, 'args')
    .split(/\s+/)
    .filter((w) => w !== '');
  const command = input(env, 'command') || 'check';
  if (command === 'check')
    return ['check', ...(input(env, 'comment') === 'true' ? ['--comment'] : []), ...extra];
  if (command === 'promote') return ['promote', ...extra];
  return undefined;
}

export async function runAction(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const argv = actionArgv(env);
  if (!argv) {
    process.stdout.write('::error title=ringlock::unknown command input (expected check or promote)\n');
    return ExitCode.Input;
  }
  // The token input (default: the job's GITHUB_TOKEN) is what check --comment and promote read.
  env.GITHUB_TOKEN = input(env, 'token');
  // working-directory is relative to the checkout, as a step's working-directory is.
  const dir = resolve(env.GITHUB_WORKSPACE ?? process.cwd(), input(env, 'working-directory') || '.');
  try {
    process.chdir(dir);
  } catch {
    process.stdout.write(`::error title=ringlock::working-directory ${JSON.stringify(dir)} does not exist\n`);
    return ExitCode.Input;
  }
  return main(argv, processIo());
}
