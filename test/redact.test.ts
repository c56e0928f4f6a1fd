// Redaction of every URL credential form, and the refusal of the same forms in --repo: redact() on plain text, the
// daemon's logger, and the real CLI refusing a daemon whose --repo carries a credential (nothing of it printed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/daemon/logger.js';
import { redact, urlCredentials, userinfoOf, withoutUserinfo } from '../src/redact.js';
import { runCli, show } from './fixtures-platform.js';

const SECRET = 'S3cr3tV4lue';

describe('redact()', () => {
  it.each([
    [
      'user:password',
      `https://user:${SECRET}@git.example.com/acme/p.git`,
      'https://***@git.example.com/acme/p.git',
    ],
    ['a / in the password', `https://user:tok/${SECRET}@host/x.git`, 'https://***@host/x.git'],
    ['a / ending the password', `https://user:${SECRET}/@host/x.git`, 'https://***@host/x.git'],
    ['a token alone', `https://${SECRET}@host`, 'https://***@host'],
    ['a token with a /', `https://ab/${SECRET}@host/x`, 'https://***@host/x'],
    ['%40 in the password', `https://user:p%40${SECRET}@host/x`, 'https://***@host/x'],
    ['@ in the password (the last @ ends it)', `https://user:p@${SECRET}@host/x`, 'https://***@host/x'],
    ['@ in the user', `https://me@corp.example:${SECRET}@host/x`, 'https://***@host/x'],
    ['a port', `http://u:${SECRET}@127.0.0.1:8080/x.git`, 'http://***@127.0.0.1:8080/x.git'],
    [
      'another scheme',
      `git+https://x-access-token:${SECRET}@github.com/a/b`,
      'git+https://***@github.com/a/b',
    ],
    ['?access_token', `https://host/x.git?access_token=${SECRET}`, 'https://host/x.git?access_token=***'],
    ['&token', `https://host/x?ref=main&token=${SECRET}&a=1`, 'https://host/x?ref=main&token=***&a=1'],
    ['private_token', `https://gitlab/api?private_token=${SECRET}`, 'https://gitlab/api?private_token=***'],
    ['upper case', `https://h/x?ACCESS_TOKEN=${SECRET}`, 'https://h/x?ACCESS_TOKEN=***'],
    ['a percent-encoded key', `https://h/x?access%5Ftoken=${SECRET}`, 'https://h/x?access%5Ftoken=***'],
    ['in the fragment', `https://h/cb#access_token=${SECRET}&x=1`, 'https://h/cb#access_token=***&x=1'],
    ['oauth_token', `https://h/x?oauth_token=${SECRET}`, 'https://h/x?oauth_token=***'],
    [
      'a presigned S3 URL',
      `https://b.s3.amazonaws.com/a.tgz?X-Amz-Credential=AKIA${SECRET}&X-Amz-Signature=${SECRET}`,
      'https://b.s3.amazonaws.com/a.tgz?X-Amz-Credential=***&X-Amz-Signature=***',
    ],
    [
      'an Azure SAS',
      `https://a.blob.core.windows.net/c/a.tgz?sv=2024&sig=${SECRET}`,
      'https://a.blob.core.windows.net/c/a.tgz?sv=2024&sig=***',
    ],
    ['password and key', `https://h/x?password=${SECRET};key=${SECRET}`, 'https://h/x?password=***;key=***'],
  ])('%s', (_name, input, expected) => {
    expect(redact(input)).toBe(expected);
    expect(redact(`could not fetch ${input} (HTTP 401)`)).toBe(`could not fetch ${expected} (HTTP 401)`);
    expect(redact(JSON.stringify({ url: input }))).toBe(JSON.stringify({ url: expected }));
    expect(urlCredentials(input)).toBeDefined();
  });

  it.each([
    ['Authorization: Bearer', `request failed; Authorization: Bearer ${SECRET}`, 'Authorization: Bearer ***'],
    ['authorization: token', `authorization: token ghp_${SECRET}`, 'authorization: token ***'],
    [
      'Basic',
      `Authorization: Basic ${Buffer.from(`x:${SECRET}`).toString('base64')}`,
      'Authorization: Basic ***',
    ],
    [
      'in JSON',
      JSON.stringify({ headers: { authorization: `Bearer ${SECRET}` } }),
      '"authorization":"Bearer ***"',
    ],
    ['a bare Bearer', `sent Bearer ${SECRET}x`, 'sent Bearer ***'],
    [
      'an inspected headers object',
      `headers: { authorization: [ 'token ${SECRET}' ] }`,
      "authorization: [ 'token ***' ]",
    ],
    ['PRIVATE-TOKEN', `PRIVATE-TOKEN: ${SECRET}`, 'PRIVATE-TOKEN: ***'],
    [
      'http.extraHeader (git -c)',
      `git -c http.extraHeader=Authorization: Basic ${SECRET}= fetch`,
      'http.extraHeader=Authorization: ***',
    ],
    [
      'http.<url>.extraHeader, any header',
      `http.https://h/.extraheader X-Custom-Auth: ${SECRET}`,
      'X-Custom-Auth: ***',
    ],
  ])('%s in error text', (_name, input, kept) => {
    const out = redact(input);
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(Buffer.from(`x:${SECRET}`).toString('base64'));
    expect(out).toContain(kept);
  });

  it('replaces the secrets it is given, then every credential form, in one pass over any text', () => {
    const out = redact(`token ${SECRET} sent to https://u:${SECRET}@h/x?token=${SECRET}`, [SECRET]);
    expect(out).toBe('token [REDACTED] sent to https://***@h/x?token=***');
    expect(redact('abc xyz', ['abc'])).toBe('abc xyz'); // shorter than 4: would mangle ordinary text
  });

  it('leaves URLs without credentials alone', () => {
    for (const url of [
      'https://github.com/acme/platform.git',
      'https://registry.npmjs.org/@acme/orders',
      'https://host:8443/@scope/pkg?ref=main&page=2',
      'http://[::1]:8080/@scope/x',
      'https://host/x?tokens=3&monkey=1&keys=2',
      '/srv/git/platform.git',
      'file:///srv/git/platform.git',
      'authorization failed for the remote',
    ]) {
      expect(redact(url)).toBe(url);
      if (url.includes('://')) expect(urlCredentials(url)).toBeUndefined();
    }
  });

  it('takes the userinfo out of a URL for use, with the same boundary', () => {
    expect(withoutUserinfo(`https://user:tok/E@host/x.git?ref=1`)).toBe('https://host/x.git?ref=1');
    expect(userinfoOf(`https://user:p@ss@host/x.git`)).toBe('user:p@ss');
    expect(withoutUserinfo('https://registry.npmjs.org/@acme/orders')).toBe(
      'https://registry.npmjs.org/@acme/orders',
    );
    expect(userinfoOf('https://host/x')).toBeUndefined();
  });
});

