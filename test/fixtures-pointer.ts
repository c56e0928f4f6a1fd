// A platform on the pointer target for end-to-end tests: the fixture platform (fixtures-platform.ts) with
// `target: {type: pointer}`, a bundle storage dir, an operator config naming it and a key prefix of the test's own on
// a real redis-server (support/redis.ts), and helpers to read the pointer keys.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPlatform, type ModuleSpec, type Platform, RING, type Run, show } from './fixtures-platform.js';
import type { RedisServer } from './support/redis.js';

export const PUBLIC = 'https://cdn.example.test/modules';

let seq = 0;

export interface PointerPlatform {
  p: Platform;
  storage: string;
  prefix: string;
  operatorConfig: string;
  env: Record<string, string>;
  apply(args?: string[], env?: Record<string, string | undefined>): Promise<Run>;
  ok(args: string[], env?: Record<string, string | undefined>): Promise<Run>;
  cli(args: string[], env?: Record<string, string | undefined>): Promise<Run>;
  /** JSON at a key (undefined: absent). */
  key<T = Record<string, string>>(k: string): T | undefined;
  tenant(t: string): Record<string, string> | undefined;
  ringDoc():
    | {
        generation: number;
        modules: Record<string, { dir: string; entry: string; version: string }>;
        tenants: string[];
      }
    | undefined;
  generation(): number;
  /** Ring `ring`'s pointer document. */
  ringDocOf(
    ring: string,
  ): { modules: Record<string, { dir: string; entry: string }>; tenants: string[] } | undefined;
  /** Writes `rings/<ring>.lock.json` as a copy of the canary lock as it is now (a promotion). */
  promote(ring: string): void;
  /** `apply --ring <ring> --yes`, on a local directory of that ring's own (`<root>/target-<ring>`). */
  applyRing(ring: string, args?: string[], env?: Record<string, string | undefined>): Promise<Run>;
  /** `{publicUrl}/{name}/{version}-{hash8}/remoteEntry.js` of the lock's pin. */
  entryOf(module: string): string;
  dirOf(module: string): string;
}

export interface PointerBuild {
  tenants?: Record<string, string>;
  healthBaseUrl?: string;
  /** Operator config lines under `pointer:` (e.g. `  retention: {keep: 2}`). */
  retention?: string;
  /** ringlock.yaml lines appended (e.g. a health section). */
  config?: string;
}

export async function pointerPlatform(
  root: string,
  redis: RedisServer,
  modules: Record<string, ModuleSpec>,
  o: PointerBuild = {},
): Promise<PointerPlatform> {
  const prefix = `t${process.pid}-${++seq}`;
  const storage = join(root, 'cdn');
  const operatorConfig = join(root, 'operator.yaml');
  writeFileSync(
    operatorConfig,
    `apiVersion: ringlock/v1
kind: OperatorConfig
redis:
  keys:
    tenant: "${prefix}:modules:active:{tenant}"
    ring: "${prefix}:modules:ring:{ring}"
    generation: "${prefix}:modules:generation:{ring}"
pointer:
  storage: {type: dir, path: ${storage}}
  publicUrl: ${PUBLIC}
${o.healthBaseUrl ? `  healthBaseUrl: ${o.healthBaseUrl}\n` : ''}${o.retention ? `${o.retention}\n` : ''}`,
  );
  const withEntry: Record<string, ModuleSpec> = {};
  for (const [n, m] of Object.entries(modules))
    withEntry[n] = { ...m, files: { 'remoteEntry.js': `// ${n} ${m.version}\n`, ...m.files } };
  const p = await buildPlatform(root, withEntry, { targetConfig: '  type: pointer', unreleased: true });
  if (o.config) appendFileSync(join(p.repo, 'ringlock.yaml'), o.config);
  await p.release();
  if (o.tenants)
    writeFileSync(
      join(p.repo, 'rings', 'tenants.yaml'),
      `tenants:\n${Object.entries(o.tenants)
        .map(([t, r]) => `  ${t}: ${r}`)
        .join('\n')}\n`,
    );
  const env = { RINGLOCK_OPERATOR_CONFIG: operatorConfig, RINGLOCK_REDIS_URL: redis.url };
  const key = <T>(k: string): T | undefined => {
    const v = redis.cli('GET', k);
    return v === '' ? undefined : (JSON.parse(v) as T);
  };
  const lockEntry = (m: string) =>
    (JSON.parse(p.readLock()) as { modules: Record<string, { version: string; sha256: string }> }).modules[
      m
    ]!;
  const dirOf = (m: string) => {
    const e = lockEntry(m);
    return `${m}/${e.version}-${e.sha256.slice(7, 15)}`;
  };
  return {
    p,
    storage,
    prefix,
    operatorConfig,
    env,
    apply: (args = [], e = {}) => p.apply(args, { env: { ...env, ...e } }),
    cli: (args, e = {}) => p.cli(args, { env: { ...env, ...e } }),
    ok: async (args, e = {}) => {
      const r = await p.cli(args, { env: { ...env, ...e } });
      if (r.code !== 0) throw new Error(`ringlock ${args.join(' ')}: ${show(r)}`);
      return r;
    },
    key,
    tenant: (t) => key(`${prefix}:modules:active:${t}`),
    ringDoc: () => key(`${prefix}:modules:ring:${RING}`),
    ringDocOf: (r) => key(`${prefix}:modules:ring:${r}`),
    promote: (r) =>
      writeFileSync(
        join(p.repo, 'rings', `${r}.lock.json`),
        p.readLock().replace(`"ring": "${RING}"`, `"ring": "${r}"`),
      ),
    applyRing: (r, args = [], e = {}) =>
      p.cli(['apply', '--ring', r, '--yes', '--target', join(root, `target-${r}`), ...args], {
        env: { ...env, ...e },
      }),
    generation: () => Number(redis.cli('GET', `${prefix}:modules:generation:${RING}`) || 0),
    entryOf: (m) => `${PUBLIC}/${dirOf(m)}/remoteEntry.js`,
    dirOf,
  };
}
