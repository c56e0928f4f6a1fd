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

/**
 * The operator's key layout. Refuses (exit 2) templates that can name the same key — the ring's generation counter and
 * its document, or a tenant's key and a ring's — where one write would clobber another.
 */
export function keyLayout(cfg: RedisConfig | undefined): KeyLayout {
  const l = { ...DEFAULT_KEYS, ...(cfg?.keys ?? {}) };
  const slots = ['tenant', 'ring', 'generation'] as const;
  for (let i = 0; i < slots.length; i++)
    for (let j = i + 1; j < slots.length; j++) {
      const [a, b] = [slots[i]!, slots[j]!];
      if (canCollide(l[a], l[b]))
        throw new InputError(
          'redis/keys-overlap',
          `redis.keys.${a} ${JSON.stringify(l[a])} and redis.keys.${b} ${JSON.stringify(l[b])} can name the same key`,
          {
            expected:
              'templates no key of which matches another (e.g. modules:active:{tenant}, modules:ring:{ring})',
          },
        );
    }
  return l;
}

// A template as tokens: literal characters, then the name (one letter or digit, then any name characters).
type Tok = { lit: string } | { first: true } | { rest: true };
const ALNUM = /[A-Za-z0-9]/;
const NAME_CHAR = /[A-Za-z0-9._-]/;

function tokens(template: string): Tok[] {
  const m = /\{(tenant|ring)\}/.exec(template);
  if (!m) return [...template].map((c) => ({ lit: c }));
  const before = template.slice(0, m.index);
  const after = template.slice(m.index + m[0].length);
  return [
    ...[...before].map((c) => ({ lit: c })),
    { first: true },
    { rest: true },
    ...[...after].map((c) => ({ lit: c })),
  ];
}

/** The states reachable from `k` without reading (a name's rest may be empty). */
function closure(t: Tok[], k: number): number[] {
  const out = [k];
  while (k < t.length && 'rest' in t[k]!) out.push(++k);
  return out;
}

function step(t: Tok[], k: number, c: string): number[] {
  const tok = t[k];
  if (tok === undefined) return [];
  if ('lit' in tok) return tok.lit === c ? closure(t, k + 1) : [];
  if ('first' in tok) return ALNUM.test(c) ? closure(t, k + 1) : [];
  return NAME_CHAR.test(c) ? closure(t, k) : [];
}

/** Whether some key matches both templates (a search over the pair of their automata). */
export function canCollide(a: string, b: string): boolean {
  const ta = tokens(a);
  const tb = tokens(b);
  const alphabet = [...new Set([...'aZ09._-', ...a.replace(/\{\w+\}/g, ''), ...b.replace(/\{\w+\}/g, '')])];
  const seen = new Set<string>();
  const queue: [number, number][] = [];
  for (const i of closure(ta, 0)) for (const j of closure(tb, 0)) queue.push([i, j]);
  while (queue.length > 0) {
    const [i, j] = queue.pop()!;
    const id = `${i},${j}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (i === ta.length && j === tb.length) return true;
    for (const c of alphabet)
      for (const x of step(ta, i, c)) for (const y of step(tb, j, c)) queue.push([x, y]);
  }
  return false;
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
