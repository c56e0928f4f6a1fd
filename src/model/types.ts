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

export interface ModuleManifest {
  name: string;
  version: string;
  description?: string;
  compatibility?: { platform?: string };
  dependencies?: Record<string, string>;
  lifecycle?: Partial<Record<HookPoint, HookSpec>>;
  healthCheck?: {
    http?: { path?: string; url?: string; expectStatus?: number };
    command?: Command;
    timeout?: string;
    interval?: string;
    retries?: number;
  };
  changelog?: string;
  repository?: { url: string; directory?: string };
}

export interface LockEntry {
  version: string;
  sha256: string;
  integrity?: string;
  artifact?: string;
  source?: string;
  file_count?: number;
  size_bytes?: number;
  /** Byte size of the published artifact: checked with its integrity before anything is extracted. */
  artifact_size?: number;
  compatibility?: { platform?: string };
  dependencies?: Record<string, string>;
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
  modules?: { dir?: string };
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
