// Builds the pointer target from the operator's settings: the storage and public URL (operator config `pointer`), the
// Redis URL (the operator's environment) and key layout (operator config `redis`). The repository only chooses the
// target type: it can name neither the CDN the shell loads from nor a Redis key.
import { InputError } from '../../errors.js';
import type { PointerConfig, RedisConfig } from '../../model/operator-config.js';
import { RedisBridge } from '../../redis/bridge.js';
import { keyLayout } from '../../redis/keys.js';
import { redisUrlFromEnv } from '../../redis/url.js';
import { DirBundleStorage } from './dir-storage.js';
import { PointerTarget } from './pointer-target.js';
import type { BundleStorage } from './storage.js';

export interface CreatePointerOptions {
  /** The local directory (state, staging, verified copies). */
  root: string;
  pointer: PointerConfig | undefined;
  redis: RedisConfig | undefined;
  env: NodeJS.ProcessEnv;
  /** The ring whose pointer this target switches; asked when Redis is first used. */
  ring: () => string;
  /** The ring's tenants now. */
  tenants: (ring: string) => string[];
  /** The order of the ring's lock (its last git commit's time), when the workspace knows it. */
  lockOrder: (ring: string) => { at: number; commit: string } | undefined;
  /** Every tenant rings/tenants.yaml assigns to any ring. */
  assigned: () => string[];
  /** Every ring of ringlock.yaml (they share the bundle storage). */
  rings: () => string[];
}

/**
 * The target; what it needs from the operator is checked when it is first used, so commands that never touch the
 * storage or Redis (lock, publish, history) run without them.
 */
export function createPointerTarget(o: CreatePointerOptions): PointerTarget {
  const missing = () =>
    new InputError('pointer/config', "target.type pointer needs the operator config's pointer section", {
      expected:
        'pointer: {storage: {type: dir, path: /srv/cdn/modules}, publicUrl: https://cdn.example.com/modules} in --operator-config',
    });
  const storage: BundleStorage = o.pointer
    ? new DirBundleStorage(o.pointer.storage.path)
    : new Proxy({} as BundleStorage, {
        get: (_t, prop) =>
          prop === 'name'
            ? 'storage (not configured)'
            : () => {
                throw missing();
              },
      });
  let bridge: RedisBridge | undefined;
  const redis = () => {
    if (!o.pointer) throw missing();
    bridge ??= new RedisBridge(redisUrlFromEnv(o.env, o.redis));
    return bridge;
  };
  let ring: string | undefined;
  const ringName = () => {
    ring ??= o.ring();
    return ring;
  };
  return new PointerTarget({
    root: o.root,
    storage,
    publicUrl: o.pointer?.publicUrl ?? '',
    pointer: {
      bridge: {
        read: (...a) => redis().read(...a),
        switch: (r) => redis().switch(r),
        close: () => bridge?.close(),
      },
      keys: keyLayout(o.redis),
      get ring() {
        return ringName();
      },
      tenants: () => o.tenants(ringName()),
      rings: o.rings,
      assigned: o.assigned,
      lockOrder: () => o.lockOrder(ringName()),
      override: () => o.env.RINGLOCK_POINTER_OVERRIDE === '1',
    },
  });
}
