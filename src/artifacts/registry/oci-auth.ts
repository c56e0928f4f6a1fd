// The registry's auth challenge (`WWW-Authenticate: Bearer realm=…,service=…,scope=…` or `Basic`), and where the
// operator's credentials may go: the registry's own origin, or a token service the operator bound the token to.
import { InputError } from '../../errors.js';
import { isLoopback } from './oci-ref.js';
import { displayUrl } from './types.js';

export interface Challenge {
  scheme: 'bearer' | 'basic';
  params: Record<string, string>;
}

/** The first Bearer or Basic challenge of a WWW-Authenticate header; undefined when there is none. */
export function parseChallenge(header: string | string[] | undefined): Challenge | undefined {
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
  const m = /^\s*(Bearer|Basic)\b\s*(.*)$/i.exec(text);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme: m[1]!.toLowerCase() as 'bearer' | 'basic', params };
}

export interface Credentials {
  /** Environment variable names, for messages. */
  userEnv: string;
  tokenEnv?: string;
  user?: string;
  secret?: string;
}

/** The credentials' description for messages: names only, never values. */
export function describeCredentials(c: Credentials): string {
  if (c.secret === undefined) return 'anonymous (no credentials configured)';
  return c.user === undefined
    ? `the token in $${c.tokenEnv}`
    : `$${c.userEnv} with the token in $${c.tokenEnv}`;
}

/**
 * The token service URL of a Bearer challenge, checked: http(s), and, when credentials would be sent, on the registry's
 * origin or a host the operator allowed for them, and never over plain HTTP to a host that is not loopback unless the
 * operator allowed plain HTTP.
 */
export function realmUrl(
  ch: Challenge,
  registryOrigin: string,
  creds: Credentials,
  opts: { insecure: boolean; allowed?: (url: string) => boolean },
): URL {
  const realm = ch.params.realm ?? '';
  let u: URL;
  try {
    u = new URL(realm);
  } catch {
    throw new InputError(
      'registry/realm',
      `the registry's token service "${realm.slice(0, 200)}" is not a URL`,
      {
        expected: 'a WWW-Authenticate Bearer realm with an http(s) URL',
      },
    );
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new InputError('registry/realm', `the registry's token service ${displayUrl(u)} is not http(s)`);
  }
  if (creds.secret === undefined) return u;
  if (u.protocol === 'http:' && !opts.insecure && !isLoopback(u.hostname)) {
    throw new InputError(
      'registry/realm',
      `the registry's token service ${displayUrl(u)} is plain HTTP: ${describeCredentials(creds)} is not sent there`,
      { expected: 'an https token service, or registry.insecure: true in the operator config' },
    );
  }
  if (u.origin !== registryOrigin && !(opts.allowed?.(u.toString()) ?? false)) {
    const name = creds.tokenEnv ?? 'the token';
    throw new InputError(
      'config/untrusted-destination',
      `the registry at ${new URL(registryOrigin).host} sends its clients to a token service at ${u.host}, another host: ${describeCredentials(creds)} is not sent there`,
      {
        expected: `${name} bound to that host by the operator: credentials: {${name}: [${u.host}]} in the operator config, or RINGLOCK_DESTINATIONS=${name}@${u.host}`,
      },
    );
  }
  return u;
}

export function basicHeader(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
}
