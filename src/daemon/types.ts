// What a Daemon is built from: its options, and the per-commit runtime with the sinks it reports to.
import type { ArtifactCache } from '../artifacts/cache.js';
import type { ArtifactRegistry } from '../artifacts/registry/types.js';
import type { GitSource } from '../git/types.js';
import type { LoadedConfig } from '../model/config.js';
import type { ActivePublisher } from '../publish/types.js';
import type { Runtime } from '../reconcile/types.js';
import type { Logger } from './logger.js';
import type { DaemonMetrics } from './metrics.js';
import type { NotificationEventName } from './notify.js';

export type NotificationName = NotificationEventName;

export interface EventSink {
  emit(event: NotificationName, data: Record<string, unknown>): void;
  flush(timeoutMs: number): Promise<void>;
}

export interface DeploymentReporter {
  report(input: {
    sha: string;
    environment: string;
    state: 'in_progress' | 'success' | 'failure';
    description: string;
  }): Promise<void>;
}

/** Per-commit settings: resolved again whenever ringlock.yaml at the new commit differs. */
export interface CommitRuntime {
  rt: Runtime;
  registry: ArtifactRegistry;
  cache: ArtifactCache;
  notifier?: EventSink;
  deployments?: DeploymentReporter;
  /** Where what the ring has active is published after every pass (the operator config's `publish`). */
  publishers?: readonly ActivePublisher[];
}

export interface DaemonOptions {
  ring: string;
  /** The repository URL without credentials (for status and logs). */
  repo: string;
  branch: string;
  path: string;
  source: GitSource;
  logger: Logger;
  metrics: DaemonMetrics;
  /** Builds the runtime for a commit's config (undefined before any config was read: flags and env only). */
  runtimeFor(config: LoadedConfig | undefined): CommitRuntime;
  skipHooks: boolean;
  hookTimeoutMs: number;
  concurrency: number;
  /** Overrides of the config's schedule section (flags / env). */
  schedule?: string;
  fullRehash?: string;
  selfHeal?: boolean;
  /** Cap of the exponential backoff of git fetches and failing modules. */
  maxBackoffMs: number;
  /**
   * With a shared state store: this replica's name as a holder of the ring's writer lease. The daemon then waits as a
   * standby until it holds the lease, and keeps it across passes.
   */
  replica?: string;
  /** Answer `GET /api/v1/modules/…` from the last published snapshot (`--serve-api`). */
  serveApi?: boolean;
}
