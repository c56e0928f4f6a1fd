// What a change touches: which rings and modules it shifts (through the config, the locks or the module sources),
// and the locks and manifests on both sides that the rules then read. Nothing here judges; src/check/rings.ts and
// src/check/sources.ts do.
import { posix } from 'node:path';
import type { LoadedConfig } from '../model/config.js';
import { isLockFolder } from '../model/manifest.js';
import type { RingLock, RingPolicy } from '../model/types.js';
import { RULE } from '../rules/promotion.js';
import type { CheckContext } from './context.js';
import { moduleFolders, moduleNames, moduleOf } from './revisions.js';
import { changedEntries, stricterPolicy } from './rules.js';
import {
  type ConfigAt,
  type LockAt,
  type ManifestAt,
  readLockAt,
  readManifestAt,
  under,
} from './snapshot.js';

export interface Scope {
  /** Repo-relative path of a path the config names. */
  p: (rel: string) => string;
  modulesDir: string;
  tenantsFile: string;
  lockFile: (ring: string) => string;
  dirOf: (name: string) => string;
  /** A module's folder path under the modules folder as it is (Orders for "orders"). */
  folderOf: (name: string) => string;
  /** Head's rings, each under the stricter of its base and head policies. */
  rings: RingPolicy[];
  policyChanged: Set<string>;
  platformChanged: boolean;
  lockChanged: Set<string>;
  /** Modules whose sources the change touches. */
  touched: Set<string>;
  tenantsTouched: boolean;
  /** The modules folder exists at head (module sources live in this repository). */
  monorepo: boolean;
  headLocks: Map<string, LockAt>;
  baseLocks: Map<string, LockAt>;
  entriesChanged: Map<string, string[]>;
  judgedAnew: Set<string>;
  everyModule: Set<string>;
  sourceNames: Set<string>;
  headManifests: Map<string, ManifestAt>;
  baseManifests: Map<string, ManifestAt>;
}

export function lockOf(m: Map<string, LockAt>, ring: string | undefined): RingLock | undefined {
  return ring === undefined ? undefined : m.get(ring)?.lock;
}

function policyOf(r: RingPolicy) {
  return [r.promoteFrom, r.minSoakMs, r.allowPrerelease, r.tracksSource];
}

