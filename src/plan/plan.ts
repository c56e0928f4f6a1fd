// The reconcile plan: a ring's lock × what is deployed × quarantine × policy → ordered actions. Pure: no I/O,
// no clock, the same input (in any key order) always gives the same plan.
import { type CompatModule, evaluateCompat } from '../compat/compat.js';
import { dependencyOrder } from '../model/graph.js';
import { compareVersions } from '../model/semantics.js';
import type { LockEntry, RingLock } from '../model/types.js';
import type { DeployedModule, DeployedState, QuarantineEntry } from '../state/types.js';
import { holdNeededDisables, tenantChange } from './lifecycle.js';
import type { Plan, PlanAction, PlanPolicy } from './types.js';

export interface PlanInput {
  lock: RingLock;
  deployed: DeployedState;
  /** Modules whose active tree no longer hashes to the recorded sha256. A Map also says why (shown in the reason). */
  drift?: ReadonlySet<string> | ReadonlyMap<string, string>;
  /** Modules whose path holds something ringlock did not create, and what (from detectConflicts). */
  conflicts?: ReadonlyMap<string, string>;
  policy: PlanPolicy;
  /** The ring's tenants; undefined: not known (tenant changes are not planned). */
  tenants?: readonly string[];
}

/** Where `--adopt` moves what it finds, as plans name it. */
const ADOPTED = '.ringlock/adopted/';

/** The reason of a module blocked by an unmanaged path: what is there, and the two ways out. */
export function unmanagedReason(what: string): string {
  return `unmanaged path: ${what} (--adopt moves it to ${ADOPTED}, or remove it)`;
}

type ChangeKind = 'install' | 'upgrade' | 'rollback' | 'reinstall' | 'disable' | 'enable' | 'noop';

interface Draft {
  kind: ChangeKind;
  reason?: string;
  notes: string[];
}

/**
 * Plans `lock` onto `deployed`. Lock modules come first, dependencies before dependents (ties by name); then
 * the deployed modules the lock no longer names, dependents before what they depend on.
 */
