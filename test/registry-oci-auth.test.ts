// The OCI driver's auth against a real registry: the registry's bearer-token flow with the operator's credentials, a
// pre-issued token, wrong credentials, a token service on a host the operator did not allow, and Basic auth.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { OciRegistry, OciRegistryOptions } from '../src/artifacts/registry/oci.js';
import { InputError, OperationFailed } from '../src/errors.js';
import {
  AUTH,
  archive,
  driver,
  fetchFails,
  fetchTo,
  published,
  ref,
  type Server,
  server,
  sha,
} from './support/oci-fixtures.js';
import { hasBcrypt } from './support/oci-registry.js';

describe('oci registry: token auth', () => {
  const creds = { RL_USER: AUTH.user, RL_TOKEN: AUTH.password };
  const authed = (s: Server, o: Partial<OciRegistryOptions> = {}) =>
    driver(s.url(), {
      tokenEnv: 'RL_TOKEN',
      userEnv: 'RL_USER',
      env: creds,
      credentialsAllowed: (url) => url.startsWith(`${s.tokenUrl}/`),
      ...o,
    });

  it("publishes and fetches through the registry's bearer flow with the operator's credentials", async () => {
    const s = await server({ auth: AUTH });
    const a = archive();
    const reg = authed(s);
    const out = await reg.publish('orders', '1.4.2', [{ name: 'orders-1.4.2.tgz', path: a.path }]);
    const { dest } = await fetchTo(reg, ref({ artifact: out.artifact }));
    expect(sha(readFileSync(dest))).toBe(sha(a.bytes));
    const basic = `Basic ${Buffer.from(`${AUTH.user}:${AUTH.password}`).toString('base64')}`;
    expect(
      s.tokenRequests.every((r) => r.authorization === basic && r.service === 'ringlock-test-registry'),
    ).toBe(true);
    expect(s.tokenRequests.map((r) => r.scope)).toContain('repository:modules/orders:pull,push');
    // A fresh client (another process) pulls with a pull-only scope.
    await fetchTo(authed(s), ref({ artifact: out.artifact }));
    expect(s.tokenRequests.at(-1)!.scope).toBe('repository:modules/orders:pull');
  });

  it('a pre-issued bearer token (a token without a user) is sent as it is', async () => {
    const s = await server({ auth: AUTH });
    const basic = `Basic ${Buffer.from(`${AUTH.user}:${AUTH.password}`).toString('base64')}`;
    const q = new URLSearchParams({
      service: 'ringlock-test-registry',
      scope: 'repository:modules/orders:pull,push',
    });
    const res = await fetch(`${s.tokenUrl}/token?${q}`, { headers: { authorization: basic } });
    const { token } = (await res.json()) as { token: string };
    const before = s.tokenRequests.length;
    const reg = driver(s.url(), { tokenEnv: 'RL_TOKEN', env: { RL_TOKEN: token } });
    const a = archive();
    const out = await reg.publish('orders', '1.4.2', [{ name: 'orders-1.4.2.tgz', path: a.path }]);
    const { dest } = await fetchTo(reg, ref({ artifact: out.artifact }));
    expect(sha(readFileSync(dest))).toBe(sha(a.bytes));
    expect(s.tokenRequests.length).toBe(before); // the token service was not asked
  });

  it('wrong credentials: a clear error that names the variables, never the secret', async () => {
    const s = await server({ auth: AUTH });
    const { out } = await published(s, {
      tokenEnv: 'RL_TOKEN',
      userEnv: 'RL_USER',
      env: creds,
      credentialsAllowed: () => true,
    });
    const wrong = 'wrong-password-xyz';
    const err = await fetchFails(
      authed(s, { env: { RL_USER: AUTH.user, RL_TOKEN: wrong } }),
      ref({ artifact: out.artifact }),
    );
    expect(err).toBeInstanceOf(OperationFailed);
    expect(err.code).toBe('registry/auth');
    expect(err.message).toContain('$RL_USER with the token in $RL_TOKEN was refused');
    expect(`${err.message} ${err.expected}`).not.toContain(wrong);
    const anon = await fetchFails(driver(s.url()), ref({ artifact: out.artifact }));
    expect(anon.code).toBe('registry/auth');
    expect(anon.message).toContain('anonymous');
  });

  it('credentials are not sent to a token service on a host the operator did not allow', async () => {
    const s = await server({ auth: AUTH });
    const err = await archiveAndPublish(authed(s, { credentialsAllowed: undefined }));
    expect(err).toBeInstanceOf(InputError);
    expect(err.code).toBe('config/untrusted-destination');
    expect(err.message).toContain(`a token service at ${new URL(s.tokenUrl!).host}, another host`);
    expect(err.expected).toContain(`RINGLOCK_DESTINATIONS=RL_TOKEN@${new URL(s.tokenUrl!).host}`);
    expect(s.tokenRequests).toEqual([]);
  });
});

describe.skipIf(!hasBcrypt)('oci registry: Basic auth by the registry itself', () => {
  it('answers a Basic challenge with the user and token, and says when they are refused', async () => {
    const s = await server({ basic: AUTH });
    const env = { RL_USER: AUTH.user, RL_TOKEN: AUTH.password };
    const reg = driver(s.url(), { tokenEnv: 'RL_TOKEN', userEnv: 'RL_USER', env });
    const a = archive();
    const out = await reg.publish('orders', '1.4.2', [{ name: 'orders-1.4.2.tgz', path: a.path }]);
    const { dest } = await fetchTo(reg, ref({ artifact: out.artifact }));
    expect(sha(readFileSync(dest))).toBe(sha(a.bytes));
    const wrong = driver(s.url(), {
      tokenEnv: 'RL_TOKEN',
      userEnv: 'RL_USER',
      env: { ...env, RL_TOKEN: 'nope-nope' },
    });
    const err = await fetchFails(wrong, ref({ artifact: out.artifact }));
    expect(err.code).toBe('registry/auth');
    expect(err.message).toContain('$RL_USER with the token in $RL_TOKEN was not accepted');
    expect(err.message).not.toContain('nope-nope');
  });
});

async function archiveAndPublish(reg: OciRegistry) {
  const a = archive();
  return reg.publish('orders', '1.4.2', [{ name: 'orders-1.4.2.tgz', path: a.path }]).then(
    () => undefined as never,
    (e: Error & { code: string; expected?: string }) => e,
  );
}
