// Reading a daemon's /status from outside (`ringlock wait`): one GET to the URL the operator gave, no credentials
// (the endpoint needs none), no redirects followed, the body capped; every failure is an answer, never a throw.
import { InputError } from '../errors.js';
import type { DaemonStatus } from './status.js';

/** /status is a few KB per module; anything past this is not a ringlock daemon. */
const MAX_BYTES = 16 * 1024 * 1024;

export type StatusAnswer = { ok: true; status: DaemonStatus } | { ok: false; error: string };

/**
 * The /status URL of `raw`: used as given when its path ends in `/status`, else `status` under its path (so both
 * `http://ringlock-canary:8080` and `https://ops.example/ringlock/canary/` work). Only http(s), no user:password.
 */
export function statusUrl(raw: string, from: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new InputError('wait/url', `${from}: "${raw}" is not a URL`, {
      expected: "the daemon's address, e.g. http://ringlock-canary:8080",
    });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new InputError('wait/url', `${from}: ${u.protocol} is not http or https`, {
      expected: 'an http:// or https:// URL',
    });
  if (u.username !== '' || u.password !== '')
    throw new InputError('wait/url', `${from}: the URL carries credentials`, {
      expected: 'a URL without user:password (/status needs none, and wait sends none)',
    });
  if (!u.pathname.endsWith('/status')) u.pathname = `${u.pathname.replace(/\/+$/, '')}/status`;
  u.hash = '';
  return u;
}

/** One GET of /status, given up after `timeoutMs`. */
export async function readStatus(url: URL, timeoutMs: number): Promise<StatusAnswer> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
    });
  } catch (e) {
    return { ok: false, error: `cannot reach ${url.origin}: ${why(e)}` };
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    const where = res.headers.get('location');
    return {
      ok: false,
      error: `${url.href} answered ${res.status}${where ? ` (redirect to ${where}; wait follows none: give that URL)` : ''}`,
    };
  }
  let text: string;
  try {
    text = await capped(res, MAX_BYTES);
  } catch (e) {
    return { ok: false, error: `${url.href}: ${why(e)}` };
  }
  try {
    const doc = JSON.parse(text) as DaemonStatus;
    if (
      typeof doc !== 'object' ||
      doc === null ||
      typeof doc.ring !== 'string' ||
      !Array.isArray(doc.modules)
    )
      return { ok: false, error: `${url.href} is not a ringlock daemon's /status (no ring, no modules)` };
    return { ok: true, status: doc };
  } catch {
    return { ok: false, error: `${url.href} answered something that is not JSON` };
  }
}

async function capped(res: Response, max: number): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw new Error(`the answer is larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function why(e: unknown): string {
  if (e instanceof Error) {
    if (e.name === 'TimeoutError') return 'no answer in time';
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? e.message;
  }
  return String(e);
}
