// What the operator allows, and the checks every repository-chosen destination passes. A credential that
// ringlock.yaml names (a `tokenEnv`, a `secretEnv`) goes only to a host the operator bound that very credential to; an
// event without one goes only to a host the operator allowed. Values the operator gives (flags, environment, the
// operator config) are trusted as they are; the repository may choose among them, never widen them.
import { InputError } from '../errors.js';
import type { HookRunnerConfig, PointerConfig, RedisConfig } from '../model/operator-config.js';
import type { SourceDoc } from '../model/source.js';

export interface HostRule {
  /** Lower-case host name or IP (IPv6 without brackets); for a wildcard, the domain after "*.". */
  host: string;
  /** Without one, only https on 443: a rule never lets a token fall back to plain http or another port unasked. */
  port?: number;
  /** `*.example.com`: any subdomain of example.com (not example.com itself). */
  wildcard: boolean;
  text: string;
}

export interface ModuleEnvPolicy {
  /** Names copied from ringlock's own environment into module code's. */
  pass: string[];
  /** Fixed values. */
  set: Record<string, string>;
  /** Who module code runs as (needs root or CAP_SETUID/CAP_SETGID); unset: ringlock's own user. */
  user?: { uid: number; gid: number };
}

export interface TrustPolicy {
  /** Hosts ringlock.yaml may send events to that carry no credential (unsigned notifications). */
  allowedHosts: HostRule[];
  /** Credential (environment variable name) → the hosts it may be sent to, or sign requests for. */
  credentials: ReadonlyMap<string, HostRule[]>;
  /** The registry the operator fixed (operator config `registry`): the repository's registry section is not used. */
  registry?: { url: string; tokenEnv?: string; insecure?: boolean };
  /** The GitHub API base URL the operator set (RINGLOCK_GITHUB_API_URL, else the operator config's github.apiUrl). */
  githubApiUrl?: string;
  /** The runner's GITHUB_API_URL (GitHub Actions sets it): used when neither the operator nor ringlock.yaml says. */
  githubApiUrlDefault?: string;
  moduleEnv: ModuleEnvPolicy;
  /** How lifecycle hooks given as references run (the operator config's `hooks`). */
  hooks?: HookRunnerConfig;
  /** The Valkey/Redis key layout and URL variable (operator config `redis`). */
  redis?: RedisConfig;
  /** The micro-frontend target's storage and public URL (operator config `pointer`). */
  pointer?: PointerConfig;
  /** Where the operator's settings came from ("RINGLOCK_ALLOWED_HOSTS", "operator.yaml"), for the start-up log. */
  sources: string[];
}

export const EMPTY_POLICY: TrustPolicy = {
  allowedHosts: [],
  credentials: new Map(),
  moduleEnv: { pass: [], set: {} },
  sources: [],
};

