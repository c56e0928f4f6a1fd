// The publishing seam: after every pass that leaves the target settled, what is active in the ring (and which tenant
// is in which ring) is published in the forms a platform reads — a JSON file in the target, a Kubernetes ConfigMap,
// keys in Valkey/Redis. The snapshot is built once (snapshot.ts) and handed to each publisher the operator enabled.

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
  /** ISO time the snapshot was built. */
  publishedAt: string;
}

/** A place the snapshot is published to. Publishing never changes the outcome of the pass: failures are reported. */
export interface ActivePublisher {
  /** For messages and /status: `file <target>/.ringlock/active.json`, `configmap ringlock-stable/ringlock-active`. */
  readonly name: string;
  /** Writes the snapshot; idempotent; a snapshot with a lower generation than what is there is not written. */
  publish(snapshot: ActiveSnapshot, signal?: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}
