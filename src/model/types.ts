// Plain data types of the ringlock model: manifests, locks, config, tenants.

export type Command = string | string[];

export interface ModuleManifest {
  name: string;
  version: string;
  description?: string;
  compatibility?: { platform?: string };
  dependencies?: Record<string, string>;
  lifecycle?: Partial<Record<'onInstall' | 'onUpgrade' | 'onDowngrade' | 'onEnable' | 'onDisable', Command>>;
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
  /** Where the module came from before ringlock, as an imported lock named it (AutoCom's `source`); never fetched. */
  origin?: string;
  file_count?: number;
  size_bytes?: number;
  /** Byte size of the published artifact: checked with its integrity before anything is extracted. */
  artifact_size?: number;
  compatibility?: { platform?: string };
  dependencies?: Record<string, string>;
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
