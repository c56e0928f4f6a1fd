// The pointer target for a runtime: its settings from the operator (policy.pointer, policy.redis, the environment),
// the ring from --ring / RING_NAME / the config's only ring, the tenants from rings/tenants.yaml.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { LoadedConfig } from '../model/config.js';
import { readNow } from '../model/file-source.js';
import { readTenants, tenantsOf } from '../model/tenants.js';
import { DirSource } from '../source/dir-source.js';
import { createPointerTarget } from '../targets/pointer/create.js';
import type { PointerTarget } from '../targets/pointer/pointer-target.js';
import type { TrustPolicy } from '../trust/policy.js';
import type { ConfigBase, RuntimeInput } from './types.js';

/** Whether ringlock.yaml's target.type or the operator's RINGLOCK_TARGET_TYPE selects the pointer target. */
export function wantsPointer(input: RuntimeInput, configured: string | undefined): boolean {
  const env = input.env.RINGLOCK_TARGET_TYPE;
  if (env !== undefined && env !== '' && env !== 'filesystem' && env !== 'pointer')
    throw new InputError('cli/env', `RINGLOCK_TARGET_TYPE=${env.slice(0, 40)}: not a target type`, {
      expected: 'filesystem or pointer',
    });
  return (env || configured) === 'pointer';
}

export function pointerTarget(
  input: RuntimeInput,
  ws: ConfigBase | undefined,
  root: string,
  policy: TrustPolicy,
): PointerTarget {
  const cfg = ws?.cfg.config;
  const rings = cfg?.rings ?? [];
  const tenantMap = (): Record<string, string> => {
    if (!ws || !cfg) return {};
    const file = cfg.locks?.tenants ?? `${cfg.locks?.dir ?? 'rings'}/tenants.yaml`;
    const loaded = {
      config: cfg,
      doc: ws.cfg.doc,
      file: 'ringlock.yaml',
      rings,
    } as unknown as LoadedConfig;
    return readNow(new DirSource(ws.root), readTenants(file, loaded));
  };
  return createPointerTarget({
    root,
    pointer: policy.pointer,
    redis: policy.redis,
    env: input.env,
    ring: () => {
      const flag = input.options.ring;
      const r =
        (typeof flag === 'string' ? flag : undefined) ??
        (input.env.RING_NAME || undefined) ??
        (rings.length === 1 ? rings[0]!.name : undefined);
      if (r === undefined)
        throw new InputError('cli/ring', 'the pointer target needs the ring whose pointer it switches', {
          expected: '--ring <name> (or RING_NAME)',
        });
      return r;
    },
    rings: () => rings.map((r) => r.name),
    tenants: (ring) => tenantsOf(tenantMap(), ring),
    lockOrder: (ring) =>
      ws && cfg ? lockOrderFromGit(ws.root, join(cfg.locks?.dir ?? 'rings', `${ring}.lock.json`)) : undefined,
    assigned: () => Object.keys(tenantMap()).sort(),
  });
}

/**
 * The order of a ring's lock: the commit and committer time (Unix seconds) of the last git commit that changed it, in
 * the workspace `root`. Unknown (undefined) outside git, or while the lock has uncommitted changes.
 */
export function lockOrderFromGit(root: string, lockFile: string): { at: number; commit: string } | undefined {
  const git = (args: string[]) =>
    spawnSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const log = git(['log', '-1', '--format=%H %ct', '--', lockFile]);
  const m = log.status === 0 ? /^([0-9a-f]{40,64}) (\d+)$/.exec(log.stdout.trim()) : null;
  if (!m) return undefined;
  const dirty = git(['status', '--porcelain', '--', lockFile]);
  if (dirty.status !== 0 || dirty.stdout.trim() !== '') return undefined;
  return { commit: m[1]!, at: Number(m[2]) };
}
