// The pointer switch is one atomic step, seen from the Redis side: MONITOR (redis-cli monitor) records every command
// of an upgrade, and the ring's generation key, its document and every tenant key are written by one script call
// (EVALSHA, or EVAL when the script is not cached) — never by a client command of their own.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratch, show } from './fixtures-platform.js';
import { pointerPlatform } from './fixtures-pointer.js';
import { type RedisServer, startRedis } from './support/redis.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

/** `redis-cli monitor` until stop(): the lines it printed. Resolves once the server has answered OK. */
async function monitor(port: number): Promise<{ stop(): Promise<string[]> }> {
  const child = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'monitor'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (c) => reject(new Error(`redis-cli monitor exited ${c}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('OK')) resolve();
    });
  });
  return {
    stop: async () => {
      // A command sent after the apply marks the end of what MONITOR must have printed.
      redis.cli('ECHO', 'ringlock-monitor-end');
      while (!out.includes('ringlock-monitor-end'))
        await new Promise<void>((r) => child.stdout.once('data', () => r()));
      child.removeAllListeners('exit');
      child.kill('SIGTERM');
      return out.split('\n').slice(1);
    },
  };
}

describe('pointer switch atomicity', () => {
  it('an upgrade writes the generation, the ring document and every tenant key in one script call', async (t) => {
    const tenants = { acme: 'canary', globex: 'canary', initech: 'canary' };
    const pp = await pointerPlatform(
      scratch(t, 'pointer-atomic'),
      redis,
      { crm: { version: '1.0.0' } },
      { tenants },
    );
    expect((await pp.apply()).code).toBe(0);
    pp.p.writeModule('crm', { version: '1.1.0', files: { 'remoteEntry.js': '// crm 1.1.0\n' } });
    await pp.p.release(['crm']);
    const m = await monitor(redis.port);
    const r = await pp.apply();
    const lines = (await m.stop()).filter((l) => l.includes(`"${pp.prefix}:`));
    expect(r.code, show(r)).toBe(0);
    const keys = [
      `${pp.prefix}:modules:generation:canary`,
      `${pp.prefix}:modules:ring:canary`,
      ...Object.keys(tenants).map((x) => `${pp.prefix}:modules:active:${x}`),
    ];
    // Client commands (not run inside a script) that touch the pointer's keys.
    const client = lines.filter((l) => !/\[\d+ lua\]/.test(l));
    const writes = client.filter((l) => !/^\S+ \[[^\]]+\] "(mget|get|exists)"/i.test(l));
    // One script call (EVALSHA; EVAL after it when the script was not cached yet) and no other write.
    expect(writes.length, writes.join('\n')).toBeGreaterThan(0);
    for (const w of writes) expect(w).toMatch(/^\S+ \[[^\]]+\] "(evalsha|eval)"/i);
    const evalsha = writes.filter((w) => /"evalsha"/i.test(w));
    const evals = writes.filter((w) => /"eval"/i.test(w));
    expect(evalsha.length + evals.length).toBeLessThanOrEqual(2);
    expect(evals.length).toBeLessThanOrEqual(1);
    const call = (evals[0] ?? evalsha[0])!;
    for (const k of keys) expect(call).toContain(`"${k}"`);
    // Inside the script: every key written, nothing else.
    const inScript = lines.filter((l) => /\[\d+ lua\]/.test(l) && /"(set|del)"/i.test(l));
    for (const k of keys) expect(inScript.some((l) => l.includes(`"${k}"`))).toBe(true);
    expect(pp.tenant('initech')).toEqual({ crm: pp.entryOf('crm') });
  });
});
