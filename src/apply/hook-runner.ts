// The hook-runner seam: a lifecycle hook is a command (run as it is) or a reference (a PHP class, a script name) that a
// runner of the operator config runs. Today's runner starts a local process from an argv template; the Kubernetes
// exec/job runners plug in behind the same interface. The runners are built once from the operator config by a list
// of factories the composition root passes in (runtime/: the local and http ones here, the Kubernetes ones from kube/).
import { InputError } from '../errors.js';
import type { HookPlaceholder, HookRunnerConfig } from '../model/operator-config.js';
import type { Command, HookPoint, HookSpec } from '../model/types.js';
import { type ModuleCommandResult, runModuleCommand } from './module-process.js';
import { httpRunnerFactory } from './runners/http.js';

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
  /** The hook point it runs at. */
  hookPoint?: HookPoint;
  /** The hook context as an object (what `stdin` carries as JSON): module, versions, ring, tenant, operation id, … */
  context?: Record<string, unknown>;
  /**
   * Aborted when the hook must stop now (SIGTERM/SIGINT, the writer lease lost): a runner whose work is not a local
   * process (those are killed by their process group) stops it and resolves.
   */
  signal?: AbortSignal;
}

export type HookRunResult = ModuleCommandResult;

/** Runs hook references; implementations: ArgvRunner (local process), later Kubernetes exec and job runners. */
export interface HookRunner {
  readonly name: string;
  /** What is run, for messages: the template with the invocation's placeholders substituted when given. */
  describe(values?: Record<string, string>): string;
  run(inv: HookInvocation): Promise<HookRunResult>;
  /** Its own timeout (the operator config's), when it has one: it replaces the hook timeout. */
  readonly timeoutMs?: number;
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
      signal: inv.signal,
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

/** What a factory may read besides the runner's config: the environment its secrets come from. */
export interface RunnerFactoryContext {
  env: NodeJS.ProcessEnv;
}

/**
 * Builds a runner from its operator-config form, or says it is not its form (undefined): the registry of runner kinds.
 * A factory that recognises its form but cannot build it (a secret missing) throws an InputError naming the field.
 */
export type RunnerFactory = (
  name: string,
  spec: unknown,
  ctx: RunnerFactoryContext,
) => HookRunner | undefined;

const isArgv = (v: unknown): v is string[] => Array.isArray(v) && v.every((a) => typeof a === 'string');

/** An argv array, or `{argv, cwd?}` with `type` argv or none (exec/job carry an argv too: not theirs to build here). */
export const argvRunnerFactory: RunnerFactory = (name, spec) => {
  if (isArgv(spec)) return new ArgvRunner(name, spec);
  if (spec === null || typeof spec !== 'object' || !('argv' in spec) || !isArgv(spec.argv)) return undefined;
  if ('type' in spec && spec.type !== undefined && spec.type !== 'argv') return undefined;
  const cwd = 'cwd' in spec && typeof spec.cwd === 'string' ? spec.cwd : undefined;
  return new ArgvRunner(name, spec.argv, cwd);
};

/** The runner kinds apply/ knows: a local process and the http POST. runtime/ adds the Kubernetes ones. */
export const RUNNER_FACTORIES: readonly RunnerFactory[] = [argvRunnerFactory, httpRunnerFactory];

/** The operator's runners, built once, with the config that chooses among them (byHook, defaultRunner, commands). */
export interface HookRunners {
  readonly config?: HookRunnerConfig;
  readonly byName: ReadonlyMap<string, HookRunner>;
}

/**
 * Builds every runner of the operator config. A runner no factory builds (`type: exec` without the Kubernetes
 * runners) is an InputError naming it: refused at start, not when a hook first needs it.
 */
export function buildRunners(
  config: HookRunnerConfig | undefined,
  factories: readonly RunnerFactory[] = RUNNER_FACTORIES,
  env: NodeJS.ProcessEnv = process.env,
): HookRunners {
  const byName = new Map<string, HookRunner>();
  for (const [name, spec] of Object.entries(config?.runners ?? {})) {
    let runner: HookRunner | undefined;
    for (const f of factories) {
      runner = f(name, spec, { env });
      if (runner) break;
    }
    if (!runner) {
      const type = !Array.isArray(spec) && typeof spec.type === 'string' ? spec.type : 'argv';
      throw new InputError(
        'operator/runner',
        `hooks.runners.${name}: this ringlock cannot build a runner of type ${type}`,
        { expected: 'a runner of type argv, http, exec or job (exec and job need the Kubernetes runners)' },
      );
    }
    byName.set(name, runner);
  }
  return { config, byName };
}

/** The operator's runners, by name (built by `factories`; kept for callers that need the map only). */
export function runnersFrom(
  config: HookRunnerConfig | undefined,
  factories: readonly RunnerFactory[] = RUNNER_FACTORIES,
  env: NodeJS.ProcessEnv = process.env,
): Map<string, HookRunner> {
  return new Map(buildRunners(config, factories, env).byName);
}

/** A PHP class name with its namespace (`Modules\Orders\App\Lifecycle\OnInstall`): a reference, not a shell command. */
const PHP_CLASS = /^\\?[A-Za-z_][A-Za-z0-9_]*(?:\\[A-Za-z_][A-Za-z0-9_]*)+$/;

export type ResolvedHook =
  | { kind: 'command'; command: Command }
  | { kind: 'reference'; reference: string; runner: HookRunner }
  | { kind: 'unresolved'; reference: string; why: string; fix: string };

/**
 * How a hook runs. A reference's runner: the one the hook names, else the operator's `byHook[point]`, else its
 * defaultRunner, else (for a PHP class name) the runner called `php`. The manifest only chooses among the operator's
 * runners.
 */
export function resolveHook(
  spec: HookSpec,
  runners: ReadonlyMap<string, HookRunner>,
  config: HookRunnerConfig | undefined,
  point?: HookPoint,
): ResolvedHook {
  let reference: string;
  let named: string | undefined;
  if (typeof spec === 'string') {
    if (!PHP_CLASS.test(spec)) return command(spec, config, runners);
    reference = spec;
  } else if (Array.isArray(spec)) return command(spec, config, runners);
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
  const byHook = point === undefined ? undefined : config?.byHook?.[point];
  const name = named ?? byHook ?? config?.defaultRunner ?? php;
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
    fix: `define hooks.runners.${example} in the operator config (--operator-config), e.g. ${example}: ["php", "artisan", "module:hook", "{hook}", "--context", "{contextFile}"]${name === undefined ? ', and hooks.byHook or hooks.defaultRunner' : ''}`,
  };
}

