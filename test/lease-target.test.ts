// The target is a folder the database does not fence: a writer whose PostgreSQL lease was taken over while its
// afterSwitch hook ran must leave the target to the new holder — no switch back, no prune, no record — and say so.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { buildPlatform, type ModuleSpec, scratch, show } from './fixtures-platform.js';

const until = async (what: string, ok: () => boolean) => {
  const end = Date.now() + 60_000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

it('a writer that lost its lease during afterSwitch changes nothing more on the target', async (t) => {
  const spec = (v: string): ModuleSpec => ({ version: v, lifecycle: { afterSwitch: 'sh ./hook.sh' } });
  const p = await buildPlatform(scratch(t, 'lease-target'), { b: spec('1.0.0') }, { store: 'postgres' });
  expect((await p.apply()).code).toBe(0);
  p.writeModule('b', spec('2.0.0'));
  await p.release();
  const pid = join(p.out, 'b.hook.pid');
  rmSync(pid, { force: true });
  const run = p.start(['apply', '--ring', 'canary', '--yes'], {
    env: { RL_HOOK_OUT: p.out, RL_HOOK_SLOW: 'b', RL_HOOK_SLEEP: '60', RL_HOOK_GATE: '1' },
  });
  await until('the afterSwitch hook', () => existsSync(pid) && readFileSync(pid, 'utf8').length > 0);
  const switched = p.link('b');
  expect(switched).toMatch(/2\.0\.0/);
  // Another writer takes the lease (as a contender after an expiry would) and is mid-operation on b.
  await p.pg!.sql(
    p.target,
    `UPDATE $S.leases SET token = token + 1, holder = 'new-holder', holder_pid = NULL,
            expires_at = now() + interval '1 hour' WHERE ring = 'canary'`,
  );
  await p.pg!.sql(
    p.target,
    `INSERT INTO $S.journal (ring, id, phase, module, entry, token)
     VALUES ('canary', 'x', 'switching', 'b', '{"id":"x","phase":"switching","module":"b"}', 99)
     ON CONFLICT (ring) DO UPDATE SET id = 'x', phase = 'switching', entry = EXCLUDED.entry`,
  );
  const done = await run.done;
  // Its hook was killed when the lease was found lost; the operation failed with the lease lost.
  expect(done.code, show(done)).toBe(3);
  expect(done.stdout + done.stderr).toMatch(/lease/);
  // The link the new holder works with is untouched (not switched back to 1.0.0), and its journal is still there.
  expect(p.link('b')).toBe(switched);
  expect(p.journal()?.id).toBe('x');
});
