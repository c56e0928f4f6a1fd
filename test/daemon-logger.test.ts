// The daemon's logger keeps secrets out of every line: by key (authorization headers, tokens, passwords, secrets) and
// by value (the secrets it was given, also JSON-escaped, and URL credentials).
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/daemon/logger.js';

function capture(secrets: string[], level = 'trace') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { log: createLogger({ level, secrets, destination }), lines };
}

describe('daemon logger', () => {
  it('redacts secrets by key and by value, and URL credentials', () => {
    const token = 'ghs_0123456789abcdefTOKEN';
    const quoted = 'pa"ss\\word-9876';
    const { log, lines } = capture([token, quoted]);
    log.info(
      { req: { headers: { authorization: `Bearer ${token}`, 'x-hub-signature-256': 'sha256=abc' } } },
      'request',
    );
    log.info({ headers: { authorization: 'Basic eC1hY2Nlc3MtdG9rZW46c2VjcmV0' } }, 'headers');
    log.info({ token: 'some-other-token-value', password: 'hunter2-long', secret: 'xyz-secret-1' }, 'fields');
    log.warn({ git: { token: 'nested-token-value' } }, 'nested');
    log.error(
      { url: 'https://user:p4ssw0rd@git.example.com/acme/platform.git' },
      `clone of https://x:${token}@h/r failed`,
    );
    log.info({ detail: `quoted secret ${quoted}` }, `the token was ${token}`);
    const all = lines.join('\n');
    for (const leaked of [
      token,
      'some-other-token-value',
      'hunter2-long',
      'xyz-secret-1',
      'nested-token-value',
      'p4ssw0rd',
      'eC1hY2Nlc3MtdG9rZW46c2VjcmV0',
      'sha256=abc',
      JSON.stringify(quoted).slice(1, -1),
    ])
      expect(all.includes(leaked), `${leaked} leaked:\n${all}`).toBe(false);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toHaveLength(6);
    expect(parsed[0]).toMatchObject({ level: 'info', name: 'ringlock', msg: 'request' });
    expect(all).toContain('[REDACTED]');
    expect(all).toContain('https://***@git.example.com/acme/platform.git');
  });

  it('takes its level from LOG_LEVEL and refuses an unknown one', () => {
    const { log, lines } = capture([], 'warn');
    log.info('hidden');
    log.warn('shown');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown']);
    expect(() => capture([], 'loud')).toThrow(/LOG_LEVEL loud: not a log level/);
  });
});
