// Blocked modules as the state keeps them: each plan's blocks replace the last ones (a reason kept keeps its `since`
// and whether it was announced), so `list`, /status and the `module.blocked` event agree on one record.
import type { BlockedModule, DeployedState, StateStore } from './types.js';

/** One block of a plan (a plan action of kind `blocked`, in the plan's words). */
export interface Block {
  module: string;
  to?: string;
  reason?: string;
  chain?: string[];
  code?: string;
}

/** A block to announce: the module and its record. */
export type NewBlock = BlockedModule & { module: string };

/** The blocked map a plan leaves: a block whose reason did not change is kept as it was. */
export function nextBlocked(
  prev: Readonly<Record<string, BlockedModule>> | undefined,
  blocks: readonly Block[],
  at: string,
): Record<string, BlockedModule> {
  const out: Record<string, BlockedModule> = {};
  for (const b of blocks) {
    const reason = b.reason ?? 'blocked';
    const old = prev && Object.hasOwn(prev, b.module) ? prev[b.module] : undefined;
    if (old && old.reason === reason && old.version === b.to) {
      out[b.module] = old;
      continue;
    }
    out[b.module] = {
      ...(b.to !== undefined ? { version: b.to } : {}),
      reason,
      ...(b.chain && b.chain.length > 0 ? { chain: b.chain } : {}),
      ...(b.code !== undefined ? { code: b.code } : {}),
      since: at,
    };
  }
  return out;
}

/**
 * Records a plan's blocks in the state (written only when they changed). With `announce`, every block not yet
 * announced for its reason is marked announced and returned: the caller sends its event, once per (module, reason).
 * A module no longer blocked loses its record, so blocking it again is announced again.
 */
export function recordBlocked(store: StateStore, blocks: readonly Block[], announce: boolean): NewBlock[] {
  const state = store.read();
  const next = nextBlocked(state.blocked, blocks, new Date().toISOString());
  const fresh: NewBlock[] = [];
  if (announce) {
    for (const [module, b] of Object.entries(next)) {
      if (b.announced === b.reason) continue;
      next[module] = { ...b, announced: b.reason };
      fresh.push({ module, ...next[module]! });
    }
  }
  if (JSON.stringify(next) !== JSON.stringify(state.blocked ?? {})) {
    const out: DeployedState = { ...state };
    if (Object.keys(next).length > 0) out.blocked = next;
    else delete out.blocked;
    store.write(out);
  }
  return fresh;
}
