// ringlock verify: check the module sources, or a deployed modules directory, against a ring's lock.
import { resolve } from 'node:path';
import { ExitCode, InputError } from '../../errors.js';
import { lockEntry } from '../../model/lock.js';
import type { Workspace } from '../../model/workspace.js';
import { observeDeployed } from '../../verify/observe.js';
import { type Finding, type ObservedModule, verifyDeployed, verifySource } from '../../verify/verify.js';
import {
  hashSources,
  openWorkspace,
  printSourceWarnings,
  ringFromOption,
  sourceWarnings,
  stringOpt,
} from '../common.js';
import { type Io, json, paint, table } from '../output.js';
import { resolveRuntime } from '../runtime.js';
import type { CommandContext } from '../spec.js';
import { verifyTarget } from '../verify-target.js';

export async function run(ctx: CommandContext): Promise<number> {
  const ws = openWorkspace(ctx);
  const ring = ringFromOption(ws, ctx);
  const lockDoc = ws.readLock(ring.name);
  if (!lockDoc) {
    throw new InputError('lock/not-found', `ring "${ring.name}" has no lock`, {
      file: ws.display(ws.lockPath(ring.name)),
      expected: ring.tracksSource
        ? '"ringlock lock" to create it'
        : `a lock promoted from "${ring.promoteFrom ?? 'another ring'}"`,
    });
  }
  const lock = lockDoc.lock;
  const dirOpt = stringOpt(ctx, 'dir');
  let findings: Finding[];
  let against: string;
  if (ctx.options.target === true) {
    const rt = resolveRuntime(ctx, ws);
    against = `the target ${rt.target.root}`;
    findings = await verifyTarget(rt, lock);
  } else if (dirOpt !== undefined) {
    const dir = resolve(ctx.cwd, dirOpt);
    against = dirOpt;
    const { files, platformDependencies, lockManifest } = ws.cfg.manifests;
    const { observed, unreadable } = await observeDeployed(dir, dirOpt, {
      files,
      platformDependencies,
      lockManifest,
    });
    findings = verifyDeployed({ ring, lock, observed, unreadable });
  } else {
    const sources = ws.modules();
    against = `${ws.cfg.modulesDir}/`;
    const needed = [...sources.values()].filter(
      (m) => ring.tracksSource || lockEntry(lock, m.name)?.version === m.manifest.version,
    );
    const states = await hashSources(needed, ctx.json ? undefined : ctx.io);
    const observed = new Map<string, ObservedModule>();
    for (const m of sources.values()) {
      const s = states.get(m.name);
      // Modules not hashed (older pins, not in ring) are compared by version only.
      observed.set(m.name, {
        name: m.name,
        manifest: m.manifest,
        manifestFile: m.manifestFile,
        dependencies: m.dependencies,
        ...(m.lockData ? { lockData: m.lockData } : {}),
        digest: s?.digest ?? '',
        fileCount: s?.fileCount ?? 0,
        sizeBytes: s?.sizeBytes ?? 0,
      });
    }
    findings = verifySource({ ring, lock, observed }, ws.platformVersion);
  }
  const failed = findings.filter((f) => f.status === 'failed');
  if (ctx.json) {
    ctx.io.out(
      json({
        ok: failed.length === 0,
        ring: ring.name,
        lock: lockDoc.doc.file,
        against,
        platform: lock.platform,
        findings,
        warnings: sourceWarnings(ws),
      }),
    );
  } else {
    printSourceWarnings(ctx.io, ws);
    printFindings(ctx.io, ws, ring.name, lockDoc.doc.file, against, lock.platform, findings);
  }
  return failed.length === 0 ? ExitCode.Ok : ExitCode.CheckFailed;
}

function printFindings(
  io: Io,
  _ws: Workspace,
  ring: string,
  lockFile: string,
  against: string,
  platform: string,
  findings: Finding[],
) {
  io.out(`verify ring ${paint(io, 'bold', ring)} (${lockFile}, platform ${platform}) against ${against}\n\n`);
  const mark: Record<Finding['status'], string> = {
    ok: paint(io, 'green', 'ok'),
    failed: paint(io, 'red', 'FAIL'),
    older: paint(io, 'blue', 'older'),
    'not-in-ring': paint(io, 'gray', 'absent'),
    warning: paint(io, 'yellow', 'warn'),
  };
  const rows = findings.map((f) => [mark[f.status], f.module, f.locked ?? '-', f.actual ?? '-', f.message]);
  io.out(table(['STATUS', 'MODULE', 'LOCKED', 'FOUND', 'DETAIL'], rows, io));
  const count = (s: Finding['status']) => findings.filter((f) => f.status === s).length;
  const failed = count('failed');
  const summary = `${findings.length} checked: ${count('ok')} ok, ${failed} failed, ${count('older')} older releases, ${count('warning')} warnings`;
  io.out(`\n${failed > 0 ? paint(io, 'red', summary) : summary}\n`);
}
