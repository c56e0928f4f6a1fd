// ringlock publish: pack module sources, put them in the registry, and record integrity and artifact in a ring lock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packModule } from '../../artifacts/pack.js';
import { CheckFailed, ExitCode, InputError } from '../../errors.js';
import { writeFileAtomic } from '../../fsutil/atomic-write.js';
import { git } from '../../git/cli.js';
import { exportTree } from '../../git/export-tree.js';
import { sourcesAtVersions } from '../../import/history.js';
import { lockEntry, serializeLock } from '../../model/lock.js';
import { openWorkspace, ringFromOption } from '../common.js';
import { json, paint, table } from '../output.js';
import { resolveRuntime } from '../runtime.js';
import { resolveRegistry } from '../runtime-registry.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const ws = openWorkspace(ctx);
  const ring = ringFromOption(ws, ctx);
  const rt = resolveRuntime(ctx, ws);
  const { registry } = resolveRegistry(ctx, ws, rt);
  const lockDoc = ws.readLock(ring.name);
  if (!lockDoc)
    throw new InputError('lock/not-found', `ring "${ring.name}" has no lock`, {
      file: ws.display(ws.lockPath(ring.name)),
    });
  const lock = lockDoc.lock;
  const sources = ws.modules();
  if (ctx.options.all === true && ctx.positionals.length > 0) {
    throw new InputError('cli/usage', 'publish: name the modules to publish or pass --all, not both', {
      expected: 'ringlock publish orders --ring canary, or ringlock publish --ring canary',
    });
  }
  // No names (or --all): every pin of the ring whose source is at the pinned version (older releases were published when they were new).
  const all = ctx.positionals.length === 0;
  const names = all
    ? Object.keys(lock.modules)
        .filter((n) => sources.get(n)?.manifest.version === lockEntry(lock, n)!.version)
        .sort()
    : ctx.positionals;
  // A named pin the source no longer holds (an older release, e.g. imported into a later ring): packed from the newest
  // commit whose manifest has that version, and only if that tree hashes to what the lock pins.
  const older = new Map<string, { commit: string; relDir: string }>();
  for (const n of names) {
    const e = lockEntry(lock, n);
    if (!e)
      throw new InputError('cli/module', `${n}: not pinned in ring "${ring.name}"`, {
        expected: `one of: ${Object.keys(lock.modules).join(', ')}`,
      });
    const s = sources.get(n);
    if (s && s.manifest.version === e.version) continue;
    // A lock's `source` is the repository's word: only a folder under the modules dir is packed from history.
    const fromLock = e.source !== undefined && isUnder(e.source, ws.cfg.modulesDir) ? e.source : undefined;
    const relDir = s?.relDir ?? fromLock;
    const found =
      relDir === undefined
        ? undefined
        : (await sourcesAtVersions(ws.root, [{ name: n, relDir, version: e.version }])).get(
            `${n}@${e.version}`,
          );
    if (!found) {
      throw new InputError(
        'cli/module',
        `${n}: ring "${ring.name}" pins ${e.version}, the source has ${s?.manifest.version ?? 'no module'} and no commit of its manifest has ${e.version}`,
        {
          expected:
            'the source at the pinned version, or a git history in which its manifest had that version',
        },
      );
    }
    older.set(n, { commit: found.commit, relDir: found.state.relDir });
  }
  const out = mkdtempSync(join(tmpdir(), 'ringlock-publish-'));
  const published: {
    module: string;
    version: string;
    artifact: string;
    digest?: string;
    integrity: string;
    fromCommit?: string;
  }[] = [];
  try {
    for (const n of names) {
      const e = lockEntry(lock, n)!;
      const commit = older.get(n)?.commit;
      const relDir = older.get(n)?.relDir ?? sources.get(n)!.relDir;
      const dir = commit
        ? await exportTree(
            await repoTop(ws.root),
            commit,
            await repoPath(ws.root, relDir),
            mkdtempSync(join(out, 'tree-')),
          )
        : sources.get(n)!.dir;
      const r = await packModule(dir, join(out, n.replace('/', '__')), {
        display: commit ? `${relDir} at ${commit.slice(0, 12)}` : relDir,
        manifestFiles: ws.cfg.manifests.files,
      });
      if (r.manifest.sha256 !== e.sha256) {
        throw new CheckFailed(
          'lock/stale',
          `${n} ${e.version}: the source hashes to ${r.manifest.sha256}, the lock pins ${e.sha256}`,
          {
            file: lockDoc.doc.file,
            expected: `"ringlock lock${ring.tracksSource ? '' : ` --ring ${ring.name}`}" first`,
          },
        );
      }
      const { artifact, digest } = await registry.publish(
        n,
        e.version,
        [
          { name: r.artifact.split('/').pop()!, path: r.artifact },
          { name: r.sidecar.split('/').pop()!, path: r.sidecar },
          { name: r.manifestFile.split('/').pop()!, path: r.manifestFile },
        ],
        { sha256: r.manifest.sha256, integrity: r.manifest.integrity },
      );
      // An OCI registry's manifest digest sits beside the integrity; another registry's publish drops an old one.
      const { digest: _old, ...rest } = e;
      lock.modules[n] = {
        ...rest,
        integrity: r.manifest.integrity,
        artifact,
        ...(digest !== undefined ? { digest } : {}),
        artifact_size: r.manifest.compressed_size,
      };
      published.push({
        module: n,
        version: e.version,
        artifact,
        ...(digest !== undefined ? { digest } : {}),
        integrity: r.manifest.integrity,
        ...(commit ? { fromCommit: commit } : {}),
      });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const path = ws.lockPath(ring.name);
  writeFileAtomic(path, serializeLock(lock), ws.display(path));
  if (ctx.json) ctx.io.out(json({ ok: true, ring: ring.name, registry: registry.location, published }));
  else {
    ctx.io.out(
      `${paint(ctx.io, 'green', 'published')} ${published.length} to ${registry.location}; ${ws.display(path)} records their integrity\n`,
    );
    if (published.length > 0) {
      ctx.io.out(
        table(
          ['MODULE', 'VERSION', 'ARTIFACT', 'INTEGRITY'],
          published.map((p) => [
            p.module,
            p.fromCommit ? `${p.version} (from ${p.fromCommit.slice(0, 12)})` : p.version,
            p.artifact,
            `${p.integrity.slice(0, 24)}…`,
          ]),
          ctx.io,
        ),
      );
    }
  }
  return ExitCode.Ok;
}

/** The top of the git repository holding `root`. */
async function repoTop(root: string): Promise<string> {
  return (await git(['rev-parse', '--show-toplevel'], { cwd: root })).trim();
}

/** `relDir` (relative to the workspace root) relative to the top of its git repository. */
async function repoPath(root: string, relDir: string): Promise<string> {
  const prefix = (await git(['rev-parse', '--show-prefix'], { cwd: root })).trim();
  return `${prefix}${relDir}`;
}

/** Whether `rel` (a path relative to the workspace root) names a folder under `dir`, with no `..` or absolute part. */
function isUnder(rel: string, dir: string): boolean {
  return (
    rel.startsWith(`${dir.replace(/\/+$/, '')}/`) &&
    rel.split('/').every((p) => p !== '' && p !== '.' && p !== '..')
  );
}