export function plan(input: PlanInput): Plan {
  const { lock, deployed, drift, conflicts, policy } = input;
  const platform = policy.platform ?? lock.platform;
  const wanted = lock.modules;

  const graph = new Map<string, string[]>();
  for (const name of Object.keys(wanted)) graph.set(name, Object.keys(wanted[name]!.dependencies ?? {}));
  const order = dependencyOrder(graph);
  const quarantine = indexQuarantine(deployed.quarantine);

  // 1. What each lock module would need, ignoring compatibility; quarantine pre-blocks what would install.
  const drafts: Draft[] = [];
  const preBlocked = new Map<string, string>();
  const compatInput: CompatModule[] = [];
  for (const name of order) {
    const e = wanted[name]!;
    const d = own(deployed.modules, name);
    const draft = classify(e, d, driftReason(drift, name, d));
    const q = findQuarantine(quarantine.get(name), e);
    if (q) {
      // A quarantined artifact already active got there by hand (install --force): leave it, say so.
      if (draft.kind === 'noop') draft.notes.push(`quarantined here (${q.reason}), but already active`);
      else
        preBlocked.set(
          name,
          `${name} ${e.version} is quarantined here: ${q.reason} (\`ringlock retry ${name}\` clears it)`,
        );
    }
    const occupied = conflicts?.get(name);
    if (occupied !== undefined && !preBlocked.has(name)) {
      // Something ringlock did not create is where the module goes: never replaced, unless the operator adopts it.
      if (!policy.adopt) preBlocked.set(name, unmanagedReason(occupied));
      else if (draft.kind === 'noop') {
        draft.kind = 'reinstall';
        draft.reason = `adopts an unmanaged path: ${occupied} (moved to ${ADOPTED})`;
      } else draft.notes.push(`adopts an unmanaged path: ${occupied} (moved to ${ADOPTED})`);
    }
    if (e.compatibility?.platform === undefined) draft.notes.push('declares no platform constraint');
    if (e.dependencies === undefined)
      draft.notes.push('dependencies unknown (the lock entry records none): not checked');
    drafts.push(draft);
    compatInput.push({
      name,
      version: e.version,
      platform: e.compatibility?.platform,
      dependencies: e.dependencies,
    });
  }

  // 2. Platform, dependency closure and the cascade of anything blocked. Results come back in `order`.
  const compat = evaluateCompat(compatInput, platform, preBlocked);

  const actions: PlanAction[] = [];
  /** What stays deployed after the plan, with the dependencies of that version: removals must not break it. */
  const stays: Array<{ label: string; deps: Record<string, string> | undefined }> = [];
  for (let i = 0; i < order.length; i++) {
    const name = order[i]!;
    const e = wanted[name]!;
    const d = own(deployed.modules, name);
    const draft = drafts[i]!;
    const r = compat[i]!;
    const from = d?.active.version;
    if (r.status === 'incompatible' || r.status === 'blocked') {
      const why = r.reason!;
      const notes =
        draft.kind === 'reinstall' ? [`wanted a reinstall: ${draft.reason}`, ...draft.notes] : draft.notes;
      const unmanaged =
        r.status === 'blocked' && why === preBlocked.get(name) && why.startsWith('unmanaged path:');
      actions.push(
        action({
          module: name,
          kind: 'blocked',
          code: unmanaged ? 'unmanaged-path' : r.status === 'incompatible' ? 'incompatible' : 'dependency',
          from,
          to: e.version,
          integrity: e.integrity,
          sha256: e.sha256,
          reason: `${why}; ${d ? `keeps ${from}` : 'stays uninstalled'}`,
          chain: r.status === 'blocked' ? (r.chain ?? [why]) : [why],
          notes,
        }),
      );
      if (d) stays.push({ label: `${name} ${from}`, deps: d.active.dependencies });
      continue;
    }
    // Switching a module off (or leaving it off) keeps the version deployed.
    const off = e.enabled === false && d !== undefined;
    actions.push(
      action({
        module: name,
        kind: draft.kind,
        from,
        to: off ? from : e.version,
        integrity: off ? d.active.integrity : e.integrity,
        sha256: off ? d.active.sha256 : e.sha256,
        reason: draft.reason,
        notes: draft.notes,
      }),
    );
    if (off) stays.push({ label: `${name} ${from}`, deps: d.active.dependencies });
    else if (!(e.enabled === false && d === undefined))
      stays.push({
        label: `${name} ${e.version}`,
        deps: draft.kind === 'noop' ? (d?.active.dependencies ?? e.dependencies) : e.dependencies,
      });
  }

  holdNeededDisables(actions, wanted, deployed);
  actions.push(...unnamed(deployed, wanted, policy.prune, stays, drift, conflicts));

  const out: Plan = { ring: lock.ring, platform, actions };
  const tenants = tenantChange(deployed, input.tenants);
  if (tenants) out.tenants = tenants;
  if (deployed.ring !== undefined && deployed.ring !== lock.ring)
    out.warnings = [
      `the target was last applied from ring "${deployed.ring}"; this lock is ring "${lock.ring}"`,
    ];
  return out;
}