const HOST_RULE =
  /^(\*\.)?((?:[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/;

/** `registry.example.com`, `10.0.0.7:8443`, `*.example.com`, `[::1]:8080`; undefined when it is none of those. */
export function parseHostRule(text: string): HostRule | undefined {
  const m = HOST_RULE.exec(text.trim().toLowerCase());
  if (!m) return undefined;
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  const host = m[2]!.replace(/^\[|\]$/g, '');
  if (m[1] && m[2]!.startsWith('[')) return undefined;
  return { host, port, wildcard: m[1] !== undefined, text: text.trim() };
}

interface Endpoint {
  host: string;
  port: number;
  https: boolean;
}

function endpoint(url: string): Endpoint | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  const https = u.protocol === 'https:';
  const port = u.port ? Number(u.port) : https ? 443 : 80;
  return { host: u.hostname.replace(/^\[|\]$/g, '').toLowerCase(), port, https };
}

function matches(rule: HostRule, e: Endpoint): boolean {
  if (rule.port === undefined ? !(e.https && e.port === 443) : rule.port !== e.port) return false;
  return rule.wildcard ? e.host.endsWith(`.${rule.host}`) : e.host === rule.host;
}

function matchesAny(rules: readonly HostRule[] | undefined, url: string): boolean {
  const e = endpoint(url);
  return e !== undefined && (rules ?? []).some((r) => matches(r, e));
}

/** Same scheme, host and port. */
function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/**
 * True when `url` may receive what is sent: with `credential` (an environment variable's name), a host the operator
 * bound that credential to; without, a host the operator allowed. Either way also where the operator's own `trusted`
 * URLs point (same scheme, host and port).
 */
export function destinationAllowed(
  policy: TrustPolicy,
  url: string,
  credential?: string,
  trusted: (string | undefined)[] = [],
): boolean {
  if (trusted.some((t) => t !== undefined && sameOrigin(t, url))) return true;
  return credential === undefined
    ? matchesAny(policy.allowedHosts, url)
    : matchesAny(policy.credentials.get(credential), url);
}

export interface RepoValue {
  /** The URL as ringlock.yaml gives it. */
  url: string;
  doc: SourceDoc;
  /** JSON pointer of the value in ringlock.yaml. */
  pointer: string;
}

/** The host part of a URL for messages (never its path or query, which may carry more than a host). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host || url.slice(0, 60);
  } catch {
    return url.slice(0, 60);
  }
}

/**
 * Refuses a repository-chosen destination the operator has not allowed: an InputError at the value's line, naming
 * what would have been sent and how the operator allows it. Nothing has been sent when this throws. `credential` is
 * the environment variable whose value would be sent (or sign what is sent); undefined for an event without one.
 */
export function requireAllowed(
  policy: TrustPolicy,
  v: RepoValue,
  what: string,
  credential: string | undefined,
  operatorWay: string,
  trusted: (string | undefined)[] = [],
): void {
  if (destinationAllowed(policy, v.url, credential, trusted)) return;
  const where = v.doc.locate(v.pointer);
  const host = hostOf(v.url);
  const shown = `${v.url.toLowerCase().startsWith('http:') ? 'http://' : ''}${host}`;
  const how =
    credential === undefined
      ? "the host in the operator's allowedHosts (--operator-config / RINGLOCK_OPERATOR_CONFIG) or RINGLOCK_ALLOWED_HOSTS"
      : `${credential} bound to that host by the operator: credentials: {${credential}: [${host}]} in the operator config (--operator-config / RINGLOCK_OPERATOR_CONFIG), or RINGLOCK_DESTINATIONS=${credential}@${host}`;
  throw new InputError(
    'config/untrusted-destination',
    credential === undefined
      ? `${v.pointer}: ${what} would go to ${shown}, a host the operator has not allowed`
      : `${v.pointer}: ${what} would go to ${shown}, a host the operator has not bound ${credential} to`,
    {
      file: v.doc.file,
      line: where.line,
      column: where.column,
      pointer: v.pointer,
      expected: `${operatorWay}, or ${how} (a host without a port means https on 443): the repository cannot choose where credentials go`,
    },
  );
}

/**
 * The GitHub API base URL a forge token (the variable `tokenEnv`) is sent to: the one the operator set (ringlock.yaml's
 * is then not used); else ringlock.yaml's `repoValue`, which must be GITHUB_API_URL's or GitHub's own origin, or a
 * host the operator bound that token to; else GITHUB_API_URL. Undefined means https://api.github.com.
 */
export function githubApiUrl(
  policy: TrustPolicy,
  repoValue: RepoValue | undefined,
  tokenEnv: string,
): string | undefined {
  if (policy.githubApiUrl) return policy.githubApiUrl;
  if (!repoValue) return policy.githubApiUrlDefault;
  requireAllowed(
    policy,
    repoValue,
    `the GitHub token ($${tokenEnv})`,
    tokenEnv,
    'the API URL in RINGLOCK_GITHUB_API_URL or the operator config (github.apiUrl)',
    [policy.githubApiUrlDefault, 'https://api.github.com'],
  );
  return repoValue.url;
}
