// The hook-runner seam: a lifecycle hook is a command (run as it is) or a reference (a PHP class, a script name) that a
// runner of the operator config runs. Today's runner starts a local process from an argv template; the Kubernetes
// exec/job runners plug in behind the same interface.
import type { HookPlaceholder, HookRunnerConfig } from '../model/operator-config.js';
import type { Command, HookSpec } from '../model/types.js';
import { type ModuleCommandResult, runModuleCommand } from './module-process.js';

/** One run of a hook through a runner: what it runs, with which context, where. */
export interface HookInvocation {
  /** The reference as the manifest gives it: `{hook}`. */
  reference: string;
  /** Every placeholder's value (`{contextFile}`, `{module}`, …). */
  values: Record<HookPlaceholder, string>;
  cwd: string;
  env: Record<string, string>;
  stdin: string;
  timeoutMs: number;
  keepOutput: number;
  onSpawn?: (pgid: number) => void;
  user?: { uid: number; gid: number };
}

export type HookRunResult = ModuleCommandResult;

/** Runs hook references; implementations: ArgvRunner (local process), later Kubernetes exec and job runners. */
export interface HookRunner {
  readonly name: string;
  /** What is run, for messages: the template with the invocation's placeholders substituted when given. */
  describe(values?: Record<string, string>): string;
  run(inv: HookInvocation): Promise<HookRunResult>;
}

/** A runner that starts a local process from the operator's argv; placeholders are whole elements, never a shell. */
export class ArgvRunner implements HookRunner {
  constructor(
    readonly name: string,
    private readonly argv: readonly string[],
    /** Where it runs (the operator's `cwd`, e.g. the app root holding artisan); default: the module's store tree. */
    private readonly cwd?: string,
  ) {}

  describe(values: Record<string, string> = {}): string {
    return substitute(this.argv, values).join(' ');
  }

  run(inv: HookInvocation): Promise<HookRunResult> {
    return runModuleCommand(substitute(this.argv, inv.values), {
      cwd: this.cwd ?? inv.cwd,
      env: inv.env,
      timeoutMs: inv.timeoutMs,
      stdin: inv.stdin,
      keepOutput: inv.keepOutput,
      onSpawn: inv.onSpawn,
      user: inv.user,
    });
  }
}

/** The argv with each element that is exactly `{name}` of a known placeholder replaced by its value. */
export function substitute(argv: readonly string[], values: Record<string, string>): string[] {
  return argv.map((a) => {
    const m = /^\{([A-Za-z]+)\}$/.exec(a);
    return m && Object.hasOwn(values, m[1]!) ? values[m[1]!]! : a;
  });
}

/**
 * Builds a runner from its operator-config form, or says it is not its form: the registry of runner kinds. An argv
 * array is a local process today; the Kubernetes exec and job runners add their factories here.
 */
export type RunnerFactory = (name: string, spec: unknown) => HookRunner | undefined;

const isArgv = (v: unknown): v is string[] => Array.isArray(v) && v.every((a) => typeof a === 'string');

export const RUNNER_FACTORIES: readonly RunnerFactory[] = [
  (name, spec) => (isArgv(spec) ? new ArgvRunner(name, spec) : undefined),
  (name, spec) => {
    if (spec === null || typeof spec !== 'object' || !('argv' in spec) || !isArgv(spec.argv))
      return undefined;
    const cwd = 'cwd' in spec && typeof spec.cwd === 'string' ? spec.cwd : undefined;
    return new ArgvRunner(name, spec.argv, cwd);
  },
];

/** The operator's runners, by name. */
export function runnersFrom(
  config: HookRunnerConfig | undefined,
  factories: readonly RunnerFactory[] = RUNNER_FACTORIES,
): Map<string, HookRunner> {
  const out = new Map<string, HookRunner>();
  for (const [name, spec] of Object.entries(config?.runners ?? {})) {
    const runner = factories.map((f) => f(name, spec)).find((r) => r !== undefined);
    if (runner) out.set(name, runner);
  }
  return out;
}

/** A PHP class name with its namespace (`Modules\Orders\App\Lifecycle\OnInstall`): a reference, not a shell command. */
const PHP_CLASS = /^\\?[A-Za-z_][A-Za-z0-9_]*(?:\\[A-Za-z_][A-Za-z0-9_]*)+$/;

export type ResolvedHook =
  | { kind: 'command'; command: Command }
  | { kind: 'reference'; reference: string; runner: HookRunner }
  | { kind: 'unresolved'; reference: string; why: string; fix: string };

/**
 * How a hook runs. A reference's runner: the one the hook names, else the operator's defaultRunner, else (for a PHP
 * class name) the runner called `php`. The manifest only chooses among the operator's runners.
 */
export function resolveHook(
  spec: HookSpec,
  runners: ReadonlyMap<string, HookRunner>,
  config: HookRunnerConfig | undefined,
): ResolvedHook {
  let reference: string;
  let named: string | undefined;
  if (typeof spec === 'string') {
    if (!PHP_CLASS.test(spec)) return command(spec, config);
    reference = spec;
  } else if (Array.isArray(spec)) return command(spec, config);
  else {
    reference = spec.ref;
    named = spec.runner;
    // As {hook} it would be an option of the runner's program (`php artisan module:hook --force`), not a reference.
    if (reference.startsWith('-'))
      return {
        kind: 'unresolved',
        reference,
        why: "a reference must not start with '-' (the runner's program would read it as an option)",
        fix: 'name the hook by what the runner runs (a class, a script name), without a leading -',
      };
  }
  const php = PHP_CLASS.test(reference) ? 'php' : undefined;
  const name = named ?? config?.defaultRunner ?? php;
  const runner = name === undefined ? undefined : runners.get(name);
  if (runner) return { kind: 'reference', reference, runner };
  const have = [...runners.keys()];
  const why =
    name === undefined
      ? 'it is a reference and no runner is chosen for it'
      : `it needs the hook runner "${name}", which the operator config does not define${have.length > 0 ? ` (it has: ${have.join(', ')})` : ''}`;
  const example = name ?? 'php';
  return {
    kind: 'unresolved',
    reference,
    why,
    fix: `define hooks.runners.${example} in the operator config (--operator-config), e.g. ${example}: ["php", "artisan", "module:hook", "{hook}", "--context", "{contextFile}"]${name === undefined ? ', and hooks.defaultRunner' : ''}`,
  };
}

/** A command hook: run as it is, unless the operator refuses commands (every hook then goes through a runner). */
function command(spec: Command, config: HookRunnerConfig | undefined): ResolvedHook {
  if (config?.commands !== 'refuse') return { kind: 'command', command: spec };
  return {
    kind: 'unresolved',
    reference: typeof spec === 'string' ? spec : spec.join(' '),
    why: 'it is a command and the operator config refuses command hooks (hooks.commands: refuse)',
    fix: 'give the hook as a reference to one of the runners of the operator config (a PHP class name, or {"ref": …, "runner": …} in module.json), or set hooks.commands: allow in the operator config',
  };
}
