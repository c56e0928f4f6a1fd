// What the composition root builds (Runtime) and what it reads (RuntimeInput, ConfigBase): plain data, no CLI types.
import type { LoadedConfig } from '../model/config.js';

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

/** What the composition root builds; defined beside the pass that uses it, so lower layers need not import this one. */
export type { Runtime } from '../reconcile/types.js';
