// `ringlock check`: what a change (base → head) does to the platform repository, judged by the rules. Reads both
// sides from git objects, works out which rings and modules the change touches, reads and hashes only those, and
// runs the pure rules (src/check/rules.ts and the promotion rules shared with `ringlock promote`) over them.
import { realpathSync } from 'node:fs';
import { posix, relative, sep } from 'node:path';
import semver from 'semver';
import { InputError } from '../errors.js';
import { BlobReader, GitCommandError, git } from '../git/cli.js';
import { findEarlierPin, pinAppearances } from '../git/history.js';
import { type BlobDigestCache, hashGitTrees, listTrees } from '../git/tree-hash.js';
import type { TreeHash } from '../hash/tree-hash.js';
import type { SourceState } from '../lock/compute.js';
import type { LoadedConfig } from '../model/config.js';
import { parseSource, type SourceDoc } from '../model/source.js';
import type { LockEntry, RingLock, RingPolicy } from '../model/types.js';
import {
  compatFindings,
  orderFinding,
  prereleaseFinding,
  RULE,
  type RuleId,
  sameMetadata,
  samePin,
  soakFinding,
} from '../rules/promotion.js';
import {
  bumpFinding,
  changedEntries,
  changedPins,
  changelogFinding,
  downgradeFinding,
  freshnessFindings,
  RULE_NAMES,
  regressionFinding,
  ringChanges,
  stricterPolicy,
  tenantsFindings,
} from './rules.js';
import { LABEL_SENSITIVE, sensitiveFindings } from './sensitive.js';
import {
  CAPS,
  type CommitReader,
  CommitTree,
  type ConfigAt,
  findConfig,
  type LockAt,
  loadConfigAt,
  type ManifestAt,
  readLockAt,
  readManifestAt,
  readTenantsAt,
  tooLargeFinding,
  under,
} from './snapshot.js';
import type { CheckFinding, CheckReport, RingPlan, RuleResult, SensitiveChange } from './types.js';

export const LABEL_HOTFIX = 'ringlock:hotfix';
export const LABEL_ROLLBACK = 'ringlock:rollback';

export interface CheckOptions {
  cwd: string;
  /** A ref or sha; default: the merge base of head with the remote's default branch. */
  base?: string;
  /** Default HEAD. */
  head?: string;
  /** Compare against the merge base of `base` and head rather than `base` itself (a pull request's base branch). */
  mergeBase?: boolean;
  /**
   * A pull request's head commit: when `head` is a merge commit whose second parent is this one (the merge GitHub
   * makes of the pull request into its base branch), the base is that merge's first parent.
   */
  mergeOf?: string;
  labels?: readonly string[];
  allow?: ReadonlySet<'hotfix' | 'rollback' | 'sensitive'>;
  /** ms since the epoch; soak is measured up to this instant. */
  now?: number;
}

const MODULE_FILE = 'module.json';

export async function runCheck(opts: CheckOptions): Promise<CheckReport> {
  const repoDir = await repoRoot(opts.cwd);
  const head = await resolveCommit(repoDir, opts.head ?? 'HEAD', '--head');
  let base = opts.mergeOf === undefined ? undefined : await firstParentOfMerge(repoDir, head, opts.mergeOf);
  if (base === undefined) {
    base =
      opts.base === undefined
        ? await defaultBase(repoDir, head)
        : await resolveCommit(repoDir, opts.base, '--base');
    if (opts.mergeBase && opts.base !== undefined) base = await mergeBase(repoDir, base, head, opts.base);
  }
  const reader = new BlobReader(repoDir);
  try {
    return await new Check(repoDir, base, head, reader, opts).run(startDir(repoDir, opts.cwd));
  } finally {
    reader.close();
  }
}

class Check {
  private readonly atHead: CommitReader;
  private readonly atBase: CommitReader;
  private readonly findings: CheckFinding[] = [];
  private readonly ran = new Set<RuleId>();
  private readonly notes: string[] = [];
  private readonly docs = new Map<string, SourceDoc>();
  private readonly stats: CheckReport['stats'] = {
    changedFiles: 0,
    relevantFiles: 0,
    locksRead: 0,
    manifestsRead: 0,
    treesHashed: 0,
    historyWalks: 0,
  };
  private readonly blobCache: BlobDigestCache = new Map();
  private readonly now: number;
  private hotfix?: string;
  private rollback?: string;
  private rollbackLooked = false;
  private sensitiveOverride?: string;
  private sensitive: SensitiveChange[] = [];