/** The action a lock entry needs against what is deployed, before compatibility and quarantine. */
function classify(e: LockEntry, d: DeployedModule | undefined, drift: string | undefined): Draft {
  const notes: string[] = [];
  const switchedOff = switchOff(e, d);
  if (switchedOff) return switchedOff;
  if (!d) return { kind: 'install', notes };
  const active = d.active;
  if (d.status === 'disabled') {
    // Re-enabled: the same version comes back from the store (no download); another version is installed as usual.
    if (active.version === e.version && active.sha256 === e.sha256)
      return { kind: 'enable', reason: 'enabled in the lock: back from the store', notes };
    notes.push('disabled here: the new version is switched in enabled');
  } else if (d.status !== 'active') notes.push(statusNote(d));
  let kind: ChangeKind | undefined;
  let reason: string | undefined;
  // String equality first: the steady state never parses a version.
  if (active.version !== e.version) {
    const c = compareVersions(e.version, active.version);
    if (c > 0) kind = 'upgrade';
    else if (c < 0) kind = 'rollback';
  }
  if (kind === undefined) {
    if (active.sha256 !== e.sha256) {
      kind = 'reinstall';
      reason = `the artifact of ${e.version} changed: content ${short(active.sha256)} → ${short(e.sha256)}`;
    } else if (
      active.integrity !== undefined &&
      e.integrity !== undefined &&
      active.integrity !== e.integrity
    ) {
      kind = 'reinstall';
      reason = `the artifact of ${e.version} changed: integrity ${short(active.integrity)} → ${short(e.integrity)} (same content hash)`;
    } else if (drift !== undefined) {
      kind = 'reinstall';
      reason = drift;
    } else if ((d.path ?? d.name) !== (e.path ?? d.name)) {
      // A module locked at its folder's case (`Orders`) moves there from the store: no download.
      kind = 'reinstall';
      reason = `the lock deploys it at ${e.path ?? d.name}, it is deployed at ${d.path ?? d.name}`;
    } else kind = 'noop';
  } else if (drift !== undefined) notes.push(`${drift} (the ${kind} replaces the tree)`);
  if (kind !== 'noop' && d.origin === 'imperative') {
    const diverged = `the target diverged from the lock: ${active.version} was set by an imperative command`;
    if (reason === undefined) reason = diverged;
    else notes.push(diverged);
  }
  return reason === undefined ? { kind, notes } : { kind, reason, notes };
}

/** `"enabled": false` in the lock: a deployed module is switched off (kept in the store), an absent one stays absent. */
function switchOff(e: LockEntry, d: DeployedModule | undefined): Draft | undefined {
  if (e.enabled !== false) return undefined;
  if (!d) return { kind: 'noop', reason: 'disabled in the lock: not installed', notes: [] };
  const notes =
    d.active.version === e.version ? [] : [`the lock pins ${e.version}: applied once it is enabled`];
  if (d.status === 'disabled') return { kind: 'noop', reason: 'disabled', notes };
  return { kind: 'disable', reason: 'disabled in the lock: the tree stays in the store', notes };
}

/**
 * Deployed modules the lock does not name, dependents first. With prune: `remove`, unless something that
 * stays deployed still depends on it (then `blocked`, kept). Without prune: `noop`, kept as they are.
 */
function unnamed(
  deployed: DeployedState,
  wanted: RingLock['modules'],
  prune: boolean,
  stays: ReadonlyArray<{ label: string; deps: Record<string, string> | undefined }>,
  drift: PlanInput['drift'],
  conflicts: PlanInput['conflicts'],
): PlanAction[] {
  const gone = new Set<string>();
  for (const name of Object.keys(deployed.modules)) if (!Object.hasOwn(wanted, name)) gone.add(name);
  if (gone.size === 0) return [];
  // Edges reversed (dependency → its dependents) so that dependencyOrder puts dependents first, ties by name.
  const dependents = new Map<string, string[]>();
  for (const name of gone) dependents.set(name, []);
  for (const name of gone)
    for (const dep of Object.keys(deployed.modules[name]!.active.dependencies ?? {}))
      if (gone.has(dep)) dependents.get(dep)!.push(name);
  const order = dependencyOrder(dependents);

  const neededBy = new Map<string, string[]>();
  const need = (label: string, deps: Record<string, string> | undefined) => {
    for (const dep of Object.keys(deps ?? {})) {
      if (!gone.has(dep)) continue;
      const list = neededBy.get(dep);
      if (list) list.push(label);
      else neededBy.set(dep, [label]);
    }
  };
  if (prune) for (const s of stays) need(s.label, s.deps);

  const out: PlanAction[] = [];
  for (const name of order) {
    const d = deployed.modules[name]!;
    const v = d.active.version;
    if (!prune) {
      const drifted = driftReason(drift, name, d);
      out.push(
        action({
          module: name,
          kind: 'noop',
          from: v,
          to: v,
          reason: 'not in the lock (prune is off)',
          notes: drifted === undefined ? [] : [drifted],
          unmanaged: true,
        }),
      );
      continue;
    }
    const by = neededBy.get(name);
    if (by) {
      const why = `${by[0]} stays deployed and needs ${name}`;
      out.push(
        action({
          module: name,
          kind: 'blocked',
          from: v,
          code: 'needed',
          reason: `not in the lock, but ${by.join(', ')} ${by.length === 1 ? 'stays' : 'stay'} deployed and ${by.length === 1 ? 'needs' : 'need'} it; keeps ${v}`,
          chain: [why],
          unmanaged: true,
        }),
      );
      need(`${name} ${v}`, d.active.dependencies);
    } else {
      const occupied = conflicts?.get(name);
      const notes =
        occupied === undefined ? [] : [`${occupied}: left where it is, only the record is removed`];
      out.push(
        action({ module: name, kind: 'remove', from: v, reason: 'not in the lock', notes, unmanaged: true }),
      );
    }
  }
  return out;
}

