// ringlock ring list: the rings in promotion order with module and tenant counts.
import { ExitCode } from '../../errors.js';
import { openWorkspace } from '../common.js';
import { json, table } from '../output.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const ws = openWorkspace(ctx);
  const tenants = Object.values(ws.tenants());
  const rings = ws.rings.map((r, i) => {
    const lock = ws.readLock(r.name);
    return {
      name: r.name,
      order: i + 1,
      promoteFrom: r.promoteFrom ?? null,
      minSoak: r.minSoak ?? '0',
      allowPrerelease: r.allowPrerelease,
      tracksSource: r.tracksSource,
      lock: ws.display(ws.lockPath(r.name)),
      hasLock: lock !== undefined,
      platform: lock?.lock.platform ?? null,
      modules: lock ? Object.keys(lock.lock.modules).length : 0,
      tenants: tenants.filter((t) => t === r.name).length,
    };
  });
  if (ctx.json) {
    ctx.io.out(json({ ok: true, platform: ws.platformVersion, rings }));
    return ExitCode.Ok;
  }
  const rows = rings.map((r) => [
    String(r.order),
    r.name,
    r.promoteFrom ?? '-',
    r.minSoak,
    r.allowPrerelease ? 'yes' : 'no',
    r.tracksSource ? 'yes' : 'no',
    r.platform ?? '(no lock)',
    String(r.modules),
    String(r.tenants),
  ]);
  ctx.io.out(
    table(
      ['#', 'RING', 'FROM', 'SOAK', 'PRERELEASE', 'TRACKS SOURCE', 'PLATFORM', 'MODULES', 'TENANTS'],
      rows,
      ctx.io,
    ),
  );
  return ExitCode.Ok;
}
