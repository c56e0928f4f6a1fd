// Keeping secrets out of what ringlock prints: URL credentials, and the values of secrets it was given.

/** The URL with any user:password@ removed (for messages, logs and status). Non-URLs come back unchanged. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1');
}

/**
 * Replaces every occurrence of each secret (at least 4 characters) with "[REDACTED]", and credentials in any URL
 * inside the text with "***@". Use on text that may quote a secret: error messages, command output, log lines.
 */
export function scrub(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s"']+@/gi, '$1***@');
  for (const s of secrets) {
    if (s === undefined || s.length < 4) continue;
    out = out.split(s).join('[REDACTED]');
  }
  return out;
}
