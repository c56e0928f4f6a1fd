// ringlock promote: carry pins to the next ring's lock as a pull request (see src/promote).
import { ExitCode, InputError } from '../../errors.js';
import type { PromotionRequest } from '../../promote/plan.js';
import { type AutoItem, type PromoteResult, promote, promoteAuto, refusal } from '../../promote/promote.js';
import { json, paint } from '../output.js';
import type { CommandContext } from '../spec.js';
import { describeOutcome, openSession } from './publish-common.js';

export async function run(ctx: CommandContext): Promise<number> {
  const o = ctx.options;
  const auto = o.auto === true;
  const all = o.all === true;
  const requests = ctx.positionals.map(parseRequest);
  if (
    auto &&
    (requests.length > 0 || all || o.from !== undefined || o.to !== undefined || o['with-deps'] || o.force)
  )
    throw new InputError('cli/auto', '--auto decides the modules and rings itself', {
      expected: '--auto alone (with --dry-run, --no-pr or --base), or modules with --from',
    });
  if (!auto && typeof o.from !== 'string')
    throw new InputError('cli/from', 'which ring to promote from? give --from', {
      expected: '--from canary (or --auto)',
    });
  if (!auto && all === requests.length > 0)
    throw new InputError(
      'cli/modules',
      all ? '--all promotes every module: name none' : 'name the module(s) to promote, or --all',
      {
        expected: 'ringlock promote orders --from canary, or ringlock promote --all --from canary',
      },
    );
  const now = Date.now();
  const session = await openSession(ctx);
  try {
    if (auto) {
      const items = await promoteAuto(session, now);
      return reportAuto(ctx, items);
    }
    const result = await promote(session, {
      from: o.from as string,
      ...(typeof o.to === 'string' ? { to: o.to } : {}),
      requests,
      all,
      force: o.force === true,
      withDeps: o['with-deps'] === true,
      ignoreFreeze: o['ignore-freeze'] === true,
      now,
    });
    const refused = refusal(result);
    if (refused) {
      if (ctx.json)
        ctx.io.out(
          json({
            ok: false,
            ...strip(result),
            error: {
              code: refused.code,
              message: refused.message,
              exitCode: refused.exitCode,
              diagnostics: refused.diagnostics(),
            },
          }),
        );
      else {
        ctx.io.err(`${paint(ctx.io, 'red', 'refused')}: ${refused.message}\n`);
        for (const d of refused.diagnostics())
          ctx.io.err(`  ${d.rule} ${d.message}\n${d.expected ? `    expected: ${d.expected}\n` : ''}`);
      }
      return ExitCode.CheckFailed;
    }
    if (ctx.json) ctx.io.out(json({ ok: true, ...strip(result) }));
    else ctx.io.out(describe(ctx, result));
    return ExitCode.Ok;
  } finally {
    session.close();
  }
}

/** `orders`, `orders@1.5.0`, `@acme/analytics@0.4.0`. */
export function parseRequest(arg: string): PromotionRequest {
  const at = arg.lastIndexOf('@');
  const [module, version] = at > 0 ? [arg.slice(0, at), arg.slice(at + 1)] : [arg, undefined];
  if (!/^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/.test(module) || module.includes('..'))
    throw new InputError('cli/module', `"${arg}" is not a module name`, {
      expected: 'a module like orders, orders@1.5.0 or @acme/analytics',
    });
  if (version !== undefined && !/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(version))
    throw new InputError('cli/module', `"${arg}": ${JSON.stringify(version)} is not a version`, {
      expected: 'module@1.5.0',
    });
  return { module, ...(version !== undefined ? { version } : {}) };
}

function strip(r: PromoteResult): object {
  if (r.status === 'refused') {
    const { plan: _plan, ...rest } = r;
    return rest;
  }
  return r;
}

function describe(ctx: CommandContext, r: PromoteResult): string {
  if (r.status === 'already-promoted')
    return r.modules.length
      ? `${r.to} already pins ${r.modules.join(', ')} as ${r.from} does: nothing to promote\n`
      : `${r.to} already pins everything ${r.from} pins: nothing to promote\n`;
  if (r.status === 'refused' || r.status === 'frozen') return '';
  const lines = r.changes.map(
    (c) =>
      `  ${c.module} ${c.before?.version ?? '(new)'} → ${c.after.version}${c.forDependency ? ` (needed by ${c.forDependency})` : ''}`,
  );
  const forced = r.overridden.length
    ? `${paint(ctx.io, 'yellow', 'soak overridden with --force')}: ${r.overridden.map((f) => f.message).join('; ')}\n`
    : '';
  return `${r.title}\n${lines.join('\n')}\n${forced}${describeOutcome(ctx, r, r.body)}`;
}

function reportAuto(ctx: CommandContext, items: AutoItem[]): number {
  const failed = items.filter((i) => i.error);
  if (ctx.json) {
    ctx.io.out(
      json({
        ok: failed.length === 0,
        items: items.map((i) => ({
          ring: i.ring,
          from: i.from,
          ...(i.module ? { module: i.module } : {}),
          ...(i.result ? { result: strip(i.result) } : {}),
          ...(i.skipped ? { skipped: i.skipped } : {}),
          ...(i.error
            ? { error: { code: i.error.code, message: i.error.message, exitCode: i.error.exitCode } }
            : {}),
        })),
      }),
    );
  } else {
    if (items.length === 0)
      ctx.io.out('nothing is due: every ring pins what it is promoted from, or it has not soaked yet\n');
    for (const i of items) {
      const head = `${i.from} → ${i.ring}${i.module ? ` ${i.module}` : ''}`;
      if (i.skipped) ctx.io.out(`${head}: ${paint(ctx.io, 'yellow', 'skipped')} (${i.skipped})\n`);
      else if (i.error) ctx.io.err(`${head}: ${paint(ctx.io, 'red', 'failed')}: ${i.error.message}\n`);
      else if (i.result) ctx.io.out(`${head}: ${describe(ctx, i.result)}`);
    }
  }
  if (failed.length === 0) return ExitCode.Ok;
  return Math.max(...failed.map((f) => f.error!.exitCode));
}
