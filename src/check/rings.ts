// The ring rules: what each changed lock does (its plan), downgrades and rollbacks, promotion order, soak from the
// base branch's history, prereleases, compatibility and freshness; and the tenants file.
import semver from 'semver';
import { pinAppearances } from '../git/history.js';
import type { SourceState } from '../lock/compute.js';
import type { LoadedConfig } from '../model/config.js';
import { lockEntry } from '../model/lock.js';
import type { LockEntry } from '../model/types.js';
import {
  compatFindings,
  orderFinding,
  prereleaseFinding,
  RULE,
  sameMetadata,
  samePin,
  soakFinding,
} from '../rules/promotion.js';
import type { CheckContext } from './context.js';
import { isShallow, pinRanBefore, rollbackReason } from './revisions.js';
import { changedPins, downgradeFinding, freshnessFindings, ringChanges, tenantsFindings } from './rules.js';
import { lockOf, type Scope } from './scope.js';
import { type ConfigAt, readTenantsAt } from './snapshot.js';
import type { RingPlan } from './types.js';

/** Judges every ring of head; returns the plans of the rings whose locks change. */
export async function judgeRings(
  ctx: CheckContext,
  at: ConfigAt,
  cfg: LoadedConfig,
  baseCfg: LoadedConfig | undefined,
  scope: Scope,
  sources: Map<string, SourceState | null>,
): Promise<RingPlan[]> {
  const {
    p,
    lockFile,
    rings,
    policyChanged,
    platformChanged,
    lockChanged,
    touched,
    monorepo,
    headLocks,
    baseLocks,
    entriesChanged,
    judgedAnew,
    everyModule,
  } = scope;
  // Ring rules.
  const plans: RingPlan[] = [];
  const soakWanted = new Map<string, Map<string, LockEntry>>();
  for (const ring of rings) {
    const headLock = headLocks.get(ring.name);
    if (monorepo && headLock?.lock) {
      const names = new Set(touched);
      for (const n of entriesChanged.get(ring.name) ?? []) names.add(n);
      if (judgedAnew.has(ring.name)) for (const n of everyModule) names.add(n);
      if (names.size > 0 || (ring.tracksSource && (platformChanged || lockChanged.has(ring.name)))) {
        ctx.ran.add(RULE.lockFreshness);
        ctx.findings.push(
          ...freshnessFindings(
            ring,
            headLock.lock,
            cfg.platformVersion,
            sources,
            names,
            new Set(entriesChanged.get(ring.name) ?? []),
          ),
        );
      }
    }
    if (!lockChanged.has(ring.name)) continue;
    const baseLock = baseLocks.get(ring.name);
    const before = baseLock?.lock;
    const after = headLock?.lock;
    if (headLock?.exists && !after) continue; // invalid at head: RL001 said why
    const plan: RingPlan = {
      ring: ring.name,
      lockFile: lockFile(ring.name),
      changes: ringChanges(before, after, entriesChanged.get(ring.name)),
      ...(!baseLock?.exists && headLock?.exists ? { created: true } : {}),
      ...(baseLock?.exists && !headLock?.exists ? { deleted: true } : {}),
      ...(before?.platform !== after?.platform
        ? { platform: { from: before?.platform, to: after?.platform } }
        : {}),
    };
    if (plan.changes.length > 0 || plan.platform || plan.created || plan.deleted) plans.push(plan);
    if (plan.deleted) {
      // The ring is still defined: its daemon would find no lock. Removing a ring takes both.
      ctx.ran.add(RULE.schema);
      if (at.doc) ctx.docs.set(at.file, at.doc);
      ctx.findings.push({
        rule: RULE.schema,
        severity: 'error',
        ring: ring.name,
        file: at.file,
        pointer: `/rings/${rings.indexOf(ring)}/name`,
        message: `this change deletes ${lockFile(ring.name)}, the lock of ring ${ring.name}, which ${at.file} still defines: the ring would have nothing to run`,
        expected: `keep ${lockFile(ring.name)}, or remove ring "${ring.name}" from ${at.file} in the same change`,
      });
    }
    if (!after) continue;
    ctx.ran.add(RULE.ringDowngrade).add(RULE.prerelease).add(RULE.compatibility);
    const pins = changedPins(before, after);
    const everything = policyChanged.has(ring.name) || plan.platform !== undefined || plan.created === true;
    const upstream = lockOf(headLocks, ring.promoteFrom);
    const upstreamBase = lockOf(baseLocks, ring.promoteFrom);
    for (const name of everything ? Object.keys(after.modules).sort() : []) {
      const f = prereleaseFinding(ring, name, after.modules[name]!);
      if (f && !pins.includes(name)) ctx.findings.push(f);
    }
    for (const name of pins) {
      const entry = after.modules[name]!;
      const prev = lockEntry(before, name);
      const pre = prereleaseFinding(ring, name, entry);
      if (pre) ctx.findings.push(pre);
      if (prev && semver.compareBuild(entry.version, prev.version) < 0) {
        const reason = await rollbackReason(ctx);
        // A rollback puts back a pin the ring ran before, not a version going down to anything at all.
        const lockPath = baseLock?.file ?? lockFile(ring.name);
        const ranBefore = reason ? await pinRanBefore(ctx, lockPath, name, entry) : undefined;
        const f = downgradeFinding(
          ring.name,
          name,
          prev,
          entry,
          reason,
          ranBefore === undefined ? undefined : { ok: ranBefore, lockFile: lockPath },
        );
        if (f) ctx.findings.push(f);
        continue;
      }
      if (ring.promoteFrom === undefined) continue;
      ctx.ran.add(RULE.promotionOrder);
      const order = orderFinding(ring, name, entry, upstream);
      if (order) {
        ctx.findings.push(order);
        continue;
      }
      if (ring.minSoakMs <= 0) continue;
      ctx.ran.add(RULE.soak);
      const up = lockEntry(upstreamBase, name);
      if (samePin(up, entry)) {
        const m = soakWanted.get(ring.name) ?? new Map<string, LockEntry>();
        m.set(name, up!);
        soakWanted.set(ring.name, m);
      } else {
        const f = soakFinding(ring, name, entry, undefined, ctx.now);
        if (f) ctx.findings.push(f);
      }
    }
    // A pin that stayed while its dependencies or compatibility changed must still be the upstream's entry: the
    // compatibility rule reads them, so a hand edit could otherwise slip a broken closure past it.
    if (ring.promoteFrom !== undefined)
      for (const name of entriesChanged.get(ring.name) ?? []) {
        const prev = lockEntry(before, name);
        const entry = lockEntry(after, name);
        if (!prev || !entry || pins.includes(name) || sameMetadata(prev, entry)) continue;
        ctx.ran.add(RULE.promotionOrder);
        const order = orderFinding(ring, name, entry, upstream);
        if (order) ctx.findings.push(order);
      }
    const only = everything ? undefined : new Set(entriesChanged.get(ring.name) ?? []);
    // A dependent that was already broken before this change is called out, but does not fail it.
    const broken = compatFindings(ring.name, after, only);
    const already = new Set(
      before && broken.length > 0
        ? compatFindings(ring.name, before, only).map((f) => `${f.module}\0${f.message}`)
        : [],
    );
    for (const f of broken) {
      const old = already.has(`${f.module}\0${f.message}`) && !pins.includes(f.module ?? '');
      ctx.findings.push(
        old ? { ...f, severity: 'warning', message: `${f.message} (already so before this change)` } : f,
      );
    }
  }

  // Soak from the base branch's history of each upstream lock: one walk per ring, stopping once old enough.
  for (const [ringName, pins] of soakWanted) {
    const ring = rings.find((r) => r.name === ringName)!;
    const upstream = ring.promoteFrom!;
    const upFile = baseCfg ? `${p(baseCfg.locksDir)}/${upstream}.lock.json` : lockFile(upstream);
    const seen = await pinAppearances({
      repoDir: ctx.repoDir,
      ref: ctx.base,
      lockPath: upFile,
      pins,
      notBefore: ctx.now - ring.minSoakMs,
    });
    ctx.stats.historyWalks++;
    for (const [name] of pins) {
      const f = soakFinding(
        ring,
        name,
        headLocks.get(ringName)!.lock!.modules[name]!,
        seen.get(name),
        ctx.now,
      );
      if (f) ctx.findings.push(f);
    }
  }
  if (soakWanted.size > 0 && (await isShallow(ctx.repoDir)))
    ctx.notes.push(
      'the clone is shallow: soak can only be measured back to its oldest commit, so it may read as too short (check out with fetch-depth: 0)',
    );
  return plans;
}

/** The tenants file at head: schema and rings, when the change touches it or what it names. */
export async function judgeTenants(ctx: CheckContext, scope: Scope, changed: string[]): Promise<void> {
  const { tenantsFile, tenantsTouched, rings } = scope;
  // Tenants.
  if (tenantsTouched) {
    const t = await readTenantsAt(ctx.atHead, tenantsFile);
    if (t.exists || changed.includes(tenantsFile)) {
      ctx.ran.add(RULE.tenants).add(RULE.schema);
      if (t.doc) ctx.docs.set(tenantsFile, t.doc);
      ctx.findings.push(...t.findings);
      if (t.tenants)
        ctx.findings.push(
          ...tenantsFindings(
            tenantsFile,
            t.tenants,
            rings.map((r) => r.name),
          ),
        );
    }
  }
}