  constructor(
    private readonly repoDir: string,
    private readonly base: string,
    private readonly head: string,
    private readonly reader: BlobReader,
    opts: CheckOptions,
  ) {
    this.atHead = new CommitTree(reader, head);
    this.atBase = new CommitTree(reader, base);
    this.now = opts.now ?? Date.now();
    const labels = new Set(opts.labels ?? []);
    if (opts.allow?.has('hotfix')) this.hotfix = '--allow hotfix';
    else if (labels.has(LABEL_HOTFIX)) this.hotfix = `label ${LABEL_HOTFIX}`;
    if (opts.allow?.has('rollback')) this.rollback = '--allow rollback';
    else if (labels.has(LABEL_ROLLBACK)) this.rollback = `label ${LABEL_ROLLBACK}`;
    // Only a label (which the pull request's author cannot set without triage rights) or the workflow's flag: no
    // trailer, since the change itself would carry it.
    if (opts.allow?.has('sensitive')) this.sensitiveOverride = '--allow sensitive';
    else if (labels.has(LABEL_SENSITIVE)) this.sensitiveOverride = `label ${LABEL_SENSITIVE}`;
  }

  async run(startDir: string): Promise<CheckReport> {
    const cfgFile = (await findConfig(this.atHead, startDir)) ?? (await findConfig(this.atBase, startDir));
    if (!cfgFile) {
      throw new InputError(
        'config/not-found',
        `no ringlock.yaml in ${startDir === '.' ? 'the repository' : `${startDir} or above`} at ${this.head.slice(0, 12)}`,
        { expected: 'a ringlock.yaml at the top of the platform repository (or --cwd naming its folder)' },
      );
    }
    const changed = await this.changedPaths();
    this.stats.changedFiles = changed.length;
    const headCfg = await loadConfigAt(this.atHead, cfgFile);
    const cfgTouched =
      changed.includes(cfgFile) ||
      (headCfg.versionFile !== undefined && changed.includes(headCfg.versionFile));
    if (!headCfg.cfg) {
      // Without a valid config at head nothing else can be judged; a config that did not change is not this change's fault.
      if (headCfg.findings.length === 0)
        throw new InputError('config/not-found', `${cfgFile} is missing at ${this.head.slice(0, 12)}`, {
          expected: 'the pull request to keep ringlock.yaml',
        });
      this.ran.add(RULE.schema);
      this.findings.push(...headCfg.findings);
      this.stats.relevantFiles = changed.filter((p) => p === cfgFile || p === headCfg.versionFile).length;
      return this.report([]);
    }
    if (changed.includes(cfgFile) && headCfg.doc) await this.guardSensitive(cfgFile, headCfg.doc);
    const baseCfg = cfgTouched ? await loadConfigAt(this.atBase, cfgFile) : headCfg;
    return this.judge(headCfg, headCfg.cfg, baseCfg.cfg, changed, cfgTouched);
  }

  private async judge(
    at: ConfigAt,
    cfg: LoadedConfig,
    baseCfg: LoadedConfig | undefined,
    changed: string[],
    cfgTouched: boolean,
  ): Promise<CheckReport> {
    const p = (rel: string) => under(at.dir, rel) ?? rel;
    const modulesDir = p(cfg.modulesDir);
    const locksDir = p(cfg.locksDir);
    const tenantsFile = p(cfg.tenantsFile);
    const lockFile = (ring: string) => `${locksDir}/${ring}.lock.json`;
    if (cfgTouched) this.ran.add(RULE.schema);

    // What the config change itself shifts.
    const layoutChanged =
      !baseCfg ||
      baseCfg.modulesDir !== cfg.modulesDir ||
      baseCfg.locksDir !== cfg.locksDir ||
      baseCfg.tenantsFile !== cfg.tenantsFile;
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
        this.notes.push(
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
        else if (await this.atHead.exists(path))
          this.findings.push({
            rule: RULE.schema,
            severity: 'warning',
            file: path,
            message: `${path} is the lock of ring "${ring}", which ${at.file} does not define: nothing reads it`,
            expected: `a ring "${ring}" in ${at.file}, or no such lock`,
          });
        continue;
      }
      const name = moduleOf(modulesDir, path);
      if (name !== undefined) {
        relevant++;
        touched.add(name);
      }
    }
    this.stats.relevantFiles = relevant;
    if (layoutChanged) {
      // The folders moved: everything is new to this check.
      for (const r of rings) lockChanged.add(r.name);
      for (const name of await this.moduleNames(modulesDir)) touched.add(name);
    }
    for (const r of policyChanged) lockChanged.add(r);
    if (platformChanged) for (const r of rings) if (r.tracksSource) lockChanged.add(r.name);

