// Plain data types of the ringlock model: manifests, locks, config, tenants.

export type Command = string | string[];

/** The points of a module's lifecycle a hook can be attached to (README "Lifecycle hooks" gives their order). */
export type HookPoint =
  | 'onInstall'
  | 'onUpgrade'
  | 'onDowngrade'
  | 'afterSwitch'
  | 'onRemove'
  | 'onEnable'
  | 'onDisable';

/** A hook given as a reference (a PHP class, a script name) that a runner of the operator config runs. */
export interface HookReference {
  ref: string;
  /** One of the operator config's `hooks.runners` (the manifest chooses among them, never defines one). */
  runner?: string;
}

/** A lifecycle hook: a command (a shell string or an argv array), or a reference run through an operator's runner. */
export type HookSpec = Command | HookReference;

/** The same points, by the name the manifest code uses. */
export type LifecycleHook = HookPoint;

/** The object form of a module's health check (a string healthCheck is its `http.path` or `http.url`). */
export interface HealthCheckSpec {
  http?: { path?: string; url?: string; expectStatus?: number };
  command?: Command;
  timeout?: string;
  interval?: string;
  retries?: number;
}

/**
 * A module manifest (module.json or module.manifest.json). The fields below are ringlock's; any other top-level field
 * is the platform's own data, kept as it is (see `platformData` in model/manifest.ts).
 */
export interface ModuleManifest {
  name: string;
  version: string;
  /** AutoCom: the lowercase module name when `name` is the PascalCase folder name. */
  alias?: string;
  description?: string;
  compatibility?: { platform?: string };
  dependencies?: Record<string, string>;
  lifecycle?: Partial<Record<HookPoint, HookSpec>>;
  /** An object, or a string: the path (resolved against the health base URL) or http(s) URL of the module's health endpoint. */
  healthCheck?: HealthCheckSpec | string;
  changelog?: string;
  repository?: { url: string; directory?: string };
}

export interface LockEntry {
  version: string;
  sha256: string;
  integrity?: string;
  /** The OCI manifest digest (`sha256:<hex>`) of the published artifact: an OCI registry pulls by it. */
  digest?: string;
  artifact?: string;
  source?: string;
  /**
   * Where the module is deployed, relative to the target, when that is not its name: the module folder's path under
   * the modules dir in its own case (AutoCom's `Modules/Orders` → `Orders`, which PSR-4 autoloading needs). It differs
   * from the name only in letter case.
   */
  path?: string;
  /** Where the module came from before ringlock, as an imported lock named it (AutoCom's `source`); never fetched. */
  origin?: string;
  file_count?: number;
  size_bytes?: number;
  /** Byte size of the published artifact: checked with its integrity before anything is extracted. */
  artifact_size?: number;
  compatibility?: { platform?: string };
  dependencies?: Record<string, string>;
  /** The platform's own manifest fields, as the manifest has them (only with modules.lockManifest). */
  manifest?: Record<string, unknown>;
  /** `false`: the module stays installed but is switched off in this ring (its link removed); default true. */
  enabled?: boolean;
}

export interface RingLock {
  $schema?: string;
  lockfileVersion: 1;
  ring: string;
  platform: string;
  modules: Record<string, LockEntry>;
}

export interface RingPolicy {
  name: string;
  description?: string;
  promoteFrom?: string;
  /** Minimum soak in milliseconds (0 when unset). */
  minSoakMs: number;
  minSoak?: string;
  allowPrerelease: boolean;
  tracksSource: boolean;
  reviewers: string[];
}

export interface RinglockConfig {
  apiVersion: 'ringlock/v1';
  platform: { name?: string; version?: string; versionFile?: string };
  modules?: {
    dir?: string;
    manifest?: 'strict' | 'open';
    manifestFile?: string[];
    lockManifest?: boolean;
    platformDependencies?: string[];
    permissionsPolicy?: boolean;
  };
  locks?: { dir?: string; tenants?: string };
  rings: Array<{
    name: string;
    description?: string;
    promoteFrom?: string;
    minSoak?: string;
    allowPrerelease?: boolean;
    tracksSource?: boolean;
    reviewers?: string[];
  }>;
  registry?: Record<string, unknown>;
  target?: Record<string, unknown>;
  state?: Record<string, unknown>;
  health?: Record<string, unknown>;
  schedule?: Record<string, unknown>;
  promotion?: {
    remote?: string;
    branch?: string;
    labels?: string[];
    github?: { repository?: string; baseUrl?: string; tokenEnv?: string };
    freeze?: import('./freeze.js').FreezeConfig[];
  };
  notifications?: {
    webhooks?: Array<{ url: string; secretEnv?: string; events?: string[] }>;
    github?: { repository: string; tokenEnv?: string; baseUrl?: string };
  };
}

export interface TenantsFile {
  tenants: Record<string, string>;
}
