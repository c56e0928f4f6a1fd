// Shared runner of the imperative commands (install, upgrade, rollback): same locking, recovery and engine as apply.
import { applyPlan } from '../apply/engine.js';
import {
  checkDependencies,
  findPin,
  type ImperativeOp,
  imperativeAction,
  type Pinned,
  type PinSource,
  rollbackTarget,
  singleModule,
} from '../apply/imperative.js';
import { CheckFailed, InputError } from '../errors.js';
import type { LockEntry, RingLock } from '../model/types.js';
import { publishHint } from '../plan/format.js';
import type { PlanAction } from '../plan/types.js';
import { recoverStep, withWriter } from '../reconcile/steps.js';
import type { DeployedState } from '../state/types.js';
import { openWorkspace, ringTenants, stringOpt } from './common.js';
import { ask, requireConsent } from './confirm.js';
import { exitFor, printResults, progress } from './format-results.js';
import { msOpt, reasonOpt } from './options.js';
import { json } from './output.js';
import { type ActivePublishing, activePublishing } from './publish-active.js';
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
  const reason = reasonOpt(ctx);
  const ws = openWorkspace(ctx);
  const rt = resolveRuntime(ctx, ws);
  // Built before the lock: a runner that cannot be (its secret unset) refuses the command with nothing touched.
  const hookRunners = rt.hookRunners;
  const { registry, cache } = resolveRegistry(ctx, ws, rt);
  return withWriter(
    rt.store,
    `ringlock ${op} ${module}`,
    msOpt(ctx, 'lock-timeout', 30_000),
    async (writer) => {
      const stopHandlers = onStop(() => writer.release());
      let publishing: ActivePublishing | undefined;
      try {
        recoverStep(rt, { onEvent: progress(ctx) });
        const state = rt.store.read();
        const ringName = stringOpt(ctx, 'ring') ?? state.ring ?? ws.trackingRing().name;
        const ring = ws.ring(ringName);
        publishing = activePublishing(ctx, rt, ring.name);
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
          // It goes back where it is deployed (an AutoCom module stays at its folder's case, `Orders`).
          const at = state.modules[module]?.path;
          entry = {
            version: back.version,
            sha256: back.sha256,
            integrity: back.integrity,
            ...(at !== undefined ? { path: at } : {}),
          };
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
        const brought =
          op === 'rollback' ? [] : dependenciesOrRefuse(ctx, op, module, entry, state, platform, locks);
        withDependencies(plan, lock, brought);
        const change = plan.actions
          .map((a) => `${a.kind} ${a.module}${a.from ? ` ${a.from} →` : ''} ${a.to}`)
          .join(', then ');
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
            hookRunners,
            tenants: ringTenants(ws, ring.name),
            keepVersions: rt.keepVersions,
            concurrency: 1,
            origin: 'imperative',
            adopt: ctx.options.adopt === true,
            reason,
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
        const publish = await publishing.publish({ ring: ring.name, tenants: ws.tenants() });
        const code = exitFor(results);
        if (ctx.json) ctx.io.out(json({ ok: code === 0, results, publish }));
        else printResults(ctx.io, results);
        return code;
      } finally {
        stopHandlers();
        await publishing?.close();
      }
    },
  );
}

/**
 * The dependencies install/upgrade must bring (with --with-deps), or a refusal (exit 1, nothing changed) naming each
 * chain: the same evaluation as the plan's, over what is installed.
 */
function dependenciesOrRefuse(
  ctx: CommandContext,
  op: 'install' | 'upgrade',
  module: string,
  entry: LockEntry,
  state: DeployedState,
  platform: string,
  locks: PinSource[],
): Pinned[] {
  const withDeps = ctx.options['with-deps'] === true;
  const force = ctx.options.force === true;
  const check = checkDependencies({
    module,
    entry,
    state,
    platform,
    locks,
    withDeps,
    quarantined: (m, e) => {
      const q = state.quarantine.find((x) => x.module === m && x.version === e.version);
      return q && !force ? `${m} ${e.version} is quarantined here: ${q.reason}` : undefined;
    },
  });
  for (const n of check.notes) ctx.io.err(`note: ${n}\n`);
  if (check.problems.length === 0 && check.breaks.length === 0) return check.installs;
  const what = `${op} ${module} ${entry.version}`;
  const parts = [
    ...check.problems,
    ...check.breaks.map((b) => `${op === 'upgrade' ? 'upgrading' : 'installing'} it would break ${b}`),
  ];
  const fixes: string[] = [];
  if (check.problems.length > 0) {
    if (!withDeps && check.installable.length > 0)
      fixes.push(
        `install it first or pass --with-deps (installs ${check.installable.map((p) => `${p.module} ${p.entry.version}`).join(', ')}, pinned in ${[...new Set(check.installable.map((p) => p.ring))].join(', ')})`,
      );
    else
      fixes.push(
        `each dependency installed at a version in range (install or upgrade it first: ${withDeps ? '--with-deps installs only missing modules, at' : 'only'} versions some ring lock pins)`,
      );
  }
  if (check.breaks.length > 0)
    fixes.push('a version whose range the installed dependents accept, or upgrade those dependents first');
  throw new CheckFailed('deps/unmet', `${what} refused: ${parts.join('; ')}`, {
    expected: fixes.join('; '),
  });
}

/** Puts the dependencies --with-deps brings before the requested action, in dependency order, and into the lock run. */
function withDependencies(plan: { actions: PlanAction[] }, lock: RingLock, brought: Pinned[]): void {
  if (brought.length === 0) return;
  const first: PlanAction[] = brought.map((p) => ({
    module: p.module,
    kind: 'install',
    to: p.entry.version,
  }));
  plan.actions.unshift(...first);
  for (const p of brought) lock.modules[p.module] = p.entry;
}