    const monorepo = touched.size > 0 || lockChanged.size > 0 ? await this.atHead.isTree(modulesDir) : false;

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
        const l = await readLockAt(this.atHead, lockFile(name), name, lockChanged.has(name));
        this.stats.locksRead++;
        headLocks.set(name, l);
        if (l.doc) this.docs.set(l.file, l.doc);
        this.findings.push(...l.findings);
      }
      if (wantBase.has(name)) {
        const bf = baseCfg ? `${p(baseCfg.locksDir)}/${name}.lock.json` : lockFile(name);
        baseLocks.set(name, await readLockAt(this.atBase, bf, name, false));
        this.stats.locksRead++;
      }
    }
    if (lockChanged.size > 0) this.ran.add(RULE.schema);
    const lockOf = (m: Map<string, LockAt>, ring: string | undefined) =>
      ring === undefined ? undefined : m.get(ring)?.lock;

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
      for (const name of await this.moduleNames(modulesDir)) everyModule.add(name);
      for (const r of judgedAnew)
        for (const name of Object.keys(lockOf(headLocks, r)!.modules)) everyModule.add(name);
    }
    const sourceNames = new Set([...touched, ...everyModule]);
    if (monorepo) for (const names of entriesChanged.values()) for (const n of names) sourceNames.add(n);
    const dirOf = (name: string) => `${modulesDir}/${name}`;
    const headManifests = new Map<string, ManifestAt>();
    const baseManifests = new Map<string, ManifestAt>();
    if (monorepo) {
      for (const name of [...sourceNames].sort()) {
        const h = await readManifestAt(this.atHead, dirOf(name), name, cfg.modulesDir, touched.has(name));
        this.stats.manifestsRead++;
        headManifests.set(name, h);
        if (h.doc) this.docs.set(h.file, h.doc);
        this.findings.push(...h.findings);
        if (touched.has(name)) {
          baseManifests.set(
            name,
            await readManifestAt(this.atBase, dirOf(name), name, cfg.modulesDir, false),
          );
          this.stats.manifestsRead++;
        }
      }
      if (touched.size > 0) this.ran.add(RULE.schema);
    }

    // Content hashes: at head for every source whose pin freshness depends on it, at base only where the version
    // stayed while the tree changed (the bump rule).
    const needHeadHash = new Set<string>();
    for (const name of sourceNames) {
      const m = headManifests.get(name)?.manifest;
      if (!m) continue;
      if (touched.has(name)) needHeadHash.add(name);
      for (const r of rings) {
        const e = lockEntryOf(lockOf(headLocks, r.name), name);
        if (
          e &&
          (r.tracksSource || e.version === m.version) &&
          (judgedAnew.has(r.name) || entriesChanged.get(r.name)?.includes(name))
        )
          needHeadHash.add(name);
      }
    }
    const touchedList = [...touched].sort();
    const headEntries = await listTrees(
      this.repoDir,
      this.head,
      [...new Set([...needHeadHash, ...touched])].map(dirOf),
    );
    const baseEntries =
      touched.size > 0 ? await listTrees(this.repoDir, this.base, touchedList.map(dirOf)) : [];
    const rootOid = (entries: typeof headEntries, name: string) =>
      entries.find((e) => e.path === dirOf(name) && e.type === 'tree')?.oid;
    const needBaseHash = touchedList.filter((name) => {
      const b = baseManifests.get(name)?.manifest;
      const h = headManifests.get(name)?.manifest;
      return b && h && b.version === h.version && rootOid(baseEntries, name) !== rootOid(headEntries, name);
    });
    const headHashes = await hashGitTrees(
      this.reader,
      headEntries,
      [...needHeadHash].map(dirOf),
      this.blobCache,
    );
    const baseHashes = await hashGitTrees(this.reader, baseEntries, needBaseHash.map(dirOf), this.blobCache);
    this.stats.treesHashed = headHashes.size + baseHashes.size;
    const hashOf = (hashes: Map<string, TreeHash | InputError>, name: string): TreeHash | undefined => {
      const h = hashes.get(dirOf(name));
      if (h instanceof InputError) {
        this.findings.push({
          rule: RULE.schema,
          severity: 'error',
          module: name,
          ...(h.file ? { file: h.file } : {}),
          message: `${name}: the content hash cannot be computed: ${h.message} [${h.code}]`,
          expected: 'a module tree of regular files and links that stay inside the module',
        });
        return undefined;
      }
      return h;
    };
    const sources = new Map<string, SourceState | null>();
    for (const name of sourceNames) {
      const hm = headManifests.get(name);
      if (!hm) continue;
      if (!hm.exists) {
        sources.set(name, null);
        continue;
      }
      if (!hm.manifest) continue;
      const hashed = needHeadHash.has(name);
      const h = hashed ? hashOf(headHashes, name) : undefined;
      if (hashed && !h) continue;
      // Unhashed sources are those whose pins differ in version: the freshness rule then reads only the version.
      sources.set(name, {
        name,
        relDir: posix.normalize(posix.join(cfg.modulesDir, name)),
        manifest: hm.manifest,
        digest: h?.digest ?? '',
        fileCount: h?.fileCount ?? 0,
        sizeBytes: h?.sizeBytes ?? 0,
      });
    }

    // Source rules: bump, regression, changelog.
    for (const name of touchedList) {
      const b = baseManifests.get(name)?.manifest;
      const hm = headManifests.get(name);
      const h = hm?.manifest;
      if (!b || !h || !hm || !semver.valid(b.version)) continue;
      this.ran.add(RULE.versionBump).add(RULE.versionRegression).add(RULE.changelog);
      const bHash = needBaseHash.includes(name) ? hashOf(baseHashes, name) : undefined;
      const src = needHeadHash.has(name) ? sources.get(name) : undefined;
      const baseSide = { version: b.version, ...(bHash ? { digest: bHash.digest } : {}) };
      const headSide = { version: h.version, ...(src ? { digest: src.digest } : {}) };
      const found = [
        regressionFinding(name, hm.file, baseSide, headSide),
        bumpFinding(name, hm.file, baseSide, headSide),
      ];
      if (semver.gt(h.version, b.version)) {
        const clFile = under(dirOf(name), h.changelog ?? 'CHANGELOG.md') ?? `${dirOf(name)}/CHANGELOG.md`;
        const read = await this.atHead.read(clFile, CAPS.changelog);
        if (read && !('text' in read))
          found.push({
            ...tooLargeFinding(clFile, read, 'changelog'),
            rule: RULE.changelog,
            severity: 'warning',
          });
        else
          found.push(
            changelogFinding(name, hm.file, baseSide, headSide, {
              file: clFile,
              ...(read ? { text: read.text } : {}),
            }),
          );
      }
      for (const f of found) if (f) this.findings.push(f);
    }

    // Ring rules.
    const plans: RingPlan[] = [];
    const soakWanted = new Map<string, Map<string, LockEntry>>();
    for (const ring of rings) {
      const headLock = headLocks.get(ring.name);
      if (monorepo && headLock?.lock) {
        const names = new Set(touched);
        for (const n of entriesChanged.get(ring.name) ?? []) names.add(n);
        if (judgedAnew.has(ring.name)) for (const n of everyModule) names.add(n);
        if (names.size > 0 || (ring.tracksSource && (platformChanged || lockChanged.has(ring.name)))) {
          this.ran.add(RULE.lockFreshness);
          this.findings.push(
            ...freshnessFindings(
              ring,
              headLock.lock,
              cfg.platformVersion,
              sources,
              names,
              new Set(entriesChanged.get(ring.name) ?? []),
            ),
          );
        }
      }
      if (!lockChanged.has(ring.name)) continue;
      const baseLock = baseLocks.get(ring.name);
      const before = baseLock?.lock;
      const after = headLock?.lock;
      if (headLock?.exists && !after) continue; // invalid at head: RL001 said why
      const plan: RingPlan = {
        ring: ring.name,
        lockFile: lockFile(ring.name),
        changes: ringChanges(before, after, entriesChanged.get(ring.name)),
        ...(!baseLock?.exists && headLock?.exists ? { created: true } : {}),
        ...(baseLock?.exists && !headLock?.exists ? { deleted: true } : {}),
        ...(before?.platform !== after?.platform
          ? { platform: { from: before?.platform, to: after?.platform } }
          : {}),
      };
      if (plan.changes.length > 0 || plan.platform || plan.created || plan.deleted) plans.push(plan);
      if (plan.deleted) {
        // The ring is still defined: its daemon would find no lock. Removing a ring takes both.
        this.ran.add(RULE.schema);
        if (at.doc) this.docs.set(at.file, at.doc);
        this.findings.push({
          rule: RULE.schema,
          severity: 'error',
          ring: ring.name,
          file: at.file,
          pointer: `/rings/${rings.indexOf(ring)}/name`,
          message: `this change deletes ${lockFile(ring.name)}, the lock of ring ${ring.name}, which ${at.file} still defines: the ring would have nothing to run`,
          expected: `keep ${lockFile(ring.name)}, or remove ring "${ring.name}" from ${at.file} in the same change`,
        });
      }
      if (!after) continue;
      this.ran.add(RULE.ringDowngrade).add(RULE.prerelease).add(RULE.compatibility);
      const pins = changedPins(before, after);
      const everything = policyChanged.has(ring.name) || plan.platform !== undefined || plan.created === true;
      const upstream = lockOf(headLocks, ring.promoteFrom);
      const upstreamBase = lockOf(baseLocks, ring.promoteFrom);
      for (const name of everything ? Object.keys(after.modules).sort() : []) {
        const f = prereleaseFinding(ring, name, after.modules[name]!);
        if (f && !pins.includes(name)) this.findings.push(f);
      }
      for (const name of pins) {
        const entry = after.modules[name]!;
        const prev = lockEntryOf(before, name);
        const pre = prereleaseFinding(ring, name, entry);
        if (pre) this.findings.push(pre);
        if (prev && semver.compareBuild(entry.version, prev.version) < 0) {
          const reason = await this.rollbackReason();
          // A rollback puts back a pin the ring ran before, not a version going down to anything at all.
          const lockPath = baseLock?.file ?? lockFile(ring.name);
          const ranBefore = reason ? await this.ranBefore(lockPath, name, entry) : undefined;
          const f = downgradeFinding(
            ring.name,
            name,
            prev,
            entry,
            reason,
            ranBefore === undefined ? undefined : { ok: ranBefore, lockFile: lockPath },
          );
          if (f) this.findings.push(f);
          continue;
        }
        if (ring.promoteFrom === undefined) continue;
        this.ran.add(RULE.promotionOrder);
        const order = orderFinding(ring, name, entry, upstream);
        if (order) {
          this.findings.push(order);
          continue;
        }
        if (ring.minSoakMs <= 0) continue;
        this.ran.add(RULE.soak);
        const up = lockEntryOf(upstreamBase, name);
        if (samePin(up, entry)) {
          const m = soakWanted.get(ring.name) ?? new Map<string, LockEntry>();
          m.set(name, up!);
          soakWanted.set(ring.name, m);
        } else {
          const f = soakFinding(ring, name, entry, undefined, this.now);
          if (f) this.findings.push(f);
        }
      }
      // A pin that stayed while its dependencies or compatibility changed must still be the upstream's entry: the
      // compatibility rule reads them, so a hand edit could otherwise slip a broken closure past it.
      if (ring.promoteFrom !== undefined)
        for (const name of entriesChanged.get(ring.name) ?? []) {
          const prev = lockEntryOf(before, name);
          const entry = lockEntryOf(after, name);
          if (!prev || !entry || pins.includes(name) || sameMetadata(prev, entry)) continue;
          this.ran.add(RULE.promotionOrder);
          const order = orderFinding(ring, name, entry, upstream);
          if (order) this.findings.push(order);
        }
      const only = everything ? undefined : new Set(entriesChanged.get(ring.name) ?? []);
      // A dependent that was already broken before this change is called out, but does not fail it.
      const broken = compatFindings(ring.name, after, only);
      const already = new Set(
        before && broken.length > 0
          ? compatFindings(ring.name, before, only).map((f) => `${f.module}\0${f.message}`)
          : [],
      );
      for (const f of broken) {
        const old = already.has(`${f.module}\0${f.message}`) && !pins.includes(f.module ?? '');
        this.findings.push(
          old ? { ...f, severity: 'warning', message: `${f.message} (already so before this change)` } : f,
        );
      }
    }

    // Soak from the base branch's history of each upstream lock: one walk per ring, stopping once old enough.
    for (const [ringName, pins] of soakWanted) {
      const ring = rings.find((r) => r.name === ringName)!;
      const upstream = ring.promoteFrom!;
      const upFile = baseCfg ? `${p(baseCfg.locksDir)}/${upstream}.lock.json` : lockFile(upstream);
      const seen = await pinAppearances({
        repoDir: this.repoDir,
        ref: this.base,
        lockPath: upFile,
        pins,
        notBefore: this.now - ring.minSoakMs,
      });
      this.stats.historyWalks++;
      for (const [name] of pins) {
        const f = soakFinding(
          ring,
          name,
          headLocks.get(ringName)!.lock!.modules[name]!,
          seen.get(name),
          this.now,
        );
        if (f) this.findings.push(f);
      }
    }
    if (soakWanted.size > 0 && (await isShallow(this.repoDir)))
      this.notes.push(
        'the clone is shallow: soak can only be measured back to its oldest commit, so it may read as too short (check out with fetch-depth: 0)',
      );

    // Tenants.
    if (tenantsTouched) {
      const t = await readTenantsAt(this.atHead, tenantsFile);
      if (t.exists || changed.includes(tenantsFile)) {
        this.ran.add(RULE.tenants).add(RULE.schema);
        if (t.doc) this.docs.set(tenantsFile, t.doc);
        this.findings.push(...t.findings);
        if (t.tenants)
          this.findings.push(
            ...tenantsFindings(
              tenantsFile,
              t.tenants,
              rings.map((r) => r.name),
            ),
          );
      }
    }

    for (const [ring, l] of headLocks)
      if (!l.doc && l.lock && this.findings.some((f) => f.ring === ring)) await this.lockDoc(l);
    return this.report(plans, (ring) => lockFile(ring));
  }

  /** RL012: the security-relevant keys of ringlock.yaml the change touches (a base side that is missing or unreadable counts as empty). */
  private async guardSensitive(file: string, head: SourceDoc): Promise<void> {
    this.ran.add(RULE.sensitive);
    const read = await this.atBase.read(file, CAPS.config);
    let base: unknown;
    if (read && 'text' in read) {
      try {
        base = parseSource(file, read.text).value;
      } catch {
        // Unparsable at base: every key at head is new.
      }
    }
    const { findings, changes } = sensitiveFindings(file, base, head, this.sensitiveOverride);
    this.findings.push(...findings);
    this.sensitive = changes;
  }

  private async lockDoc(l: LockAt): Promise<void> {
    const text = (await this.atHead.read(l.file, CAPS.lock)) as { text?: string } | undefined;
    if (text?.text === undefined) return;
    try {
      this.docs.set(l.file, parseSource(l.file, text.text));
    } catch {
      // An unparsable lock has no positions; its findings point at the file.
    }
  }

  /**
   * Why a ring downgrade counts as a rollback: a label, --allow, or a commit in the change that reverts a commit of
   * the base branch (`git revert`'s "This reverts commit X", X an ancestor of the base) or carries a `Revert:` or
   * `Ringlock-Rollback:` trailer — a real trailer, in the message's last paragraph as git parses it, not any line.
   */
  private async rollbackReason(): Promise<string | undefined> {
    if (this.rollback || this.rollbackLooked) return this.rollback;
    this.rollbackLooked = true;
    const log = await git(
      ['log', '--format=%H%x1f%(trailers:only,unfold)%x1f%B%x1e', `${this.base}..${this.head}`],
      { cwd: this.repoDir },
    );
    for (const rec of log.split('\x1e')) {
      const [sha, trailers, body] = rec.trim().split('\x1f');
      if (!sha || trailers === undefined || body === undefined) continue;
      const reverts = /^This reverts commit ([0-9a-f]{7,64})/m.exec(body);
      if (reverts && (await isAncestor(this.repoDir, reverts[1]!, this.base))) {
        this.rollback = `commit ${sha.slice(0, 12)} reverts ${reverts[1]!.slice(0, 12)}`;
        break;
      }
      // A Revert trailer, or the one `ringlock revert` writes.
      const trailer = /^(Revert|Ringlock-Rollback):[ \t]*\S/im.exec(trailers);
      if (trailer) {
        this.rollback = `commit ${sha.slice(0, 12)} has a ${trailer[1]} trailer`;
        break;
      }
    }
    return this.rollback;
  }

  /** Whether the lock at `lockPath` pinned exactly `entry` (version, content hash, integrity) on the base history. */
  private async ranBefore(lockPath: string, module: string, entry: LockEntry): Promise<boolean> {
    this.stats.historyWalks++;
    const earlier = await findEarlierPin({
      repoDir: this.repoDir,
      ref: this.base,
      lockPath,
      module,
      wanted: (e) => samePin(e, entry),
    });
    return earlier !== undefined;
  }

  private report(plans: RingPlan[], lockFile?: (ring: string) => string): CheckReport {
    const findings = this.findings.map((f) => {
      let out = f;
      if (this.hotfix && f.severity === 'error' && (f.rule === RULE.promotionOrder || f.rule === RULE.soak)) {
        out = {
          ...f,
          severity: 'warning',
          overriddenBy: 'hotfix',
          message: `${f.message} (overridden: hotfix, ${this.hotfix})`,
        };
      }
      const file = out.file ?? (out.ring !== undefined && lockFile ? lockFile(out.ring) : undefined);
      if (!file) return out;
      const doc = this.docs.get(file);
      if (out.line !== undefined || !doc || out.pointer === undefined) return { ...out, file };
      const pos = doc.locate(out.pointer);
      return { ...out, file, line: pos.line, column: pos.column };
    });
    const rules: RuleResult[] = (Object.keys(RULE_NAMES) as RuleId[]).map((id) => {
      const errors = findings.filter((f) => f.rule === id && f.severity === 'error').length;
      const warnings = findings.filter((f) => f.rule === id && f.severity === 'warning').length;
      const ran = this.ran.has(id) || errors + warnings > 0;
      return {
        id,
        name: RULE_NAMES[id],
        outcome: !ran ? 'skipped' : errors > 0 ? 'fail' : warnings > 0 ? 'warn' : 'pass',
        errors,
        warnings,
        ...(!ran ? { note: 'nothing it covers changed' } : {}),
      };
    });
    const overrides: CheckReport['overrides'] = {};
    if (this.hotfix) overrides.hotfix = this.hotfix;
    if (this.rollback) overrides.rollback = this.rollback;
    if (this.sensitiveOverride) overrides.sensitive = this.sensitiveOverride;
    return {
      ok: !findings.some((f) => f.severity === 'error'),
      base: this.base,
      head: this.head,
      overrides,
      findings,
      plans,
      rules,
      sensitive: this.sensitive,
      notes: this.notes,
      stats: this.stats,
    };
  }

  private async changedPaths(): Promise<string[]> {
    const out = await git(['diff-tree', '-r', '-z', '--no-renames', '--name-only', this.base, this.head], {
      cwd: this.repoDir,
    });
    return out.split('\0').filter(Boolean);
  }

  /** Module names under the modules folder at head (for a check that must look at every module). */
  private async moduleNames(modulesDir: string): Promise<string[]> {
    const out = await git(
      ['ls-tree', '-r', '-z', '--name-only', '--full-tree', this.head, '--', `${modulesDir}/`],
      {
        cwd: this.repoDir,
      },
    );
    const names = new Set<string>();
    for (const path of out.split('\0')) {
      if (!path.endsWith(`/${MODULE_FILE}`)) continue;
      const name = moduleOf(modulesDir, path);
      if (name !== undefined && path === `${modulesDir}/${name}/${MODULE_FILE}`) names.add(name);
    }
    return [...names].sort();
  }
}

