// Shared runner of the imperative commands (install, upgrade, rollback): same locking, recovery and engine as apply.
import { applyPlan } from '../apply/engine.js';
import {
  findPin,
  type ImperativeOp,
  imperativeAction,
  type PinSource,
  rollbackTarget,
  singleModule,
} from '../apply/imperative.js';
import { InputError } from '../errors.js';
import type { LockEntry } from '../model/types.js';
import { publishHint } from '../plan/format.js';
import { recoverStep, withWriter } from '../reconcile/steps.js';
import { openWorkspace, ringTenants, stringOpt } from './common.js';
import { ask, requireConsent } from './confirm.js';
import { exitFor, printResults, progress } from './format-results.js';
import { msOpt } from './options.js';
import { json } from './output.js';
import { resolveRuntime } from './runtime.js';
import { resolveRegistry } from './runtime-registry.js';
import { onStop } from './signals.js';
import type { CommandContext } from './spec.js';

/** `orders@1.0.0` or `@acme/analytics@0.4.0` → [name, version]. */
export function splitSpec(spec: string): [string, string | undefined] {
  const at = spec.lastIndexOf('@');
  return at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
}

export async function runImperative(
  ctx: CommandContext,
  op: ImperativeOp,
  module: string,
  to: string | undefined,
): Promise<number> {
  requireConsent(ctx, `${op} changes the target`);
  const ws = openWorkspace(ctx);
  const rt = resolveRuntime(ctx, ws);
  const { registry, cache } = resolveRegistry(ctx, ws, rt);
  return withWriter(
    rt.store,
    `ringlock ${op} ${module}`,
    msOpt(ctx, 'lock-timeout', 30_000),
    async (writer) => {
      const stopHandlers = onStop(() => writer.release());
      try {
        recoverStep(rt);
        const state = rt.store.read();
        const ringName = stringOpt(ctx, 'ring') ?? state.ring ?? ws.trackingRing().name;
        const ring = ws.ring(ringName);
        const locks: PinSource[] = [];
        for (const r of [ring, ...ws.rings.filter((x) => x.name !== ring.name)]) {
          const l = ws.readLock(r.name);
          if (l) locks.push({ ring: r.name, lock: l.lock });
        }
        const platform = locks.find((l) => l.ring === ring.name)?.lock.platform ?? ws.platformVersion;
        let entry: LockEntry;
        if (op === 'rollback') {
          const back = rollbackTarget(state, rt.store.history(), module, to);
          if (!back) {
            throw new InputError(
              'cli/no-rollback',
              to
                ? `${module} ${to} was never installed here`
                : `${module} has no previous version on this target`,
              {
                expected: 'a version this target ran before (see "ringlock history <module>")',
              },
            );
          }
          entry = { version: back.version, sha256: back.sha256, integrity: back.integrity };
        } else {
          const pin = findPin(locks, module, to!);
          if (!pin) {
            throw new InputError(
              'cli/not-pinned',
              `${module} ${to} is not pinned in any ring lock, so nothing vouches for its content`,
              {
                expected: `a version a ring lock pins (publish it with "ringlock publish --ring ${ring.name}")`,
              },
            );
          }
          entry = pin.entry;
        }
        const q = state.quarantine.find((x) => x.module === module && x.version === entry.version);
        if (q && ctx.options.force !== true) {
          throw new InputError(
            'cli/quarantined',
            `${module} ${entry.version} is quarantined here: ${q.reason}`,
            {
              expected: `"ringlock retry ${module}" first, or --force`,
            },
          );
        }
        const action = imperativeAction(op, module, entry.version, state, ctx.options.force === true);
        const { plan, lock } = singleModule(ring.name, platform, action, entry);
        const change = `${action.kind} ${module}${action.from ? ` ${action.from} →` : ''} ${entry.version}`;
        if (ctx.options.yes !== true && !(await ask(ctx.io, `${change} on the target?`))) {
          ctx.io.out('nothing applied\n');
          return 0;
        }
        const ran = await applyPlan(
          plan,
          lock,
          { target: rt.target, store: rt.store, registry, cache, onEvent: progress(ctx) },
          {
            ring: ring.name,
            actor: rt.actor,
            platform,
            skipHooks: ctx.options['skip-hooks'] === true,
            hookTimeoutMs: msOpt(ctx, 'hook-timeout', 600_000),
            health: rt.health,
            moduleEnv: rt.moduleEnv,
            hookRunners: rt.hookRunners,
            tenants: ringTenants(ws, ring.name),
            keepVersions: rt.keepVersions,
            concurrency: 1,
            origin: 'imperative',
            adopt: ctx.options.adopt === true,
          },
        );
        // A pin without an artifact fails in the fetch with "no integrity given": say what to do (rollback reads the store).
        const hint =
          op !== 'rollback' && entry.integrity === undefined
            ? publishHint({ module, kind: action.kind, to: entry.version })
            : undefined;
        const results = ran.map((r) =>
          hint !== undefined && r.outcome === 'failed'
            ? { ...r, error: `${r.error ?? 'failed'}; needs publish: ${hint}` }
            : r,
        );
        const code = exitFor(results);
        if (ctx.json) ctx.io.out(json({ ok: code === 0, results }));
        else printResults(ctx.io, results);
        return code;
      } finally {
        stopHandlers();
      }
    },
  );
}
