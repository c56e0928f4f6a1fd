// Every hook-runner kind keeps the same contract, through a real `ringlock apply`: the hook gets its context, its exit
// code and output land in the history record, a failure or a timeout halts the operation with nothing switched, a
// flood of output is cut to its tail, and the operator's byHook routes a reference that names no runner. The kinds
// (test/support/runner-kinds.ts) differ only in where the hook runs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlatform, type ModuleSpec, type Platform, scratch, show } from './fixtures-platform.js';
import { RUNNER_KINDS, type RunnerKindSetup } from './support/runner-kinds.js';

/** Prints what it got: the context from stdin, or from RINGLOCK_CONTEXT where a runner passes it so. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a JS template
const PRINT_CONTEXT = 'ctx="${RINGLOCK_CONTEXT:-$(cat)}"; printf "hook ran\\ncontext=%s\\n" "$ctx"';
const FLOOD =
  'i=0; while [ $i -lt 3000 ]; do echo "line $i of a long output"; i=$((i+1)); done; echo END-OF-OUTPUT';

interface Case {
  p: Platform;
  apply(args?: string[]): ReturnType<Platform['apply']>;
}

describe.each(RUNNER_KINDS)('hook runner $kind', ({ setup }) => {
  async function platform(
    t: { onTestFinished(fn: () => Promise<void> | void): void },
    lifecycle: ModuleSpec['lifecycle'],
    byHook?: Record<string, string>,
  ): Promise<Case> {
    const kind: RunnerKindSetup = await setup();
    t.onTestFinished(() => kind.teardown());
    const root = scratch(t, 'runner-conformance');
    const p = await buildPlatform(root, { orders: { version: '1.0.0', lifecycle } });
    const op = join(root, 'operator.json');
    writeFileSync(
      op,
      JSON.stringify({
        apiVersion: 'ringlock/v1',
        kind: 'OperatorConfig',
        hooks: { runners: kind.runners, ...(byHook ? { byHook } : {}) },
      }),
    );
    return {
      p,
      apply: (args = []) => p.apply(['--operator-config', op, ...args], { env: kind.env }),
    };
  }

  const hookOf = (p: Platform) => p.history().flatMap((h) => h.hooks ?? []);

  it('runs the hook with its context; the output lands in the history record', async (t) => {
    const { p, apply } = await platform(t, { onInstall: { ref: PRINT_CONTEXT, runner: 'r' } });
    const r = await apply();
    expect(r.code, show(r)).toBe(0);
    expect(p.state().modules.orders?.active.version).toBe('1.0.0');
    const [run] = hookOf(p);
    expect(run).toMatchObject({ hook: 'onInstall', exit: 0 });
    expect(run!.output).toContain('hook ran');
    const ctx = JSON.parse(/context=(.*)/.exec(run!.output)![1]!) as Record<string, unknown>;
    expect(ctx).toMatchObject({
      module: 'orders',
      hookPoint: 'onInstall',
      operation: 'install',
      fromVersion: null,
      toVersion: '1.0.0',
      ring: 'canary',
      manifest: { name: 'orders', version: '1.0.0' },
    });
    expect(ctx.operationId).toBe(p.history()[0]!.id);
  });

  it('exit 3 halts the operation: nothing switched, the exit code in the record, exit 3', async (t) => {
    const { p, apply } = await platform(t, { onInstall: { ref: 'echo refusing; exit 3', runner: 'r' } });
    const r = await apply();
    expect(r.code, show(r)).toBe(3);
    expect(p.link('orders')).toBeUndefined();
    expect(p.state().modules.orders?.active).toBeUndefined();
    expect(hookOf(p)).toMatchObject([{ hook: 'onInstall', exit: 3 }]);
    expect(hookOf(p)[0]!.output).toContain('refusing');
    expect(r.stderr + r.stdout).toContain('exit 3');
  });

  it('a hook past its timeout is stopped: timedOut in the record, the operation halted', async (t) => {
    const { p, apply } = await platform(t, { onInstall: { ref: 'sleep 60', runner: 'r' } });
    const r = await apply(['--hook-timeout', '1s']);
    expect(r.code, show(r)).toBe(3);
    expect(p.link('orders')).toBeUndefined();
    expect(hookOf(p)).toMatchObject([{ hook: 'onInstall', exit: null, timedOut: true }]);
    expect(r.stderr + r.stdout).toContain('timed out');
  });

  it('keeps the tail of a flood of output', async (t) => {
    const { p, apply } = await platform(t, { onInstall: { ref: FLOOD, runner: 'r' } });
    const r = await apply();
    expect(r.code, show(r)).toBe(0);
    const out = hookOf(p)[0]!.output;
    expect(out.trimEnd().endsWith('END-OF-OUTPUT')).toBe(true);
    expect(out).not.toContain('line 0 of');
    expect(out.length).toBeLessThanOrEqual(4000);
  });

  it("byHook routes onInstall's PHP-class reference that names no runner to r", async (t) => {
    // `tr\ue` is a PHP class name to ringlock (a reference) and `true` to sh: r runs it and it succeeds.
    const lifecycle = { onInstall: 'tr\\ue' };
    const without = await platform(t, lifecycle);
    const refused = await without.apply();
    // Without byHook it would need the runner php, which the operator config does not define.
    expect(refused.code, show(refused)).toBe(2);
    expect(refused.stderr).toContain('hooks.runners.php');
    const { p, apply } = await platform(t, lifecycle, { onInstall: 'r' });
    const r = await apply();
    expect(r.code, show(r)).toBe(0);
    expect(hookOf(p)).toMatchObject([{ hook: 'onInstall', exit: 0 }]);
    expect(p.state().modules.orders?.active.version).toBe('1.0.0');
  });
});