/** The module a repo-relative path belongs to: modules/<name>/… or modules/@scope/<name>/…; hidden folders are not modules. */
export function moduleOf(modulesDir: string, path: string): string | undefined {
  const prefix = modulesDir === '.' ? '' : `${modulesDir}/`;
  if (!path.startsWith(prefix)) return undefined;
  const parts = path.slice(prefix.length).split('/');
  const scoped = parts[0]?.startsWith('@');
  const n = scoped ? 2 : 1;
  if (parts.length <= n || parts.slice(0, n).some((s) => s.startsWith('.') || s === '')) return undefined;
  if (scoped && parts[0] === '@') return undefined;
  return parts.slice(0, n).join('/');
}

function lockEntryOf(lock: RingLock | undefined, name: string): LockEntry | undefined {
  return lock && Object.hasOwn(lock.modules, name) ? lock.modules[name] : undefined;
}

function policyOf(r: RingPolicy) {
  return [r.promoteFrom, r.minSoakMs, r.allowPrerelease, r.tracksSource];
}

async function repoRoot(cwd: string): Promise<string> {
  try {
    return (await git(['rev-parse', '--show-toplevel'], { cwd })).trim();
  } catch (e) {
    if (e instanceof GitCommandError)
      throw new InputError('check/not-a-repository', `${cwd} is not inside a git repository`, {
        expected:
          'a clone of the platform repository (ringlock check reads both sides of the change from git)',
      });
    throw e;
  }
}

