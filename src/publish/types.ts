// The publishing seam: after every pass that leaves the target settled, what is active in the ring (and which tenant
// is in which ring) is published in the forms a platform reads — a JSON file in the target, a Kubernetes ConfigMap,
// keys in Valkey/Redis. The snapshot is built once (snapshot.ts) and handed to each publisher the operator enabled.
import type { OperatorConfig } from '../model/operator-config.js';
import type { DeployTarget } from '../targets/types.js';

/** One active module as the platform sees it. */
export interface ActiveModule {
  version: string;
  /** The content hash of the active tree, `sha256:<hex>`. */
  sha256: string;
  /** Where the module is, relative to the target (folder targets): `orders`, `Modules/Orders`. */
  path?: string;
  /** The versioned entry URL (pointer target): `https://cdn.example.com/@acme/crm/1.2.0-9ad8f129/remoteEntry.js`. */
  entry?: string;
  /** ISO time this version became active. */
  since: string;
}

/** What one ring has active, and the whole tenant → ring map: the document every publisher writes. */
export interface ActiveSnapshot {
  apiVersion: 'ringlock/v1';
  kind: 'ActiveModules';
  ring: string;
  /** The commit of the lock last applied, when known. */
  commit?: string;
  /** Tenant → ring, every tenant of rings/tenants.yaml (not only this ring's). */
  tenants: Record<string, string>;
  /** This ring's tenants, sorted. */
  ringTenants: string[];
  /** Module name → what is active; modules that are not active (failed install, removed) are absent. */
  modules: Record<string, ActiveModule>;
  /** Increases with every change of `modules` or `tenants` in this ring (the publishers' stale-writer check). */
  generation: number;
  /** ISO time this content was first published (a snapshot built again with nothing changed keeps it). */
  publishedAt: string;
}

/** A place the snapshot is published to. Publishing never changes the outcome of the pass: failures are reported. */
export interface ActivePublisher {
  /** For messages and /status: `file <target>/.ringlock/active.json`, `configmap ringlock-stable/ringlock-active`. */
  readonly name: string;
  /**
   * Writes the snapshot; idempotent. A snapshot with a lower generation than what is there is not written: the
   * publisher returns `{skipped: true, stored}` (never a silent success). `signal` aborts a call that hangs.
   */
  publish(snapshot: ActiveSnapshot, signal?: AbortSignal): Promise<PublishSkipped | undefined>;
  /**
   * What is published there now, if the publisher can read it back (active.json, the ConfigMap's active.json, the
   * ring's Redis document): a new process (a new pod on an emptyDir) continues from the highest generation stored
   * anywhere instead of starting again at 1 and being refused as a stale writer.
   */
  current?(signal?: AbortSignal): Promise<ActiveSnapshot | undefined>;
  close?(): Promise<void>;
}

/** A publish that wrote nothing: a newer generation (`stored`) is there, from another writer. */
export interface PublishSkipped {
  skipped: true;
  stored: number;
}

/** What a publisher reports of its last attempt, for `/status` and `--json`. */
export interface PublishStatus {
  name: string;
  /** False when it failed, and when it was skipped (a newer generation is stored there: another writer). */
  ok: boolean;
  /** Not written because a newer generation is stored there; the next pass goes on from it. */
  skipped?: true;
  /** Why it failed (the pass did not: it is tried again on the next one). */
  error?: string;
  /** The generation it holds now (ok) or was given (failed). */
  generation: number;
  /** ISO time of the attempt. */
  at: string;
}

/** What a publisher factory is given: the operator's settings (never the repository's), the target and the ring. */
export interface PublisherContext {
  /** The operator config (`--operator-config`); undefined when none is given. */
  operator?: OperatorConfig;
  target: DeployTarget;
  ring: string;
  env: NodeJS.ProcessEnv;
}

/** Builds a publisher when the operator config enables it (else undefined); throws InputError on a bad setting. */
export type PublisherFactory = (ctx: PublisherContext) => ActivePublisher | undefined;
