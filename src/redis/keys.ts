// The key layout in Valkey/Redis, fixed by the operator (operator config `redis.keys`), never by the repository: a
// hostile pull request must not be able to point ringlock at keys the platform uses for something else.
import { InputError } from '../errors.js';
import type { RedisConfig } from '../model/operator-config.js';

export interface KeyLayout {
  /** Per tenant: JSON object module name → versioned entry URL (the SeptemCore shape the shell reads). */
  tenant: string;
  /** Per ring: the ring's pointer document (RingPointer, JSON). */
  ring: string;
  /** Per ring: the generation every switch checks and increases. */
  generation: string;
}

export const DEFAULT_KEYS: KeyLayout = {
  tenant: 'modules:active:{tenant}',
  ring: 'modules:ring:{ring}',
  generation: 'modules:generation:{ring}',
};

export const DEFAULT_URL_ENV = 'RINGLOCK_REDIS_URL';

/** A tenant or ring name as it may appear in a key: the names tenants.yaml and ringlock.yaml allow. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function keyLayout(cfg: RedisConfig | undefined): KeyLayout {
  return { ...DEFAULT_KEYS, ...(cfg?.keys ?? {}) };
}

function fill(template: string, slot: 'tenant' | 'ring', name: string): string {
  if (!NAME.test(name))
    throw new InputError(
      'redis/key-name',
      `${slot} ${JSON.stringify(name.slice(0, 80))}: not usable in a Redis key`,
      {
        expected: 'letters, digits, ".", "_" and "-"',
      },
    );
  return template.replace(`{${slot}}`, name);
}

export const tenantKey = (l: KeyLayout, tenant: string) => fill(l.tenant, 'tenant', tenant);
export const ringKey = (l: KeyLayout, ring: string) => fill(l.ring, 'ring', ring);
export const generationKey = (l: KeyLayout, ring: string) => fill(l.generation, 'ring', ring);