function startDir(repoDir: string, cwd: string): string {
  let rel: string;
  try {
    rel = relative(realpathSync(repoDir), realpathSync(cwd));
  } catch {
    rel = '';
  }
  const p = rel.split(sep).join('/');
  return p === '' || p.startsWith('..') ? '.' : p;
}

async function resolveCommit(repoDir: string, ref: string, flag: string): Promise<string> {
  if (ref.startsWith('-') || /[\0\n]/.test(ref))
    throw new InputError('cli/usage', `${flag} ${JSON.stringify(ref)} is not a git revision`, {
      expected: 'a branch, tag or commit sha',
    });
  try {
    return (
      await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], { cwd: repoDir })
    ).trim();
  } catch (e) {
    if (!(e instanceof GitCommandError)) throw e;
    throw new InputError('check/unknown-revision', `${flag} ${ref}: no such commit in this clone`, {
      expected:
        'a branch, tag or commit the clone has (in GitHub Actions: actions/checkout with fetch-depth: 0)',
    });
  }
}

async function mergeBase(repoDir: string, a: string, b: string, shown: string): Promise<string> {
  try {
    return (await git(['merge-base', a, b], { cwd: repoDir })).trim();
  } catch (e) {
    if (!(e instanceof GitCommandError)) throw e;
    throw new InputError(
      'check/no-merge-base',
      `${shown} and the head have no common ancestor in this clone`,
      {
        expected: 'the base branch fetched with its history (actions/checkout with fetch-depth: 0)',
      },
    );
  }
}

