// ringlock status: the fleet view over the shared PostgreSQL store: rings × modules, or one module's timeline.
// The database comes from the environment only (RINGLOCK_DATABASE_URL, RINGLOCK_STATE_SCHEMA); nothing is written.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ExitCode, InputError, OperationFailed, RinglockError } from '../../errors.js';
import type { Workspace } from '../../model/workspace.js';
import { redact } from '../../redact.js';
import { missingTables, type Queryable, readFleet } from '../../state/postgres/fleet.js';
import { checkUrl, connectFleet, endpointOf, passwordOf } from '../../state/postgres/fleet-client.js';
import { readTimeline } from '../../state/postgres/fleet-timeline.js';
import { SCHEMA_NAME } from '../../state/postgres/migrations.js';
import { stringOpt } from '../common.js';
import { attentionCells, fleetView, type RingLockInfo } from '../fleet-view.js';
import { formatFleet, formatTimeline } from '../format-fleet.js';
import { json } from '../output.js';
import type { CommandContext } from '../spec.js';

const DEFAULT_LIMIT = 50;

function positiveInt(ctx: CommandContext, name: string): number | undefined {
  const text = stringOpt(ctx, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InputError('cli/usage', `status: --${name} ${text}: not a positive integer`, {
      expected: `e.g. --${name} 20`,
    });
  return n;
}

/** ringlock.yaml's names, as model/config.ts CONFIG_FILES has them (not imported: see workspaceOf). */
const CONFIG_NAMES = ['ringlock.yaml', 'ringlock.yml'];

function underWorkspace(cwd: string): boolean {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (CONFIG_NAMES.some((n) => existsSync(join(dir, n)))) return true;
    if (dirname(dir) === dir) return false;
  }
}

/**
 * ringlock.yaml's workspace when run inside one; none is fine (the columns are then the store's rings by name). The
 * workspace readers (schemas, YAML) are loaded only when there is one: a fleet view outside a checkout starts faster.
 */
async function workspaceOf(ctx: CommandContext): Promise<Workspace | undefined> {
  // A --cwd that does not exist is the readers' error to report.
  if (existsSync(ctx.cwd) && !underWorkspace(ctx.cwd)) return undefined;
  const { openWorkspace } = await import('../../source/workspace-dir.js');
  return openWorkspace(ctx.cwd);
}

/** Every configured ring in order, with its lock's pins: only the shown ring's lock is read when one is asked for. */
function locksOf(ws: Workspace, only: string | undefined): RingLockInfo[] {
  return ws.rings.map((r) => ({
    name: r.name,
    path: ws.display(ws.lockPath(r.name)),
    modules: only === undefined || only === r.name ? (ws.readLock(r.name)?.lock.modules ?? null) : null,
  }));
}

/** The rings the store knows (any row naming them). */
async function storedRings(db: Queryable, s: string): Promise<string[]> {
  const r = await db.query<{ ring: string }>(
    `SELECT ring FROM ${s}.rings UNION SELECT ring FROM ${s}.leases UNION SELECT DISTINCT ring FROM ${s}.deployed_modules`,
  );
  return r.rows.map((x) => x.ring).sort();
}