/**
 * A command hook: through the operator's commandRunner when there is one (`{hook}` is the command as one shell
 * string: the app container has PHP, ringlock's has not), else run as it is, unless the operator refuses commands.
 */
function command(
  spec: Command,
  config: HookRunnerConfig | undefined,
  runners: ReadonlyMap<string, HookRunner>,
): ResolvedHook {
  const text = typeof spec === 'string' ? spec : spec.map(shellQuote).join(' ');
  const via = config?.commandRunner;
  if (via !== undefined) {
    // As {hook} it would be an option of a runner's program that is not sh (`php artisan module:hook -x`).
    if (text.startsWith('-'))
      return {
        kind: 'unresolved',
        reference: text,
        why: "a command must not start with '-' (the runner's program would read it as an option)",
        fix: 'give the hook as the command to run, e.g. "php artisan migrate --force"',
      };
    const runner = runners.get(via);
    if (runner) return { kind: 'reference', reference: text, runner };
    return {
      kind: 'unresolved',
      reference: text,
      why: `it is a command and hooks.commandRunner names "${via}", which the operator config does not define`,
      fix: `define hooks.runners.${via} in the operator config, e.g. ${via}: ["sh", "-c", "{hook}"]`,
    };
  }
  if (config?.commands !== 'refuse') return { kind: 'command', command: spec };
  return {
    kind: 'unresolved',
    reference: text,
    why: 'it is a command and the operator config refuses command hooks (hooks.commands: refuse)',
    fix: 'give the hook as a reference to one of the runners of the operator config (a PHP class name, or {"ref": …, "runner": …} in module.json), set hooks.commandRunner to a runner that runs commands (e.g. ["sh", "-c", "{hook}"] in the platform container), or set hooks.commands: allow',
  };
}

/** One argv element for sh: as it is when it has nothing sh would read, else single-quoted. */
export function shellQuote(arg: string): string {
  // No `=`: a first word `A=1` would be an assignment to sh, not the program.
  return /^[A-Za-z0-9_@%+:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}
