// ringlock hash: the content hash of a directory, and optionally the entry lines it covers.
import { resolve } from 'node:path';
import { ExitCode } from '../../errors.js';
import { hashTree, manifestLine } from '../../hash/tree-hash.js';
import { json } from '../output.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const arg = ctx.positionals[0]!;
  const h = await hashTree(resolve(ctx.cwd, arg), arg.replace(/\/+$/, ''));
  const withEntries = ctx.options.manifest === true;
  if (ctx.json) {
    ctx.io.out(
      json({
        ok: true,
        dir: arg,
        sha256: h.digest,
        file_count: h.fileCount,
        size_bytes: h.sizeBytes,
        ...(withEntries ? { entries: h.entries } : {}),
      }),
    );
    return ExitCode.Ok;
  }
  if (withEntries) for (const e of h.entries) ctx.io.out(manifestLine(e));
  ctx.io.out(`${h.digest}  ${arg}  (${h.fileCount} files, ${h.sizeBytes} bytes)\n`);
  return ExitCode.Ok;
}
