// What the composition root builds (Runtime) and what it reads (RuntimeInput, ConfigBase): plain data, no CLI types.
import type { LoadedConfig } from '../model/config.js';
import type { FileStateStore } from '../state/file-store.js';
import type { FilesystemTarget } from '../targets/filesystem.js';
import type { ModuleEnvPolicy, TrustPolicy } from '../trust/policy.js';

/** Where a caller's settings come from besides ringlock.yaml: flags (win), then the environment. */
export interface RuntimeInput {
  /** Relative paths given by flag or environment resolve against this directory. */
  cwd: string;
  /** Parsed flags by long name (`target`, `state`, `registry`, `health-url`, `operator-config`, …). */
  options: Readonly<Record<string, string | boolean | string[] | undefined>>;
  env: NodeJS.ProcessEnv;
}

/** Where settings come from: a workspace on disk (CLI), or ringlock.yaml read at a git commit (daemon). */
export interface ConfigBase {
  /** Relative paths in the config resolve against this directory. */
  root: string;
  /** The parsed ringlock.yaml: its values, and its document to name the line of a refused one. */
  cfg: Pick<LoadedConfig, 'config' | 'doc'>;
}

export interface Runtime {
  target: FilesystemTarget;
  store: FileStateStore;
  health: {
    baseUrl?: string;
    url?: string;
    command?: string | string[];
    timeoutMs: number;
    intervalMs: number;
  };
  keepVersions: number;
  prune: boolean;
  actor: string;
  /** What the operator allows (never read from the repository). */
  policy: TrustPolicy;
  /** What module code gets on top of the minimal environment: the operator's choice. */
  moduleEnv: ModuleEnvPolicy;
}
