// The operator config: a YAML file the operator mounts outside the repository (--operator-config). It says where
// credentials may go and what module code may see; ringlock.yaml chooses among what it allows.
import { type Diagnostic, InputError } from '../errors.js';
import { throwIfErrors } from './manifest.js';
import { validateSchema } from './schema.js';
import { diagAt } from './semantics.js';
import { parseJsonSource, parseYamlSource, type SourceDoc } from './source.js';
import type { HookPoint } from './types.js';

export interface OperatorConfig {
  apiVersion: 'ringlock/v1';
  kind: 'OperatorConfig';
  allowedHosts?: string[];
  credentials?: Record<string, string[]>;
  moduleUser?: { uid: number; gid: number };
  registry?: { url: string; tokenEnv?: string; insecure?: boolean };
  github?: { apiUrl?: string };
  moduleEnv?: { pass?: string[]; set?: Record<string, string> };
  hooks?: HookRunnerConfig;
  redis?: RedisConfig;
  pointer?: PointerConfig;
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

/** The Valkey/Redis of the pointer target and the Redis publisher: the URL's variable and the key layout. */
export interface RedisConfig {
  /** The environment variable holding the URL (default RINGLOCK_REDIS_URL). */
  urlEnv?: string;
  /** Key templates: `{tenant}` / `{ring}` replaced by the name. */
  keys?: { tenant?: string; ring?: string; generation?: string };
}

/** The micro-frontend target: the immutable bundle storage and the URL the shell loads bundles from. */
export interface PointerConfig {
  storage: { type: 'dir'; path: string };
  publicUrl: string;
  healthBaseUrl?: string;
  retention?: { keep?: number; deactivated?: string };
}

/** The operator's hook runners: name → where and how a reference runs, and which runner a reference naming none gets. */
export interface HookRunnerConfig {
  runners?: Record<string, HookRunnerSpec>;
  /** Hook point → runner name: the runner of a reference at that point that names none (before defaultRunner). */
  byHook?: Partial<Record<HookPoint, string>>;
  defaultRunner?: string;
  /** `refuse`: a hook given as a command (shell string, argv) is refused like one without a runner. Default allow. */
  commands?: 'allow' | 'refuse';
  /** The runner a command hook runs through, `{hook}` being the command as one shell string (before `commands`). */
  commandRunner?: string;
}

/**
 * A runner: its argv (a local process), or an object whose `type` says where the hook runs — argv (default: the argv
 * and the directory it runs in, `cwd`, absolute: AutoCom's `php artisan` needs the app root; without one it runs in
 * the module's store tree), http (a signed POST to the platform), exec/job (Kubernetes, src/kube/).
 */
export type HookRunnerSpec = string[] | ArgvRunnerSpec | HttpRunnerSpec | ExecRunnerSpec | JobRunnerSpec;

export interface ArgvRunnerSpec {
  type?: 'argv';
  argv: string[];
  cwd?: string;
}

/** A POST of the hook context to the platform's endpoint, HMAC-signed with the key in `secretEnv`. */
export interface HttpRunnerSpec {
  type: 'http';
  url: string;
  secretEnv: string;
  /** A bearer token (Authorization: Bearer …) from this environment variable. */
  tokenEnv?: string;
  /** A duration (`30s`); default the hook timeout. */
  timeout?: string;
  /** Plain http:// to a host that is not loopback. */
  insecure?: boolean;
  /** Extra headers that carry no credential. */
  headers?: Record<string, string>;
}

/** The hook run in a container of a pod (Kubernetes pods/exec); the context on its stdin. */
export interface ExecRunnerSpec {
  type: 'exec';
  container: string;
  /** Default: the daemon's own pod (POD_NAME, POD_NAMESPACE from the downward API). */
  pod?: { name?: string; labelSelector?: string };
  namespace?: string;
  argv: string[];
  /** Where the target folder is mounted in that container: `{sourcePath}` is rewritten to it. */
  targetMount?: string;
}

/** The hook run as a Kubernetes Job from a template; the context in the env var RINGLOCK_CONTEXT. */
export interface JobRunnerSpec {
  type: 'job';
  namespace?: string;
  image: string;
  argv: string[];
  serviceAccountName?: string;
  /** Kubernetes Volume objects. */
  volumes?: Record<string, unknown>[];
  /** Kubernetes VolumeMount objects. */
  volumeMounts?: Record<string, unknown>[];
  targetMount?: string;
  env?: Record<string, string>;
  /** Default 600. */
  ttlSecondsAfterFinished?: number;
  activeDeadlineSeconds?: number;
  resources?: Record<string, unknown>;
  /** Merged under the generated pod spec. */
  podTemplate?: Record<string, unknown>;
}

/** The argv of a runner that has one (not http), and the pointer of its argv in the operator config. */
export function runnerArgv(
  name: string,
  spec: HookRunnerSpec,
): { argv: string[]; pointer: string } | undefined {
  if (Array.isArray(spec)) return { argv: spec, pointer: `/hooks/runners/${name}` };
  if (spec.type === 'http') return undefined;
  return { argv: spec.argv, pointer: `/hooks/runners/${name}/argv` };
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

/**
 * Placeholders are whole argv elements and known by name ({contextFile}, a local path, only for a local process); an
 * http runner's URL is the operator's endpoint; byHook and defaultRunner name runners that are defined.
 */
function runnerDiagnostics(doc: SourceDoc, hooks: HookRunnerConfig | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  const known = new Set<string>(HOOK_PLACEHOLDERS);
  for (const [name, spec] of Object.entries(hooks?.runners ?? {})) {
    if (!Array.isArray(spec) && spec.type === 'http') {
      out.push(...httpRunnerDiagnostics(doc, `/hooks/runners/${name}`, spec));
      continue;
    }
    const { argv, pointer } = runnerArgv(name, spec)!;
    const remote =
      !Array.isArray(spec) && (spec.type === 'exec' || spec.type === 'job') ? spec.type : undefined;
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
      else if (whole && remote !== undefined && whole[1] === 'contextFile')
        out.push(
          diagAt(
            doc,
            ptr,
            'operator/placeholder',
            `${ptr}: {contextFile} is a path on ringlock's side, which the ${remote} runner's container cannot read`,
            remote === 'exec'
              ? 'read the context from stdin'
              : 'read the context from the environment variable RINGLOCK_CONTEXT',
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
  const defined = (n: string) => Object.hasOwn(hooks?.runners ?? {}, n);
  const have = Object.keys(hooks?.runners ?? {}).join(', ') || 'a runner defined under hooks.runners';
  const named: [string, string | undefined][] = [
    ['/hooks/defaultRunner', hooks?.defaultRunner],
    ['/hooks/commandRunner', hooks?.commandRunner],
    ...Object.entries(hooks?.byHook ?? {}).map(([point, n]): [string, string] => [
      `/hooks/byHook/${point}`,
      n,
    ]),
  ];
  for (const [ptr, n] of named)
    if (n !== undefined && !defined(n))
      out.push(diagAt(doc, ptr, 'operator/runner', `${ptr}: "${n}" is not one of hooks.runners`, have));
  return out;
}

/** Headers an http runner's config may not set: credentials (tokenEnv is the way), and what ringlock sets itself. */
const RESERVED_HEADER =
  /^(?:authorization|proxy-authorization|cookie|host|content-.*|transfer-encoding|connection|x-ringlock-.*)$/i;

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** The endpoint is https, or http to loopback (or `insecure: true`), with no credentials in it; headers carry none. */
function httpRunnerDiagnostics(doc: SourceDoc, at: string, spec: HttpRunnerSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  let url: URL | undefined;
  try {
    url = new URL(spec.url);
  } catch {
    out.push(
      diagAt(
        doc,
        `${at}/url`,
        'operator/url',
        `${at}/url: not a URL`,
        'e.g. https://app.internal/ringlock/hooks',
      ),
    );
  }
  if (url && (url.username !== '' || url.password !== ''))
    out.push(
      diagAt(
        doc,
        `${at}/url`,
        'operator/url',
        `${at}/url: must not carry a user or password`,
        'the request is signed with secretEnv; a bearer token goes in tokenEnv',
      ),
    );
  if (url && url.protocol === 'http:' && !LOOPBACK.test(url.hostname) && spec.insecure !== true)
    out.push(
      diagAt(
        doc,
        `${at}/url`,
        'operator/url',
        `${at}/url: plain http:// is allowed only to a loopback host (127.0.0.1, ::1, localhost)`,
        'https://…, or insecure: true to send the (signed) hook context unencrypted',
      ),
    );
  for (const h of Object.keys(spec.headers ?? {}))
    if (RESERVED_HEADER.test(h))
      out.push(
        diagAt(
          doc,
          `${at}/headers/${h}`,
          'operator/header',
          `${at}/headers/${h}: ringlock sets this header itself or it carries a credential`,
          'a header without a credential; a bearer token through tokenEnv',
          'key',
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
