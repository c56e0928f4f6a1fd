// Plain data types of the ringlock model: manifests, locks, config, tenants.

export type Command = string | string[];

/** The lifecycle hooks a manifest may name: hook name → a command, or a reference a runner resolves (a PHP class). */
export type LifecycleHook =
  | 'onInstall'
  | 'onUpgrade'
  | 'onDowngrade'
  | 'onEnable'
  | 'onDisable'
  | 'afterSwitch'
  | 'onRemove';

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
  lifecycle?: Partial<Record<LifecycleHook, Command | string>>;
  /** An object, or a string: the path (resolved against the health base URL) or http(s) URL of the module's health endpoint. */
  healthCheck?: HealthCheckSpec | string;
  changelog?: string;
  repository?: { url: string; directory?: string };
}

export interface LockEntry {
  version: string;
  sha256: string;
  integrity?: string;
  artifact?: string;
  source?: string;
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