export async function readScope(
  ctx: CheckContext,
  at: ConfigAt,
  cfg: LoadedConfig,
  baseCfg: LoadedConfig | undefined,
  changed: string[],
  cfgTouched: boolean,
): Promise<Scope> {
  const p = (rel: string) => under(at.dir, rel) ?? rel;
  const modulesDir = p(cfg.modulesDir);
  const locksDir = p(cfg.locksDir);
  const tenantsFile = p(cfg.tenantsFile);
  const lockFile = (ring: string) => `${locksDir}/${ring}.lock.json`;
  if (cfgTouched) ctx.ran.add(RULE.schema);

  // What the config change itself shifts.
  const layoutChanged =
    !baseCfg ||
    baseCfg.modulesDir !== cfg.modulesDir ||
    baseCfg.locksDir !== cfg.locksDir ||
    baseCfg.tenantsFile !== cfg.tenantsFile ||
    JSON.stringify(baseCfg.manifests) !== JSON.stringify(cfg.manifests);
  const policyChanged = new Set<string>();
  // Rings are judged by head's policy, except where the change relaxes the policy of a ring that exists at base:
  // there the stricter base setting holds until the config change is merged.
  const rings = cfg.rings.map((r) => {
    const before = baseCfg?.rings.find((b) => b.name === r.name);
    if (!before || JSON.stringify(policyOf(before)) !== JSON.stringify(policyOf(r)))
      policyChanged.add(r.name);
    if (!before) return r;
    const { policy, fromBase } = stricterPolicy(before, r);
    if (fromBase.length > 0)
      ctx.notes.push(
        `ring ${r.name}: this change relaxes the ring's policy in ${at.file}, so it is judged by the base branch's stricter policy where they differ: ${fromBase.join('; ')}. The new policy applies to pull requests after this one is merged.`,
      );
    return policy;
  });
  const ringsChanged =
    !baseCfg || baseCfg.rings.map((r) => r.name).join() !== rings.map((r) => r.name).join();
  const platformChanged = !baseCfg || baseCfg.platformVersion !== cfg.platformVersion;

  // Which files of the platform the change touches.
  const lockChanged = new Set<string>();
  const touched = new Set<string>();
  /** Module name → its folder as it is (a PascalCase folder holds the lowercase module). */
  const folders = new Map<string, string>();
  const addModules = (found: Map<string, string>, to: Set<string>) => {
    for (const [name, folder] of found) {
      folders.set(name, folder);
      to.add(name);
    }
  };
  let tenantsTouched = layoutChanged || ringsChanged;
  let relevant = 0;
  for (const path of changed) {
    if (path === at.file || path === at.versionFile) {
      relevant++;
      continue;
    }
    if (path === tenantsFile) {
      tenantsTouched = true;
      relevant++;
      continue;
    }
    if (posix.dirname(path) === locksDir && path.endsWith('.lock.json')) {
      const ring = posix.basename(path).slice(0, -'.lock.json'.length);
      relevant++;
      if (rings.some((r) => r.name === ring)) lockChanged.add(ring);
      // A lock removed together with its ring is simply gone; one left behind is read by nothing.
      else if (await ctx.atHead.exists(path))
        ctx.findings.push({
          rule: RULE.schema,
          severity: 'warning',
          file: path,
          message: `${path} is the lock of ring "${ring}", which ${at.file} does not define: nothing reads it`,
          expected: `a ring "${ring}" in ${at.file}, or no such lock`,
        });
      continue;
    }
    const folder = moduleOf(modulesDir, path);
    if (folder !== undefined) {
      relevant++;
      touched.add(folder.toLowerCase());
      folders.set(folder.toLowerCase(), folder);
    }
  }
  ctx.stats.relevantFiles = relevant;
  if (layoutChanged) {
    // The folders moved: everything is new to this check.
    for (const r of rings) lockChanged.add(r.name);
    addModules(await moduleNames(ctx.repoDir, ctx.head, modulesDir, cfg.manifests.files), touched);
  }
  for (const r of policyChanged) lockChanged.add(r);
  if (platformChanged) for (const r of rings) if (r.tracksSource) lockChanged.add(r.name);

  const monorepo = touched.size > 0 || lockChanged.size > 0 ? await ctx.atHead.isTree(modulesDir) : false;

  // Locks: the head side of every changed lock (validated), the rings they promote from, and, when module
  // sources changed, every ring (freshness holds in each).
  const headLocks = new Map<string, LockAt>();
  const baseLocks = new Map<string, LockAt>();
  const wantHead = new Set<string>(lockChanged);
  const wantBase = new Set<string>(lockChanged);
  for (const r of rings) {
    if (!lockChanged.has(r.name) || !r.promoteFrom) continue;
    wantHead.add(r.promoteFrom);
    wantBase.add(r.promoteFrom);
  }
  if (touched.size > 0 && monorepo) for (const r of rings) wantHead.add(r.name);
  // The rings of head, then any upstream ring only base's policy names.
  for (const name of new Set([...rings.map((r) => r.name), ...wantHead, ...wantBase])) {
    if (wantHead.has(name)) {
      const l = await readLockAt(ctx.atHead, lockFile(name), name, lockChanged.has(name));
      ctx.stats.locksRead++;
      headLocks.set(name, l);
      if (l.doc) ctx.docs.set(l.file, l.doc);
      ctx.findings.push(...l.findings);
    }
    if (wantBase.has(name)) {
      const bf = baseCfg ? `${p(baseCfg.locksDir)}/${name}.lock.json` : lockFile(name);
      baseLocks.set(name, await readLockAt(ctx.atBase, bf, name, false));
      ctx.stats.locksRead++;
    }
  }
  if (lockChanged.size > 0) ctx.ran.add(RULE.schema);

  // Module sources: manifests on both sides of every touched module, and of every module a changed lock entry
  // names (freshness compares the pin with its source).
  const entriesChanged = new Map<string, string[]>();
  for (const r of lockChanged) {
    entriesChanged.set(r, changedEntries(lockOf(baseLocks, r), lockOf(headLocks, r)));
  }
  // A ring whose policy changed (it now tracks the sources, say) is judged anew: its freshness covers every module
  // it pins and every module source, not only what the change touched.
  const judgedAnew = new Set(monorepo ? [...policyChanged].filter((r) => lockOf(headLocks, r)) : []);
  const everyModule = new Set<string>();
  if (judgedAnew.size > 0) {
    addModules(await moduleNames(ctx.repoDir, ctx.head, modulesDir, cfg.manifests.files), everyModule);
    for (const r of judgedAnew)
      for (const name of Object.keys(lockOf(headLocks, r)!.modules)) everyModule.add(name);
  }
  const sourceNames = new Set([...touched, ...everyModule]);
  if (monorepo) for (const names of entriesChanged.values()) for (const n of names) sourceNames.add(n);
  // Names only a lock gave: their folders as they are at head (one listing of the modules folder).
  if (monorepo && [...sourceNames].some((n) => !folders.has(n)))
    for (const [name, folder] of await moduleFolders(ctx.repoDir, ctx.head, modulesDir))
      if (!folders.has(name)) folders.set(name, folder);
  const folderOf = (name: string) => folders.get(name) ?? name;
  const dirOf = (name: string) => `${modulesDir}/${folderOf(name)}`;
  const headManifests = new Map<string, ManifestAt>();
  const baseManifests = new Map<string, ManifestAt>();
  if (monorepo) {
    for (const name of [...sourceNames].sort()) {
      const h = await readManifestAt(ctx.atHead, dirOf(name), folderOf(name), cfg, touched.has(name));
      ctx.stats.manifestsRead++;
      headManifests.set(name, h);
      if (h.doc) ctx.docs.set(h.file, h.doc);
      ctx.findings.push(...h.findings);
      if (
        touched.has(name) &&
        !h.exists &&
        (await ctx.atHead.isTree(dirOf(name))) &&
        // A folder of locks (AutoCom's Modules/manifests/) is not a module folder, and not worth a warning.
        !isLockFolder((await ctx.atHead.list(dirOf(name))) ?? [])
      )
        ctx.findings.push({
          rule: RULE.schema,
          severity: 'warning',
          module: name,
          file: dirOf(name),
          message: `module folder without ${cfg.manifests.files.join(' or ')}: not a module, skipped [module/no-manifest]`,
          expected: `a ${cfg.manifests.files.join(' or ')} in each module folder (modules.manifestFile), or no folder`,
        });
      if (touched.has(name)) {
        baseManifests.set(name, await readManifestAt(ctx.atBase, dirOf(name), folderOf(name), cfg, false));
        ctx.stats.manifestsRead++;
      }
    }
    if (touched.size > 0) ctx.ran.add(RULE.schema);
  }

  return {
    p,
    modulesDir,
    tenantsFile,
    lockFile,
    dirOf,
    folderOf,
    rings,
    policyChanged,
    platformChanged,
    lockChanged,
    touched,
    tenantsTouched,
    monorepo,
    headLocks,
    baseLocks,
    entriesChanged,
    judgedAnew,
    everyModule,
    sourceNames,
    headManifests,
    baseManifests,
  };
}
