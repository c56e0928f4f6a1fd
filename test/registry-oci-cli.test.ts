// `ringlock publish` and `ringlock apply` against a real OCI registry (Debian's docker-registry on loopback): the lock
// records the manifest digest beside the integrity, apply pulls by it, and a wrong digest changes nothing.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RingLock } from '../src/model/types.js';
import { runCli } from './fixtures-platform.js';
import { cli, PLATFORM_CONFIG, platformRepo, REPO_ROOT, testdir } from './helpers.js';
import { type OciRegistry, startOciRegistry } from './support/oci-registry.js';

const servers: OciRegistry[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function server(o: Parameters<typeof startOciRegistry>[0] = {}) {
  const s = await startOciRegistry(o);
  servers.push(s);
  return s;
}

const lockPath = (dir: string) => join(dir, 'rings/canary.lock.json');
const readLock = (dir: string): RingLock => JSON.parse(readFileSync(lockPath(dir), 'utf8'));
const target = (dir: string) => join(dir, '.ringlock/target');
// The token service runs in this process: a CLI that talks to it must not block the event loop (spawnSync would).
const APPLY = ['apply', '--ring', 'canary', '--yes', '--skip-hooks'];
const run = (args: string[], cwd: string, env: Record<string, string>) => runCli(args, { cwd, env });
const apply = (dir: string, env: Record<string, string> = {}, extra: string[] = []) =>
  cli(['apply', '--ring', 'canary', '--yes', '--skip-hooks', ...extra, '--cwd', dir], { env });

describe('ringlock publish and apply with an OCI registry', () => {
  it("publishes to ringlock.yaml's oci registry, records the digest, and applies by it", async () => {
    const s = await server();
    const config = `${PLATFORM_CONFIG}registry:\n  type: oci\n  url: ${s.url('platform/modules')}\n`;
    const dir = platformRepo({ orders: { version: '1.4.2' } }, { config });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    const pub = cli(['publish', '--json', '--cwd', dir]);
    expect(pub.code, pub.stderr).toBe(0);
    const p = JSON.parse(pub.stdout).published[0];
    const e = readLock(dir).modules.orders!;
    expect(e.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(p.digest).toBe(e.digest);
    expect(e.artifact).toBe(`orders@${e.digest}`);
    expect(e.integrity).toMatch(/^sha512-/);
    // Re-locking an unchanged module keeps the digest with the integrity.
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    expect(readLock(dir).modules.orders!.digest).toBe(e.digest);
    const r = apply(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(target(dir), 'orders/src/index.php'), 'utf8')).toContain('orders');
  });

  it("a token ringlock.yaml names goes to an oci registry only when the operator bound it to the registry's host", () => {
    const config = `${PLATFORM_CONFIG}registry:\n  type: oci\n  url: oci://127.0.0.1:5999/m\n  tokenEnv: REG_TOKEN\n`;
    const dir = platformRepo({ orders: { version: '1.4.2' } }, { config });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    const r = cli(['publish', '--cwd', dir], { env: { REG_TOKEN: 'repo-chosen-secret' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ringlock.yaml:');
    expect(r.stderr).toContain('a host the operator has not bound REG_TOKEN to');
    expect(r.stderr).toContain('RINGLOCK_DESTINATIONS=REG_TOKEN@127.0.0.1:5999');
    expect(r.stderr).not.toContain('repo-chosen-secret');
  });

  it("the operator's insecure: false means https even on loopback", async () => {
    const s = await server();
    const dir = platformRepo({ orders: { version: '1.4.2' } });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    const ops = testdir({
      'op.yaml': `apiVersion: ringlock/v1\nkind: OperatorConfig\nregistry:\n  url: ${s.url()}\n  insecure: false\n`,
    });
    const r = cli(['publish', '--operator-config', join(ops, 'op.yaml'), '--cwd', dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('registry/tls');
    expect(r.stderr).toContain('registry.insecure: true');
    expect(readLock(dir).modules.orders!.digest).toBeUndefined();
  });

  it("the repository's example platform round-trips through the registry", async () => {
    const s = await server();
    const dir = testdir();
    for (const p of ['ringlock.yaml', 'rings', 'examples'])
      cpSync(join(REPO_ROOT, p), join(dir, p), { recursive: true });
    const env = { RINGLOCK_REGISTRY: s.url('acme/platform') };
    const pub = cli(['publish', '--ring', 'canary', '--all', '--json', '--cwd', dir], { env });
    expect(pub.code, pub.stderr).toBe(0);
    const published = JSON.parse(pub.stdout).published as {
      module: string;
      digest: string;
      artifact: string;
    }[];
    expect(published.length).toBeGreaterThan(0);
    for (const p of published) expect(p.artifact).toBe(`${p.module.replace(/^@/, '')}@${p.digest}`);
    const r = apply(dir, env);
    expect(r.code, r.stderr).toBe(1); // two modules blocked on purpose in the example
    const v = JSON.parse(
      cli(['verify', '--ring', 'canary', '--dir', target(dir), '--json', '--cwd', dir]).stdout,
    );
    expect(v.findings.filter((f: { status: string }) => f.status === 'ok')).toHaveLength(6);
  });

  it('refuses an oci:// URL under another registry type, and type oci with an https URL', () => {
    for (const [type, url] of [
      ['http', 'oci://127.0.0.1:5000/m'],
      ['oci', 'https://registry.example.com/m'],
    ]) {
      const config = `${PLATFORM_CONFIG}registry:\n  type: ${type}\n  url: ${url}\n`;
      const dir = platformRepo({ orders: { version: '1.4.2' } }, { config });
      const r = cli(['lock', '--cwd', dir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`/registry/url: type "${type}" does not go with ${url}`);
    }
  });

  it("a digest the registry does not have fails the apply (exit 3), one that is not the artifact's the lock (exit 2); nothing is installed", async () => {
    const s = await server();
    const dir = platformRepo({ orders: { version: '1.4.2' } });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    const env = { RINGLOCK_REGISTRY: s.url() };
    expect(cli(['publish', '--cwd', dir], { env }).code).toBe(0);
    const good = readFileSync(lockPath(dir), 'utf8');
    const digest = readLock(dir).modules.orders!.digest!;
    const missing = `sha256:${'0'.repeat(64)}`;

    writeFileSync(lockPath(dir), good.replaceAll(digest, missing));
    const r = apply(dir, env);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr + r.stdout).toContain('MANIFEST_UNKNOWN');
    expect(existsSync(join(target(dir), 'orders'))).toBe(false);

    writeFileSync(lockPath(dir), good.replace(`"digest": "${digest}"`, `"digest": "${missing}"`));
    const bad = apply(dir, env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('canary.lock.json:');
    expect(bad.stderr).toContain(`/modules/orders/digest: ${missing} is not the manifest the artifact names`);
    expect(existsSync(join(target(dir), 'orders'))).toBe(false);

    writeFileSync(lockPath(dir), good);
    expect(apply(dir, env).code).toBe(0);
    expect(existsSync(join(target(dir), 'orders'))).toBe(true);
  });

  it("with token auth from the operator config: the token service's host must be bound to the token", async () => {
    const auth = { user: 'robot', password: 'op3rator-secret-value' };
    const s = await server({ auth });
    const dir = platformRepo({ orders: { version: '1.4.2' } });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    const tokenHost = new URL(s.tokenUrl!).host;
    const ops = testdir({
      'allowed.yaml': `apiVersion: ringlock/v1\nkind: OperatorConfig\nregistry:\n  url: ${s.url()}\n  tokenEnv: RL_REGISTRY_TOKEN\ncredentials:\n  RL_REGISTRY_TOKEN: ["${tokenHost}"]\n`,
      'unbound.yaml': `apiVersion: ringlock/v1\nkind: OperatorConfig\nregistry:\n  url: ${s.url()}\n  tokenEnv: RL_REGISTRY_TOKEN\n`,
    });
    const env = { RL_REGISTRY_TOKEN: auth.password, RINGLOCK_REGISTRY_USER: auth.user };

    const refused = await run(['publish', '--operator-config', join(ops, 'unbound.yaml')], dir, env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`a token service at ${tokenHost}, another host`);
    expect(refused.stderr).toContain(`RINGLOCK_DESTINATIONS=RL_REGISTRY_TOKEN@${tokenHost}`);
    expect(refused.stderr + refused.stdout).not.toContain(auth.password);
    expect(s.tokenRequests).toEqual([]);
    expect(readLock(dir).modules.orders!.digest).toBeUndefined();

    const allowed = join(ops, 'allowed.yaml');
    const pub = await run(['publish', '--operator-config', allowed], dir, env);
    expect(pub.code, pub.stderr).toBe(0);
    expect(readLock(dir).modules.orders!.digest).toMatch(/^sha256:/);
    const wrong = await run([...APPLY, '--operator-config', allowed], dir, {
      ...env,
      RL_REGISTRY_TOKEN: 'not-the-password',
    });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr + wrong.stdout).toContain(
      '$RINGLOCK_REGISTRY_USER with the token in $RL_REGISTRY_TOKEN was refused',
    );
    expect(wrong.stderr + wrong.stdout).not.toContain('not-the-password');
    expect(existsSync(join(target(dir), 'orders'))).toBe(false);
    const r = await run([...APPLY, '--operator-config', allowed], dir, env);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(target(dir), 'orders/module.json'))).toBe(true);
  });
});
