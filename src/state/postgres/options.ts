// The PostgreSQL store's settings: the operator's (environment), never the repository's. The URL comes from
// RINGLOCK_DATABASE_URL only and is never printed with its password (redactUrl).
import { InputError } from '../../errors.js';
import { parseDuration } from '../../model/duration.js';
import { SCHEMA_NAME } from './migrations.js';

export interface PgStoreOptions {
  url: string;
  schema: string;
  ring: string;
  poolMax: number;
  /** The lease's time to live: a paused or partitioned leader is replaced after this. */
  leaseTtlMs: number;
  /** How often a standby looks at the lease (and a leader renews: a third of the TTL). */
  pollMs: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  applicationName: string;
  /** Apply missing migrations on start (false: refuse a schema without ringlock's tables). */
  migrate: boolean;
  /** The target's file state dir: a writer refuses while an operation the file store began is in flight there. */
  fileStateDir?: string;
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`; anything unparsable → `(the database URL)`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()])
      if (/pass|secret|key|token/i.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return '(the database URL)';
  }
}

/** `host:port` of a URL, for errors. */
export function dbAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}`;
  } catch {
    return '(the database)';
  }
}

function positiveInt(v: string | undefined, name: string, dflt: number, max: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new InputError('cli/env', `${name}=${v.slice(0, 20)}: not a whole number from 1 to ${max}`, {
      expected: `e.g. ${name}=${dflt}`,
    });
  return n;
}

/**
 * The settings from the environment, for `ring` (undefined: the store refuses its first use, naming the flag); throws
 * naming the variable that is missing or wrong.
 */
export function pgOptionsFromEnv(env: NodeJS.ProcessEnv, ring: string | undefined): PgStoreOptions {
  const url = env.RINGLOCK_DATABASE_URL;
  if (!url)
    throw new InputError('state/database-url', 'the PostgreSQL state store needs RINGLOCK_DATABASE_URL', {
      expected:
        'RINGLOCK_DATABASE_URL=postgres://user@host:5432/db (from a Secret; the repository never names the database)',
    });
  let proto = '';
  try {
    proto = new URL(url).protocol;
  } catch {
    proto = '';
  }
  if (proto !== 'postgres:' && proto !== 'postgresql:')
    throw new InputError('state/database-url', 'RINGLOCK_DATABASE_URL is not a postgres:// URL', {
      expected: 'postgres://user@host:5432/db?sslmode=verify-full&sslrootcert=/path/ca.pem',
    });
  const schema = env.RINGLOCK_STATE_SCHEMA || 'ringlock';
  if (!SCHEMA_NAME.test(schema))
    throw new InputError(
      'cli/env',
      `RINGLOCK_STATE_SCHEMA=${schema.slice(0, 70)}: not a schema name ringlock uses`,
      {
        expected: 'lower-case letters, digits and _, starting with a letter or _ (at most 63), e.g. ringlock',
      },
    );
  const ttl = env.RINGLOCK_LEASE_TTL ? parseDuration(env.RINGLOCK_LEASE_TTL) : 15_000;
  if (!(ttl >= 3_000 && ttl <= 600_000))
    throw new InputError('cli/env', `RINGLOCK_LEASE_TTL=${env.RINGLOCK_LEASE_TTL}: out of range`, {
      expected: 'a duration from 3s to 10m (default 15s)',
    });
  return {
    url,
    schema,
    ring: ring ?? '',
    poolMax: positiveInt(env.RINGLOCK_DATABASE_POOL_MAX, 'RINGLOCK_DATABASE_POOL_MAX', 4, 100),
    leaseTtlMs: ttl,
    pollMs: Math.min(1_000, Math.floor(ttl / 3)),
    connectTimeoutMs: 10_000,
    statementTimeoutMs: 30_000,
    applicationName: `ringlock:${ring}`.slice(0, 63),
    migrate: env.RINGLOCK_STATE_MIGRATE !== 'false',
  };
}

/** The store keeps one state per ring: refused before any use when the caller could not say which. */
export function assertRing(o: PgStoreOptions): void {
  if (o.ring === '')
    throw new InputError(
      'state/ring',
      'the PostgreSQL state store keeps one state per ring: which ring is this?',
      {
        expected: '--ring <ring> (the daemon: RING_NAME), or a ringlock.yaml with one ring',
      },
    );
}
