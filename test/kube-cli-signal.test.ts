// A one-shot `ringlock apply` stopped by SIGTERM while a hook runs in another container (the exec runner, on the
// Kubernetes stand-in): ringlock kills the remote hook through a second exec before it exits, so the hook does not
// outlive the apply that started it — and records nothing for the stopped hook (no failure, no rollback): the old
// version stays active, the operation stays in the journal, and the next run recovers it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildPlatform, scratch, show } from './fixtures-platform.js';
import { type KubeHarness, kubeHarness, REAL_CLUSTER } from './support/kube-harness.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let h: KubeHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('SIGTERM during a remote hook', () => {
  it.skipIf(REAL_CLUSTER)(
    'kills the exec hook in the platform container before ringlock exits',
    async (t) => {
      h = await kubeHarness();
      const s = h.standIn!;
      const root = scratch(t, 'kube-cli-signal');
      const lifecycle = { onUpgrade: { ref: 'echo "pid=$$"; sleep 600', runner: 'r' } };
      const p = await buildPlatform(root, { orders: { version: '1.0.0', lifecycle } });
      const op = join(root, 'operator.json');
      writeFileSync(
        op,
        JSON.stringify({
          apiVersion: 'ringlock/v1',
          kind: 'OperatorConfig',
          hooks: { runners: { r: { type: 'exec', container: h.container, argv: ['sh', '-c', '{hook}'] } } },
        }),
      );
      const env = Object.fromEntries(
        Object.entries(h.env).filter((e): e is [string, string] => e[1] !== undefined),
      );
      const args = ['apply', '--ring', 'canary', '--yes', '--operator-config', op];
      const installed = await p.cli(args, { env });
      expect(installed.code, show(installed)).toBe(0);
      p.writeModule('orders', { version: '1.1.0', lifecycle });
      await p.release(['orders']);

      const run = p.start(args, { env });
      while (!s.execs[0]?.process.output.includes('pid=')) {
        if (run.child.exitCode !== null) throw new Error(show(await run.done));
        await new Promise((r) => setTimeout(r, 20));
      }
      const pid = Number(/pid=(\d+)/.exec(s.execs[0]!.process.output)?.[1]);
      expect(alive(pid)).toBe(true);
      run.child.kill('SIGTERM');
      const r = await run.done;
      expect(r.code, show(r)).toBe(143);
      expect(r.stderr).toMatch(/stopped by SIGTERM/);
      // Gone before ringlock exited: the kill was a second exec into the same container, waited for.
      expect(s.execs.map((e) => e.command[3])).toEqual(['ringlock-hook', 'ringlock-kill']);
      await s.execs[0]!.process.done;
      expect(alive(pid)).toBe(false);
      // The stop is not the hook's failure: 1.0.0 still active, no failure recorded, the journal left for recovery.
      expect(p.state().modules.orders).toMatchObject({ status: 'active', active: { version: '1.0.0' } });
      expect(p.history().filter((x) => x.outcome === 'failed')).toEqual([]);
      expect(p.journal()?.module).toBe('orders');
      // The next run recovers the operation cut short.
      await p.cli([...args, '--hook-timeout', '1s'], { env });
      expect(p.history().some((x) => x.op === 'recover' && x.module === 'orders')).toBe(true);
      expect(s.problems).toEqual([]);
    },
    120_000,
  );
});