export async function run(ctx: CommandContext): Promise<number> {
  const ring = stringOpt(ctx, 'ring');
  const module = stringOpt(ctx, 'module');
  const history = stringOpt(ctx, 'history');
  const limit = positiveInt(ctx, 'limit');
  const before = positiveInt(ctx, 'before');
  if (history === undefined && (limit !== undefined || before !== undefined))
    throw new InputError(
      'cli/usage',
      'status: --limit and --before page the history: give --history <module>',
      {
        expected: 'ringlock status --history orders --limit 20',
      },
    );
  if (history !== undefined && module !== undefined)
    throw new InputError('cli/usage', 'status: --history names the module already; drop --module', {
      expected: 'ringlock status --history orders [--ring R]',
    });
  const url = process.env.RINGLOCK_DATABASE_URL;
  if (url === undefined || url.trim() === '')
    throw new InputError(
      'state/no-database-url',
      'status reads the shared store: RINGLOCK_DATABASE_URL is not set',
      {
        expected: 'RINGLOCK_DATABASE_URL=postgres://user:password@host:5432/database in the environment',
      },
    );
  checkUrl(url, 'RINGLOCK_DATABASE_URL');
  const schema = process.env.RINGLOCK_STATE_SCHEMA ?? 'ringlock';
  if (!SCHEMA_NAME.test(schema))
    throw new InputError(
      'state/schema-name',
      `RINGLOCK_STATE_SCHEMA "${schema}": not a schema name ringlock uses`,
      {
        expected: 'lower case letters, digits and _, starting with a letter or _ (at most 63), e.g. ringlock',
      },
    );
  const ws = await workspaceOf(ctx);
  const where = endpointOf(url);
  const secret = passwordOf(url);
  const db = await connectFleet(url);
  try {
    const missing = await missingTables(db, schema);
    if (missing.length > 0)
      throw new InputError(
        'state/no-schema',
        `schema "${schema}" at ${where} has no ringlock tables${missing.length < 6 ? ` (missing: ${missing.join(', ')})` : ''}`,
        {
          expected:
            'the schema a ringlock daemon or apply on the PostgreSQL store created (RINGLOCK_STATE_SCHEMA names another)',
        },
      );
    const s = `"${schema}"`;
    if (ring !== undefined) {
      const known = new Set([...(ws?.rings.map((r) => r.name) ?? []), ...(await storedRings(db, s))]);
      if (!known.has(ring))
        throw new InputError('cli/ring', `--ring ${ring}: unknown ring`, {
          expected:
            known.size > 0 ? `one of: ${[...known].join(', ')}` : 'a ring the store or ringlock.yaml knows',
        });
    }
    if (history !== undefined) {
      const t = await readTimeline(db, schema, {
        module: history,
        limit: limit ?? DEFAULT_LIMIT,
        ...(ring !== undefined ? { ring } : {}),
        ...(before !== undefined ? { before } : {}),
      });
      if (ctx.json)
        ctx.io.out(
          json({
            ok: true,
            database: where,
            schema,
            ring: ring ?? null,
            ...t,
            limit: limit ?? DEFAULT_LIMIT,
          }),
        );
      else ctx.io.out(formatTimeline(ctx.io, t));
      return ExitCode.Ok;
    }
    const filter = { ...(ring !== undefined ? { ring } : {}), ...(module !== undefined ? { module } : {}) };
    const locks = ws ? locksOf(ws, ring) : undefined;
    // The terse table details only the cells that need a look: the latest record of the others is not read.
    const full = ctx.json || ring !== undefined || module !== undefined;
    const snap = await readFleet(
      db,
      schema,
      filter,
      full ? {} : { lastOpsFor: (c) => attentionCells(c, locks) },
    );
    const view = fleetView(snap, locks, filter);
    if (ctx.json) ctx.io.out(json({ ok: true, database: where, schema, ...view }));
    else ctx.io.out(formatFleet(ctx.io, view, full, module));
    return ExitCode.Ok;
  } catch (e) {
    throw translate(e, where, schema, secret);
  } finally {
    await db.end().catch(() => undefined);
  }
}

/** A query's failure in the operator's terms, never quoting the URL's password. */
function translate(e: unknown, where: string, schema: string, secret: string | undefined): unknown {
  if (e instanceof RinglockError) return e;
  const code = (e as { code?: unknown }).code;
  const msg = redact((e as Error).message ?? String(e), [secret]);
  if (code === '42501')
    return new InputError('state/permission', `PostgreSQL at ${where}: ${msg}`, {
      expected: `a role with USAGE on schema ${schema} and SELECT on its tables`,
    });
  return new OperationFailed('state/query', `PostgreSQL at ${where}: ${msg}`, { cause: e });
}
