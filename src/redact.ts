// Keeping secrets out of what ringlock prints: one function, redact(), for every log line, /status body, --json answer
// and error message. It knows every way a credential rides in text — URL userinfo (any characters, up to the last @
// before the host), credential query parameters, Authorization-style headers (also as http.extraHeader values) — and
// the values of the secrets ringlock was given. urlCredentials() refuses exactly the URL forms redact() recognises.

/** Query parameters that carry a credential (matched whole, case-insensitively). */
const QUERY_KEYS = [
  'access_token',
  'refresh_token',
  'id_token',
  'auth_token',
  'oauth_token',
  'private_token',
  'job_token',
  'token',
  'api_key',
  'apikey',
  'api-key',
  'key',
  'password',
  'passwd',
  'pwd',
  'secret',
  'client_secret',
  'sig',
  'signature',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'x-goog-signature',
  'x-goog-credential',
];
/** A key as written, `_` and `-` also percent-encoded (`access%5Ftoken`). */
const keyPattern = (k: string) => k.replace(/_/g, '(?:_|%5f)').replace(/-/g, '(?:-|%2d)');
/** In the query, or in the fragment (`#access_token=`, as OAuth's implicit flow returns it). */
const QUERY = new RegExp(`([?&;#](?:${QUERY_KEYS.map(keyPattern).join('|')})=)[^&#;\\s"'<>\\\\]+`, 'gi');

/** Headers whose value is a credential, written `Name: value` or `"name": "value"` (JSON) in error text. */
const HEADER =
  /((?:proxy-)?authorization|private-token|job-token|x-api-key|api-key|x-auth-token|x-gitlab-token|x-hub-signature(?:-256)?|cookie)(["']?\s*[:=]\s*\[?\s*["']?)(?:(bearer|basic|token|digest|negotiate|ntlm|aws4-hmac-sha256|ringlock)\s+)?[^\s"',;\\]+/gi;
/** `Bearer <credential>` on its own (a header quoted without its name). */
const BEARER = /\b(bearer)\s+(?!\*\*\*)[A-Za-z0-9._~+/=-]{8,}/gi;
/** An http.extraHeader value of any header name: `http.extraHeader=X-Custom: value`, also per URL. */
const EXTRA_HEADER = /(extraheader["']?\s*[=:\s]\s*["']?[A-Za-z0-9-]+\s*:\s*)[^\s"'\\]+(?:\s+[^\s"'\\]+)?/gi;

const SCHEME = /[a-z][a-z0-9+.-]*:\/\//gi;

/**
 * Where the userinfo of the URL starting at `from` (just past `scheme://`) ends: the index of the `@` that closes it,
 * or -1. The userinfo may hold any character but whitespace, quotes, `?` and `#` — also `/` and `@`, so `https://u:a/b@c@host`
 * ends at the last `@`. An `@` that opens a path segment (`https://registry/@scope/pkg`) is not one, unless what
 * precedes the first `/` is itself `user:password` (a password ending in `/`).
 */
function userinfoEnd(text: string, from: number): number {
  let end = from;
  while (end < text.length && !/[\s"'<>`?#]/.test(text[end]!)) end++;
  const span = text.slice(from, end);
  const slash = span.indexOf('/');
  const first = slash < 0 ? span : span.slice(0, slash);
  // user:password, not host:port (nor the colons of an [IPv6] address).
  const userPass = /:(?!\d*$)/.test(first.replace(/\[[^\]]*\]/g, ''));
  for (let at = span.lastIndexOf('@'); at > 0; at = span.lastIndexOf('@', at - 1)) {
    if (span[at - 1] !== '/' || userPass) return from + at;
  }
  return -1;
}

function eachUserinfo(text: string, fn: (start: number, at: number) => void): void {
  SCHEME.lastIndex = 0;
  for (let m = SCHEME.exec(text); m; m = SCHEME.exec(text)) {
    const start = m.index + m[0].length;
    const at = userinfoEnd(text, start);
    if (at < 0) continue;
    fn(start, at);
    SCHEME.lastIndex = at + 1;
  }
}

/**
 * The text with every credential it carries masked: URL userinfo → `***@`, credential query parameters → `key=***`,
 * Authorization-style header values → `Bearer ***`, and each given secret (at least 4 characters) → `[REDACTED]`.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  // Secrets first: a token is also found when it is not in a credential position (an echoed command, a body).
  for (const s of secrets) {
    if (s === undefined || s.length < 4) continue;
    out = out.split(s).join('[REDACTED]');
  }
  const parts: string[] = [];
  let last = 0;
  eachUserinfo(out, (start, at) => {
    parts.push(out.slice(last, start), '***');
    last = at;
  });
  out = parts.join('') + out.slice(last);
  return out
    .replace(QUERY, '$1***')
    .replace(EXTRA_HEADER, '$1***')
    .replace(
      HEADER,
      (_m, name: string, sep: string, scheme?: string) => `${name}${sep}${scheme ? `${scheme} ` : ''}***`,
    )
    .replace(BEARER, '$1 ***');
}

/** A URL for messages, logs and status: the same as redact() (kept for the callers that name a URL). */
export function redactUrl(url: string): string {
  return redact(url);
}

/** redact() under the name error paths use: text that may quote a secret (errors, command output, log lines). */
export function scrub(text: string, secrets: readonly (string | undefined)[] = []): string {
  return redact(text, secrets);
}

/**
 * What credential a URL carries, in words (`user:password@`, `the access_token query parameter`), or undefined: the
 * refusal check for URLs an operator passes on the command line (they would reach logs and the process list).
 */
export function urlCredentials(url: string): string | undefined {
  let found: string | undefined;
  eachUserinfo(url, () => {
    found ??= 'userinfo (user:password@ or token@)';
  });
  if (found) return found;
  QUERY.lastIndex = 0;
  const q = QUERY.exec(url);
  if (q) return `the ${q[1]!.slice(1, -1)} query parameter`;
  return undefined;
}

/** The URL without its userinfo, for use (not display): credentials there travel another way (a header). */
export function withoutUserinfo(url: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  const start = url.indexOf('://') + 3;
  const at = userinfoEnd(url, start);
  return at < 0 ? url : url.slice(0, start) + url.slice(at + 1);
}

/** The userinfo of a URL (undecoded), or undefined. */
export function userinfoOf(url: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return undefined;
  const start = url.indexOf('://') + 3;
  const at = userinfoEnd(url, start);
  return at < 0 ? undefined : url.slice(start, at);
}
