// The reconcile plan: ordered actions that take a target from what is deployed to what a ring's lock wants.

export type ActionKind =
  | 'install'
  | 'upgrade'
  | 'rollback'
  | 'reinstall'
  | 'remove'
  | 'disable'
  | 'enable'
  | 'blocked'
  | 'noop';

export interface PlanAction {
  module: string;
  kind: ActionKind;
  /** Deployed version before the action (absent for install). */
  from?: string;
  /** Version after the action (absent for remove). */
  to?: string;
  /** Artifact integrity of `to`, from the lock. */
  integrity?: string;
  /** Content hash of `to`, from the lock. */
  sha256?: string;
  /** Why: for blocked, reinstall, and anything not obvious. */
  reason?: string;
  /**
   * Machine-readable cause of a block: `unmanaged-path` (something ringlock did not create is at the module's path),
   * `incompatible` (the platform does not satisfy the module), `dependency` (a dependency is missing, out of range or
   * blocked itself: the chain says which), `needed` (not in the lock, but a module that stays needs it).
   */
  code?: 'unmanaged-path' | 'incompatible' | 'dependency' | 'needed';
  /** For blocked modules: each link from this module down to the root cause. */
  chain?: string[];
  /** Remarks that change nothing (dependencies unknown, the last operation failed, drift an upgrade repairs). */
  notes?: string[];
  /** The lock pins no artifact (no integrity) for `to`: apply cannot fetch it until that version is published. */
  needsPublish?: true;
  /** The lock does not name this module: it is removed (prune on) or kept as it is (prune off). */
  unmanaged?: true;
}

export interface PlanPolicy {
  /** Remove deployed modules the lock no longer names. Off by default. */
  prune: boolean;
  /** Evaluate compatibility against this platform version instead of the lock's. */
  platform?: string;
  /** Move what ringlock did not create at a module's path into a dated backup instead of blocking the module. */
  adopt?: boolean;
}

export interface Plan {
  ring: string;
  platform: string;
  actions: PlanAction[];
  /** Whole-plan remarks, e.g. the target was last applied from another ring. */
  warnings?: string[];
  /** The ring's tenants differ from those the state recorded: apply runs their per-tenant hooks and records the set. */
  tenants?: TenantChange;
}

export interface TenantChange {
  /** Assigned to the ring since the last apply: onEnable runs for them on every enabled module. */
  assigned: string[];
  /** Gone from the ring since the last apply: onDisable runs for them on every enabled module. */
  left: string[];
  /** The ring's tenants now (sorted), recorded in the state. */
  set: string[];
}