/** A PlanAction with a fixed key order and no undefined or empty fields, so plans compare and print stably. */
function action(a: PlanAction): PlanAction {
  const out: PlanAction = { module: a.module, kind: a.kind };
  if (a.from !== undefined) out.from = a.from;
  if (a.to !== undefined) out.to = a.to;
  if (a.integrity !== undefined) out.integrity = a.integrity;
  if (a.sha256 !== undefined) out.sha256 = a.sha256;
  if (a.reason !== undefined) out.reason = a.reason;
  if (a.code !== undefined) out.code = a.code;
  if (a.chain !== undefined && a.chain.length > 0) out.chain = a.chain;
  if (a.notes !== undefined && a.notes.length > 0) out.notes = a.notes;
  if (a.unmanaged) out.unmanaged = true;
  return out;
}

function own<T>(rec: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

function driftReason(
  drift: PlanInput['drift'],
  name: string,
  d: DeployedModule | undefined,
): string | undefined {
  if (!d || !drift?.has(name)) return undefined;
  const why = drift instanceof Map ? (drift.get(name) as string | undefined) : undefined;
  return `drift: ${why ?? `the tree on disk no longer hashes to ${short(d.active.sha256)}`}`;
}

function statusNote(d: DeployedModule): string {
  const err = d.lastError ? `: ${d.lastError}` : '';
  if (d.status === 'failed') return `the last operation failed${err}`;
  if (d.status === 'rolled_back') return `the last operation was rolled back${err}`;
  return `status ${d.status}: an operation did not finish (recovery completes or undoes it before apply)`;
}

function indexQuarantine(list: readonly QuarantineEntry[]): Map<string, QuarantineEntry[]> {
  const by = new Map<string, QuarantineEntry[]>();
  for (const q of list) {
    const l = by.get(q.module);
    if (l) l.push(q);
    else by.set(q.module, [q]);
  }
  return by;
}

/**
 * Whether `q` quarantines what `e` would install: same version, and the same artifact integrity when both
 * know one; otherwise the same content hash when the entry recorded one; an entry with neither quarantines
 * the version (fail closed). Several matches: the most recent wins, so the reason is stable.
 */
function findQuarantine(list: QuarantineEntry[] | undefined, e: LockEntry): QuarantineEntry | undefined {
  let best: QuarantineEntry | undefined;
  for (const q of list ?? []) {
    if (q.version !== e.version) continue;
    if (q.integrity !== undefined && e.integrity !== undefined) {
      if (q.integrity !== e.integrity) continue;
    } else if (q.sha256 !== undefined && q.sha256 !== e.sha256) continue;
    if (!best || q.at > best.at || (q.at === best.at && q.reason > best.reason)) best = q;
  }
  return best;
}

function short(h: string): string {
  return h.startsWith('sha256:') ? h.slice(0, 19) : h.slice(0, 16);
}
