// Module sources: their content hashes (from git trees, only where a rule needs one) and the source rules — version
// bump, no regression, changelog entry.
import { posix } from 'node:path';
import semver from 'semver';
import { InputError } from '../errors.js';
import { hashGitTrees, listTrees } from '../git/tree-hash.js';
import type { TreeHash } from '../hash/tree-hash.js';
import type { SourceState } from '../lock/compute.js';
import type { LoadedConfig } from '../model/config.js';
import { lockEntry } from '../model/lock.js';
import { moduleDependencies, platformData } from '../model/manifest.js';
import type { ModuleManifest } from '../model/types.js';
import { RULE } from '../rules/promotion.js';
import type { CheckContext } from './context.js';
import { bumpFinding, changelogFinding, regressionFinding } from './rules.js';
import { lockOf, type Scope } from './scope.js';
import { CAPS, tooLargeFinding, under } from './snapshot.js';

/** Hashes what the rules need and runs the source rules; returns each source's state (null: gone at head). */
export async function judgeSources(
  ctx: CheckContext,
  cfg: LoadedConfig,
  scope: Scope,
): Promise<Map<string, SourceState | null>> {
  const {
    dirOf,
    rings,
    touched,
    headLocks,
    entriesChanged,
    judgedAnew,
    sourceNames,
    headManifests,
    baseManifests,
  } = scope;
  // Content hashes: at head for every source whose pin freshness depends on it, at base only where the version
  // stayed while the tree changed (the bump rule).
  const needHeadHash = new Set<string>();
  for (const name of sourceNames) {
    const m = headManifests.get(name)?.manifest;
    if (!m) continue;
    if (touched.has(name)) needHeadHash.add(name);
    for (const r of rings) {
      const e = lockEntry(lockOf(headLocks, r.name), name);
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
    ctx.repoDir,
    ctx.head,
    [...new Set([...needHeadHash, ...touched])].map(dirOf),
  );
  const baseEntries = touched.size > 0 ? await listTrees(ctx.repoDir, ctx.base, touchedList.map(dirOf)) : [];
  const rootOid = (entries: typeof headEntries, name: string) =>
    entries.find((e) => e.path === dirOf(name) && e.type === 'tree')?.oid;
  const needBaseHash = touchedList.filter((name) => {
    const b = baseManifests.get(name)?.manifest;
    const h = headManifests.get(name)?.manifest;
    return b && h && b.version === h.version && rootOid(baseEntries, name) !== rootOid(headEntries, name);
  });
  const headHashes = await hashGitTrees(ctx.reader, headEntries, [...needHeadHash].map(dirOf), ctx.blobCache);
  const baseHashes = await hashGitTrees(ctx.reader, baseEntries, needBaseHash.map(dirOf), ctx.blobCache);
  ctx.stats.treesHashed = headHashes.size + baseHashes.size;
  const hashOf = (hashes: Map<string, TreeHash | InputError>, name: string): TreeHash | undefined => {
    const h = hashes.get(dirOf(name));
    if (h instanceof InputError) {
      ctx.findings.push({
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
      relDir: posix.normalize(posix.join(cfg.modulesDir, scope.folderOf(name))),
      // A PascalCase folder (Modules/Orders) is where the module deploys: the lock entry's path.
      ...(scope.folderOf(name) !== name ? { path: scope.folderOf(name) } : {}),
      manifest: hm.manifest,
      dependencies: moduleDependencies(hm.manifest, cfg.manifests.platformDependencies),
      ...(lockData(hm.manifest, cfg) ?? {}),
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
    ctx.ran.add(RULE.versionBump).add(RULE.versionRegression).add(RULE.changelog);
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
      const read = await ctx.atHead.read(clFile, CAPS.changelog);
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
    for (const f of found) if (f) ctx.findings.push(f);
  }
  return sources;
}

/** The platform's own manifest fields for the lock entry, when the config carries them (modules.lockManifest). */
function lockData(m: ModuleManifest, cfg: LoadedConfig): { lockData: Record<string, unknown> } | undefined {
  if (!cfg.manifests.lockManifest) return undefined;
  const data = platformData(m);
  return Object.keys(data).length > 0 ? { lockData: data } : undefined;
}
