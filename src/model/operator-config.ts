// The operator config: a YAML file the operator mounts outside the repository (--operator-config). It says where
// credentials may go and what module code may see; ringlock.yaml chooses among what it allows.
import { type Diagnostic, InputError } from '../errors.js';
import { throwIfErrors } from './manifest.js';
import { validateSchema } from './schema.js';
import { diagAt } from './semantics.js';
import { parseJsonSource, parseYamlSource, type SourceDoc } from './source.js';

export interface OperatorConfig {
  apiVersion: 'ringlock/v1';
  kind: 'OperatorConfig';
  allowedHosts?: string[];
  credentials?: Record<string, string[]>;
  moduleUser?: { uid: number; gid: number };
  registry?: { url: string; tokenEnv?: string };
  github?: { apiUrl?: string };
  moduleEnv?: { pass?: string[]; set?: Record<string, string> };
  hooks?: HookRunnerConfig;
  publish?: PublishConfig;
}

/** Where what a ring has active is published (src/publish/): the file in the target by default. */
export interface PublishConfig {
  /** `<target>/.ringlock/active.json`; default true. */
  file?: boolean;
  /** A ConfigMap the daemon writes (a Role limited to it); namespace defaults to the daemon's own. */
  configMap?: { namespace?: string; name: string };
  /** The ring's and tenants' keys in Valkey/Redis (the operator config's `redis` section says where). */
  redis?: boolean;
}

/** The operator's hook runners: name → argv with placeholders, and the runner of a reference that names none. */
export interface HookRunnerConfig {
  runners?: Record<string, HookRunnerSpec>;
  defaultRunner?: string;
  /** `refuse`: a hook given as a command (shell string, argv) is refused like one without a runner. Default allow. */
  commands?: 'allow' | 'refuse';
}

/**
 * A runner: its argv, or its argv and the directory it runs in (`cwd`, absolute: AutoCom's `php artisan` needs the
 * app root); without one it runs in the module's store tree.
 */
export type HookRunnerSpec = string[] | { argv: string[]; cwd?: string };

/** The argv of a runner in either form, and the pointer of its argv in the operator config. */
export function runnerArgv(name: string, spec: HookRunnerSpec): { argv: string[]; pointer: string } {
  return Array.isArray(spec)
    ? { argv: spec, pointer: `/hooks/runners/${name}` }
    : { argv: spec.argv, pointer: `/hooks/runners/${name}/argv` };
}

/** What a runner's argv element may be replaced by, when it is exactly `{name}` (never part of a longer element). */
export const HOOK_PLACEHOLDERS = [
  'hook',
  'contextFile',
  'hookPoint',
  'module',
  'fromVersion',
  'toVersion',
  'sourcePath',
  'ring',
  'tenant',
  'operationId',
] as const;
export type HookPlaceholder = (typeof HOOK_PLACEHOLDERS)[number];

export const OPERATOR_CONFIG_MAX_BYTES = 256 * 1024;

function urlDiagnostics(doc: SourceDoc, pointer: string, url: string | undefined): Diagnostic[] {
  if (url === undefined) return [];
  try {
    new URL(url);
    return [];
  } catch {
    return [
      diagAt(doc, pointer, 'operator/url', `${pointer}: not a URL`, 'e.g. https://registry.example.com/'),
    ];
  }
}

export function operatorDiagnostics(doc: SourceDoc): Diagnostic[] {
  const schema = validateSchema('operator', doc);
  if (schema.length > 0) return schema;
  const c = doc.value as OperatorConfig;
  return [
    ...urlDiagnostics(doc, '/registry/url', c.registry?.url),
    ...urlDiagnostics(doc, '/github/apiUrl', c.github?.apiUrl),
    ...runnerDiagnostics(doc, c.hooks),
  ];
}

/** Placeholders are whole argv elements and known by name; the default runner is one of the runners. */
function runnerDiagnostics(doc: SourceDoc, hooks: HookRunnerConfig | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  const known = new Set<string>(HOOK_PLACEHOLDERS);
  for (const [name, spec] of Object.entries(hooks?.runners ?? {})) {
    const { argv, pointer } = runnerArgv(name, spec);
    argv.forEach((arg, i) => {
      const ptr = `${pointer}/${i}`;
      const whole = /^\{([A-Za-z]+)\}$/.exec(arg);
      if (whole && !known.has(whole[1]!))
        out.push(
          diagAt(
            doc,
            ptr,
            'operator/placeholder',
            `${ptr}: unknown placeholder ${arg}`,
            HOOK_PLACEHOLDERS.map((p) => `{${p}}`).join(', '),
          ),
        );
      else if (
        !whole &&
        /\{(?:[A-Za-z]+)\}/.test(arg) &&
        [...arg.matchAll(/\{([A-Za-z]+)\}/g)].some((m) => known.has(m[1]!))
      )
        out.push(
          diagAt(
            doc,
            ptr,
            'operator/placeholder',
            `${ptr}: a placeholder must be a whole argv element (${JSON.stringify(arg)})`,
            'e.g. ["--context", "{contextFile}"] instead of "--context={contextFile}"',
          ),
        );
    });
  }
  const def = hooks?.defaultRunner;
  if (def !== undefined && !Object.hasOwn(hooks?.runners ?? {}, def))
    out.push(
      diagAt(
        doc,
        '/hooks/defaultRunner',
        'operator/runner',
        `/hooks/defaultRunner: "${def}" is not one of hooks.runners`,
        Object.keys(hooks?.runners ?? {}).join(', ') || 'a runner defined under hooks.runners',
      ),
    );
  return out;
}

/** Parses and validates the operator config's text (`display` names it in errors); src/source/ reads the file. */
export function parseOperatorConfig(
  display: string,
  text: string,
): { doc: SourceDoc; config: OperatorConfig } {
  // YAML unless it is named .json (a ConfigMap key need not carry an extension; YAML reads JSON too).
  const doc = /\.json$/i.test(display) ? parseJsonSource(display, text) : parseYamlSource(display, text);
  if (doc.value === null || typeof doc.value !== 'object') {
    throw new InputError('operator/empty', 'the operator config is empty', {
      file: display,
      line: 1,
      column: 1,
      expected: 'apiVersion: ringlock/v1 and kind: OperatorConfig',
    });
  }
  throwIfErrors(operatorDiagnostics(doc));
  return { doc, config: doc.value as OperatorConfig };
}
