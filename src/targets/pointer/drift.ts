// Drift of the pointer target: the pointer changed out of band (the ring document or a tenant key no longer names what
// the state records), a bundle missing from the storage, or (full check) a bundle file altered there. A drifted module
// is repaired like on a folder target: the repair switches the pointer back, and an altered bundle is uploaded afresh
// beside the damaged one (stored files are never overwritten).
import { tenantKey } from '../../redis/keys.js';
import { tenantValue } from '../../redis/pointer.js';
import type { DeployedState } from '../../state/types.js';
import type { PointerTarget } from './pointer-target.js';
import type { Observed } from './switch.js';

export async function pointerDrift(
  target: PointerTarget,
  state: DeployedState,
  quick: boolean,
  obs: Observed,
  tenants: string[],
  keys = target.keys,
): Promise<Map<string, string>> {
  const drift = new Map<string, string>();
  const ring = target.ring;
  const pointed = obs.doc?.modules ?? {};
  const want: Record<string, { entry: string }> = {};
  const disabled = new Set<string>();
  target.damaged.clear();
  for (const m of Object.values(state.modules)) {
    if (m.status === 'disabled') {
      disabled.add(m.name);
      if (pointed[m.name]) drift.set(m.name, `disabled, but the pointer of ring ${ring} still names it`);
      continue;
    }
    const rel = m.active.storeDir;
    const entry = target.pointerEntry(rel).entry;
    want[m.name] = { entry };
    const at = pointed[m.name]?.dir;
    if (at !== rel) {
      drift.set(m.name, `the pointer of ring ${ring} names ${at ?? 'nothing'}, the state records ${rel}`);
      continue;
    }
    if (!target.storage.has(rel)) drift.set(m.name, `bundle ${rel} is missing from the storage`);
  }
  // What ringlock did not deploy and the pointer names anyway (added out of band): the switch that repairs it rewrites
  // the whole document and every tenant key from the state, so it is the drift of a deployed module (the first).
  const first = Object.keys(want).sort()[0];
  const flag = (why: string) => {
    if (first !== undefined && !drift.has(first)) drift.set(first, why);
  };
  const extra = Object.keys(pointed).filter((n) => !(n in want) && !disabled.has(n));
  if (extra.length > 0)
    flag(`the pointer of ring ${ring} names ${extra.sort().join(', ')}, which ringlock did not deploy`);
  // Every tenant key holds the ring's module → entry URL map: a module whose URL differs in one of them drifted.
  const expected = JSON.parse(tenantValue(want)) as Record<string, string>;
  // A tenant the state has not recorded yet is the pass's tenant change, which rewrites every key (syncTenants): its
  // missing key is not a module's drift, and no module is reinstalled for it.
  const recorded = state.tenants;
  for (const t of tenants) {
    if (recorded !== undefined && !recorded.includes(t)) continue;
    const raw = obs.tenantValues.get(tenantKey(keys, t)) ?? null;
    let got: Record<string, unknown> = {};
    try {
      got = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      got = {};
    }
    for (const [name, url] of Object.entries(expected))
      if (got[name] !== url && !drift.has(name))
        drift.set(
          name,
          `tenant key ${tenantKey(keys, t)} names ${typeof got[name] === 'string' ? got[name] : 'nothing'} for it`,
        );
    const added = Object.keys(got).filter((n) => !(n in expected));
    if (added.length > 0)
      flag(
        `tenant key ${tenantKey(keys, t)} names ${added.sort().join(', ')}, which ringlock did not deploy`,
      );
  }
  if (quick) return drift;
  for (const m of Object.values(state.modules)) {
    if (m.status === 'disabled' || drift.has(m.name)) continue;
    const why = await target.storage.verify(m.active.storeDir, m.active.sha256);
    if (why !== undefined) {
      target.damaged.add(m.active.storeDir);
      drift.set(m.name, why);
    }
  }
  return drift;
}
