// A removal's onRemove, a disable's onDisable and an install's per-tenant onEnable run under a journal: an apply killed
// with kill -9 while one runs leaves an orphaned hook group that the next run's recovery stops (killOrphanHook).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { writeTenants } from './fixtures-hooks.js';
import { buildPlatform, processAlive, RING, scratch, show, startCli } from './fixtures-platform.js';

async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The hook's process group is in the journal (written right after the spawn, racing the hook's own pid file). */
function journalNamesHook(stateDir: string): boolean {
  try {
    return JSON.parse(readFileSync(join(stateDir, 'journal.json'), 'utf8')).hookPgid !== undefined;
  } catch {
    return false;
  }
}

/** Sleeps the first time (recording its pid), exits 0 after. */
const SLOW_ONCE = `[ -e "$RL_HOOK_OUT/once" ] && exit 0; touch "$RL_HOOK_OUT/once"; echo $$ > "$RL_HOOK_OUT/hook.pid"; exec sleep 301`;

function setEnabled(lock: string, module: string, enabled: boolean): string {
  const doc = JSON.parse(lock) as { modules: Record<string, Record<string, unknown>> };
  doc.modules[module]!.enabled = enabled;
  return `${JSON.stringify(doc, null, 2)}\n`;
}

describe.concurrent('orphaned hooks of a removal or a disable', () => {
  for (const kind of ['remove', 'disable'] as const) {
    it(`${kind}: a hook left running by kill -9 is stopped by the next run's recovery`, async (t) => {
      const hook = kind === 'remove' ? 'onRemove' : 'onDisable';
      const p = await buildPlatform(scratch(t, `orphan-${kind}`), {
        orders: { version: '1.0.0', lifecycle: { [hook]: SLOW_ONCE } },
      });
      writeTenants(p, { acme: RING });
      const env = { RL_HOOK_OUT: p.out };
      const first = await p.apply([], { env });
      expect(first.code, show(first)).toBe(0);
      const args = ['apply', '--ring', RING, '--yes'];
      if (kind === 'remove') {
        p.removeModule('orders');
        await p.ok(['lock']);
        args.push('--prune');
      } else p.writeLock(setEnabled(p.readLock(), 'orders', false));
      const run = startCli(args, { cwd: p.repo, env });
      await waitFor('the slow hook to start', () => existsSync(join(p.out, 'hook.pid')));
      await waitFor('the journal to name the hook', () => journalNamesHook(p.stateDir()));
      const hookPid = Number(readFileSync(join(p.out, 'hook.pid'), 'utf8'));
      run.child.kill('SIGKILL');
      await run.done;
      try {
        expect(processAlive(hookPid), 'kill -9 cannot take the hook down: it is an orphan now').toBe(true);
        const again = await p.apply(kind === 'remove' ? ['--prune'] : [], { env });
        expect(again.code, show(again)).toBe(0);
        await waitFor('the orphaned hook to be gone', () => !processAlive(hookPid), 2000);
        expect(p.history().some((h) => h.op === 'recover' && h.module === 'orders')).toBe(true);
        expect(p.link('orders')).toBeUndefined();
      } finally {
        try {
          process.kill(-hookPid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
  }

  it("install: an onEnable left running by kill -9 is stopped by the next run's recovery, which then installs", async (t) => {
    const p = await buildPlatform(scratch(t, 'orphan-enable'), {
      orders: { version: '1.0.0', lifecycle: { onEnable: SLOW_ONCE } },
    });
    writeTenants(p, { acme: RING });
    const env = { RL_HOOK_OUT: p.out };
    const run = startCli(['apply', '--ring', RING, '--yes'], { cwd: p.repo, env });
    await waitFor('the slow hook to start', () => existsSync(join(p.out, 'hook.pid')));
    await waitFor('the journal to name the hook', () => journalNamesHook(p.stateDir()));
    const hookPid = Number(readFileSync(join(p.out, 'hook.pid'), 'utf8'));
    run.child.kill('SIGKILL');
    await run.done;
    try {
      expect(processAlive(hookPid), 'kill -9 cannot take the hook down: it is an orphan now').toBe(true);
      const again = await p.apply([], { env });
      expect(again.code, show(again)).toBe(0);
      await waitFor('the orphaned hook to be gone', () => !processAlive(hookPid), 2000);
      expect(p.history().some((h) => h.op === 'recover' && h.module === 'orders')).toBe(true);
      expect(p.state().modules.orders?.status).toBe('active');
    } finally {
      try {
        process.kill(-hookPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
});
