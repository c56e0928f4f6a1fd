// The image's init, without a container engine: the daemon runs under the Dockerfile's own ENTRYPOINT (Debian's
// tini, the package the image installs) as PID 1 of a new PID namespace (`unshare --pid --fork --mount-proc`), the
// one place a container's orphans go. A hook leaves a grandchild behind; tini must reap it once it exits, and pass
// SIGTERM on to the daemon. The same run without tini shows the zombie, so the check can see one.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { DockerfileParser } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { buildPlatform, scratch } from './fixtures-platform.js';
import { REPO_ROOT } from './helpers.js';
import { DEADLINE_MS, serveRepo, startDaemon } from './support/daemon.js';

const ORPHAN_HOOK = `#!/bin/sh
# A grandchild that outlives the hook: when the hook exits the kernel hands it to PID 1.
sh -c 'echo $$ > "$RL_HOOK_OUT/orphan.pid"; exec sleep 1' </dev/null >/dev/null 2>&1 &
exit 0
`;

/** The Dockerfile's ENTRYPOINT up to `node`: what the image runs the daemon under. */
function entrypointWrapper(): string[] {
  const df = DockerfileParser.parse(readFileSync(`${REPO_ROOT}/Dockerfile`, 'utf8'));
  const ep = df.getENTRYPOINTs().at(-1)!;
  const words = ep.getJSONStrings().map((s) => s.getJSONValue());
  return words.slice(0, words.indexOf('node'));
}

interface Proc {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
}
function processes(): Proc[] {
  const out: Proc[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const [state, ppid] = stat.slice(close + 2).split(' ');
      out.push({
        pid: Number(d),
        ppid: Number(ppid),
        state: state!,
        comm: stat.slice(stat.indexOf('(') + 1, close),
      });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
/** Every process below `root` (not root itself). */
function descendants(root: number): Proc[] {
  const all = processes();
  const found: Proc[] = [];
  let level = [root];
  while (level.length > 0) {
    const next = all.filter((p) => level.includes(p.ppid));
    found.push(...next);
    level = next.map((p) => p.pid);
  }
  return found;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runWithOrphan(t: { onTestFinished(fn: () => void | Promise<void>): void }, init: string[]) {
  const p = await buildPlatform(scratch(t, 'reap'), {
    base: {
      version: '1.0.0',
      lifecycle: { onInstall: 'sh ./orphan.sh' },
      files: { 'orphan.sh': ORPHAN_HOOK },
    },
  });
  const remote = await serveRepo(p);
  t.onTestFinished(() => remote.close());
  // Without root (a hosted runner), a user namespace grants the PID namespace and the /proc mount.
  const asUser = process.getuid?.() === 0 ? [] : ['--map-root-user'];
  const wrapper = ['unshare', ...asUser, '--pid', '--fork', '--mount-proc', '--kill-child', ...init];
  const d = await startDaemon(p, { repo: remote.url, wrapper });
  t.onTestFinished(async () => {
    await d.stop('SIGKILL');
  });
  await d.until('base installed', (s) => s.modules.some((m) => m.name === 'base' && m.state === 'active'));
  // The orphan (`sleep 1`) wrote its pid; wait until no sleep runs any more below the namespace.
  const end = Date.now() + DEADLINE_MS;
  while (
    !existsSync(`${p.out}/orphan.pid`) ||
    descendants(d.child.pid!).some((x) => x.comm === 'sleep' && x.state !== 'Z')
  ) {
    if (Date.now() > end) throw new Error(`the orphan never finished:\n${d.output().slice(-3000)}`);
    await sleep(50);
  }
  await sleep(500);
  const pid1 = descendants(d.child.pid!).find((x) => x.ppid === d.child.pid)!;
  return { d, pid1, zombies: descendants(d.child.pid!).filter((x) => x.state === 'Z') };
}

describe('the image init (tini as PID 1)', () => {
  const wrapper = entrypointWrapper();
  const tini = spawnSync(wrapper[0] ?? 'tini', ['--version'], { encoding: 'utf8' });

  it('is what the Dockerfile starts, and is installed here (.ci/run installs Debian’s tini)', () => {
    expect(wrapper).toEqual(['/usr/bin/tini', '--']);
    expect(tini.error, 'apt-get install tini').toBeUndefined();
    expect(tini.stdout).toMatch(/^tini version 0\.19/);
  });

  it('reaps an orphaned hook child, and passes SIGTERM on to the daemon', async (t) => {
    const { d, pid1, zombies } = await runWithOrphan(t, wrapper);
    expect(pid1.comm).toBe('tini');
    expect(zombies).toEqual([]);
    // The daemon is tini's first child: pid 2 in the namespace on every start, as it was pid 1 without tini. The
    // writer lock relies on that (a lock left with our own pid on our host is a predecessor's: src/state/writer-lock.ts).
    const daemon = descendants(d.child.pid!).find((x) => x.ppid === pid1.pid)!;
    expect(readFileSync(`/proc/${daemon.pid}/status`, 'utf8')).toMatch(/^NSpid:\s+\d+\s+2$/m);
    process.kill(pid1.pid, 'SIGTERM');
    expect(await d.exited).toEqual({ code: 0, signal: null });
    expect(d.output()).toMatch(/stopp/i);
  });

  it('without it, the daemon as PID 1 leaves the orphan a zombie (what the check above would see)', async (t) => {
    const { pid1, zombies } = await runWithOrphan(t, []);
    expect(pid1.comm).not.toBe('tini');
    expect(zombies.map((z) => [z.comm, z.ppid])).toEqual([['sleep', pid1.pid]]);
  });
});