describe('the daemon logger', () => {
  it('keeps query tokens, slashed userinfo and Authorization out of every line', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ level: 'info', secrets: [], destination });
    log.error(
      {
        url: `https://h/x.git?access_token=${SECRET}`,
        error: `fetch failed: Authorization: Bearer ${SECRET}`,
      },
      `clone of https://user:tok/${SECRET}@h/r failed`,
    );
    const all = lines.join('');
    expect(all).not.toContain(SECRET);
    expect(all).toContain('https://h/x.git?access_token=***');
    expect(all).toContain('https://***@h/r');
  });
});

describe('ringlock daemon --repo with a credential', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it.each([
    `https://user:tok/${SECRET}@127.0.0.1:1/x.git`,
    `https://user:p@${SECRET}@127.0.0.1:1/x.git`,
    `https://${SECRET}@127.0.0.1:1/x.git`,
    `https://127.0.0.1:1/x.git?access_token=${SECRET}`,
    `https://127.0.0.1:1/x.git?ref=main&private_token=${SECRET}`,
  ])('is refused at start (exit 2), the secret in no output: %s', async (repo) => {
    const cwd = mkdtempSync(join(tmpdir(), 'ringlock-redact-'));
    dirs.push(cwd);
    for (const json of [false, true]) {
      const r = await runCli(['daemon', '--ring', 'canary', '--repo', repo, ...(json ? ['--json'] : [])], {
        cwd,
        env: { RINGLOCK_LISTEN: '127.0.0.1:0' },
      });
      expect(r.code, show(r)).toBe(2);
      expect(r.stdout + r.stderr).toMatch(/credentials in the URL .* are refused/);
      expect(r.stdout + r.stderr).not.toContain(SECRET);
      expect(r.stdout + r.stderr).not.toContain('daemon started');
    }
  });
});
