// ringlock pack: a module directory → <out>/<name>-<version>.tgz, its .sha256 sidecar and MANIFEST.json.
import { isAbsolute, relative, resolve } from 'node:path';
import { packModule } from '../../artifacts/pack.js';
import { ExitCode } from '../../errors.js';
import { stringOpt } from '../common.js';
import { json, paint } from '../output.js';
import type { CommandContext } from '../spec.js';

/** Relative to the working directory, so the same command prints the same text on every machine. */
export const DEFAULT_OUT = 'artifacts';

export async function run(ctx: CommandContext): Promise<number> {
  const arg = ctx.positionals[0]!;
  const out = stringOpt(ctx, 'out') ?? DEFAULT_OUT;
  const r = await packModule(resolve(ctx.cwd, arg), resolve(ctx.cwd, out), {
    display: arg.replace(/\/+$/, '') || '.',
  });
  // Paths as the user gave --out: relative to the working directory unless it was absolute.
  const shown = (p: string) => (isAbsolute(out) ? p : relative(ctx.cwd, p));
  const m = r.manifest;
  if (ctx.json) {
    ctx.io.out(
      json({
        ok: true,
        dir: arg,
        ...m,
        artifact_path: shown(r.artifact),
        sidecar_path: shown(r.sidecar),
        manifest_path: shown(r.manifestFile),
      }),
    );
    return ExitCode.Ok;
  }
  ctx.io.out(
    `${paint(ctx.io, 'green', 'packed')} ${m.name} ${m.version} → ${shown(r.artifact)}\n` +
      `  files      ${m.file_count} (${m.size_bytes} bytes, ${m.compressed_size} compressed)\n` +
      `  sha256     ${m.sha256}\n` +
      `  integrity  ${m.integrity}\n` +
      `  wrote      ${shown(r.sidecar)}, ${shown(r.manifestFile)}\n`,
  );
  return ExitCode.Ok;
}