/** `merge`'s first parent when it is a two-parent merge whose second parent is `second`; else undefined. */
async function firstParentOfMerge(
  repoDir: string,
  merge: string,
  second: string,
): Promise<string | undefined> {
  const [, first, other, ...more] = (await git(['rev-list', '--parents', '-n', '1', merge], { cwd: repoDir }))
    .trim()
    .split(' ');
  return first && other?.toLowerCase() === second.toLowerCase() && more.length === 0 ? first : undefined;
}

/** The merge base of head with the remote's default branch (origin/HEAD, else origin/main or origin/master). */
async function defaultBase(repoDir: string, head: string): Promise<string> {
  const candidates: string[] = [];
  try {
    candidates.push((await git(['symbolic-ref', '-q', 'refs/remotes/origin/HEAD'], { cwd: repoDir })).trim());
  } catch {
    // No origin/HEAD: try the usual names.
  }
  candidates.push('refs/remotes/origin/main', 'refs/remotes/origin/master');
  for (const ref of candidates) {
    try {
      const sha = (
        await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: repoDir })
      ).trim();
      if (sha) return await mergeBase(repoDir, sha, head, ref.replace(/^refs\/remotes\//, ''));
    } catch (e) {
      if (e instanceof InputError) throw e;
    }
  }
  throw new InputError(
    'check/no-base',
    'no --base given and no remote default branch (origin/HEAD, origin/main) found',
    {
      expected: '--base <ref>, e.g. --base main (or "git remote set-head origin --auto")',
    },
  );
}

/** Whether `rev` names a commit that is an ancestor of (or is) `of`; false for what the clone does not have. */
async function isAncestor(repoDir: string, rev: string, of: string): Promise<boolean> {
  try {
    const sha = (
      await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], { cwd: repoDir })
    ).trim();
    await git(['merge-base', '--is-ancestor', sha, of], { cwd: repoDir });
    return true;
  } catch (e) {
    if (e instanceof GitCommandError) return false;
    throw e;
  }
}

async function isShallow(repoDir: string): Promise<boolean> {
  return (await git(['rev-parse', '--is-shallow-repository'], { cwd: repoDir })).trim() === 'true';
}
