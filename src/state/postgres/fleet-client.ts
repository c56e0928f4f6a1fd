// The fleet view's one connection: opened from RINGLOCK_DATABASE_URL, its failures said in one line naming
// host:port/database (never the URL, which may carry a password): unreachable is exit 3, refused credentials or a
// missing database are the operator's configuration (exit 2).
import pg from 'pg';
import { InputError, isErrnoException, OperationFailed } from '../../errors.js';

/** Where a URL points, for messages: `host:port/database`, no user, no password. */
export function endpointOf(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '(unparsable URL)';
  }
  const host = u.hostname || u.searchParams.get('host') || 'localhost';
  const port = u.port || u.searchParams.get('port') || '5432';
  const db =
    decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres';
  return `${host}:${port}/${db}`;
}

/** The URL's password (to scrub from any message that might quote it). */
export function passwordOf(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}

export function checkUrl(url: string, from: string): void {
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:'))
    throw new InputError('state/database-url', `${from}: not a postgres:// URL`, {
      expected:
        'postgres://user:password@host:5432/database (password from a secret, never on a command line)',
    });
}

/** Socket errors that mean the server was not reached, in words. */
const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
};

/** A connected client, or an error that says what went wrong with which endpoint. */
export async function connectFleet(
  url: string,
  opts: { connectTimeoutMs?: number } = {},
): Promise<pg.Client> {
  const where = endpointOf(url);
  const client = new pg.Client({
    connectionString: url,
    application_name: 'ringlock status',
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    statement_timeout: 30_000,
  });
  // An error after connect (the server going away) must not crash the process as an unhandled 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (e) {
    await client.end().catch(() => undefined);
    throw connectError(e, where);
  }
}

/** A pg or socket error at connect time, translated. */
export function connectError(e: unknown, where: string): Error {
  const code = (e as { code?: unknown }).code;
  const msg = (e as Error).message ?? String(e);
  if (typeof code === 'string' && code.startsWith('28'))
    return new InputError('state/database-auth', `PostgreSQL at ${where} refused the credentials: ${msg}`, {
      expected: 'the user and password of RINGLOCK_DATABASE_URL (a role with SELECT on the schema is enough)',
    });
  if (code === '3D000')
    return new InputError('state/database-missing', `PostgreSQL at ${where}: ${msg}`, {
      expected: 'the database named in RINGLOCK_DATABASE_URL',
    });
  const net = isErrnoException(e) ? NETWORK[e.code ?? ''] : undefined;
  const why = net
    ? `${net} (${(e as NodeJS.ErrnoException).code})`
    : /timeout/i.test(msg)
      ? 'connection timed out'
      : msg;
  return new OperationFailed('state/unreachable', `cannot reach PostgreSQL at ${where}: ${why}`, {
    expected: 'a running server at RINGLOCK_DATABASE_URL, reachable from here',
    cause: e,
  });
}
