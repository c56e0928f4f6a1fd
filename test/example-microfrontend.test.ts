// The micro-frontend example (examples/microfrontend/) end to end on a real redis-server: a copy of it locked,
// published and applied to both rings through the real CLI — the bundles in the storage dir, every tenant's key naming
// its ring's versioned entry URLs, and the shipped locks still what `ringlock lock` computes.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, scratch, show } from './fixtures-platform.js';
import { REPO_ROOT } from './helpers.js';
import { type RedisServer, startRedis } from './support/redis.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

const EXAMPLE = join(REPO_ROOT, 'examples', 'microfrontend');
const CDN = 'https://cdn.example.com/modules';

describe('examples/microfrontend', () => {
  it('locks, publishes and applies both rings: bundles uploaded, tenant keys switched', async (t) => {
    const root = scratch(t, 'mfe');
    const repo = join(root, 'repo');
    cpSync(EXAMPLE, repo, { recursive: true, filter: (s) => !s.includes('.ringlock') });
    const storage = join(root, 'cdn');
    // The shipped operator config, with the storage in the temp dir and its own key prefix.
    const op = readFileSync(join(EXAMPLE, 'operator.example.yaml'), 'utf8')
      .replace('/srv/cdn/modules', storage)
      .replaceAll('"modules:', '"mfe:modules:')
      .replace(/\n {2}healthBaseUrl: .*\n/, '\n');
    writeFileSync(join(root, 'operator.yaml'), op);
    const env = { RINGLOCK_OPERATOR_CONFIG: join(root, 'operator.yaml'), RINGLOCK_REDIS_URL: redis.url };
    const cli = async (args: string[]) => {
      const r = await runCli(args, { cwd: repo, env });
      expect(r.code, `ringlock ${args.join(' ')}: ${show(r)}`).toBe(0);
      return r;
    };
    const shipped = readFileSync(join(repo, 'rings', 'canary.lock.json'), 'utf8');
    await cli(['lock']);
    expect(readFileSync(join(repo, 'rings', 'canary.lock.json'), 'utf8')).toBe(shipped);
    await cli(['publish', '--ring', 'canary', '--all']);
    expect(readFileSync(join(repo, 'rings', 'canary.lock.json'), 'utf8')).toBe(shipped);
    await cli(['apply', '--ring', 'canary', '--yes']);
    await cli(['apply', '--ring', 'stable', '--yes', '--target', '.ringlock/target-stable']);

    const lock = JSON.parse(shipped) as { modules: Record<string, { version: string; sha256: string }> };
    const urls: Record<string, string> = {};
    for (const [name, e] of Object.entries(lock.modules)) {
      const dir = `${name}/${e.version}-${e.sha256.slice(7, 15)}`;
      urls[name] = `${CDN}/${dir}/remoteEntry.js`;
      expect(readFileSync(join(storage, dir, 'module.manifest.json'), 'utf8')).toContain(`"name": "${name}"`);
    }
    const key = (k: string) => JSON.parse(redis.cli('GET', k)) as Record<string, string>;
    expect(key('mfe:modules:active:acme')).toEqual(urls);
    expect(key('mfe:modules:active:globex')).toEqual(urls);
    expect(key('mfe:modules:active:initech')).toEqual(urls);
    expect(key('mfe:modules:ring:canary')).toMatchObject({ tenants: ['acme', 'globex'] });
    const list = await cli(['list', '--json']);
    expect(list.stdout).toContain('@septem/crm');
    expect((await cli(['verify', '--ring', 'canary', '--target'])).code).toBe(0);
  });
});
