import { RUNTIME, ring } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const waitSpec: CommandSpec = {
  name: 'wait',
  summary: 'wait until a ring runs a commit or a module version',
  description:
    "Polls the daemon's /status (--url or RINGLOCK_STATUS_URL; no credentials sent) or, without a URL, the target's own state\n" +
    'until the ring runs the commit (--commit) or the module version (--module M@V). Progress on stderr. Exit 0 reached,\n' +
    '1 the daemon (or the target) reports it failed, was rolled back or is blocked (with the reason), 124 timed out,\n' +
    '2 bad input. An unreachable daemon is not an error: wait keeps polling, says so, and times out.\n' +
    'A commit is reached when the ring runs its lock: that commit applied, or a later one with the same lock (the\n' +
    "daemon's appliedLockCommit, or the ancestry in the git checkout wait runs in), with no module blocked or failed.\n" +
    'Locally, --ring must be a ring of ringlock.yaml, and --commit needs a state the daemon wrote.',
  options: {
    ring: ring("the ring to wait on (the daemon's, or the target state's)"),
    commit: {
      type: 'string',
      valueName: 'sha',
      description: "a commit of the ring's lock (full or abbreviated)",
    },
    module: {
      type: 'string',
      valueName: 'module@version',
      description: 'a module at a version, e.g. orders@1.5.0',
    },
    timeout: { type: 'string', valueName: 'duration', description: 'give up after this long (default 10m)' },
    url: {
      type: 'string',
      valueName: 'url',
      description: "the daemon's address or its /status URL (env RINGLOCK_STATUS_URL)",
    },
    interval: { type: 'string', valueName: 'duration', description: 'time between polls (default 2s)' },
    ...RUNTIME,
  },
  positionals: [],
  examples: [
    'ringlock wait --ring canary --commit "$GITHUB_SHA" --url http://ringlock-canary:8080 --timeout 15m',
    'ringlock wait --ring stable --module orders@1.5.0 --timeout 30m',
  ],
  load: () => import('./wait.js'),
};
