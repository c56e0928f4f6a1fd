import { RUNTIME, ring, WRITE } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const daemonSpec: CommandSpec = {
  name: 'daemon',
  summary: "watch a ring's lock in git and converge the target on it",
  description:
    'Clones the repository once into a cache dir (single branch, shallow), fetches it on a schedule (default every 30 s)\n' +
    "and at once on a GitHub push webhook, reads ringlock.yaml and the ring's lock at the fetched commit (no checkout),\n" +
    'validates them, and applies the lock with the same engine as apply. An invalid lock is never applied (status shows\n' +
    'it at file:line); git or registry failures back off and keep the last good state; drift is reported and healed\n' +
    '(selfHeal). HTTP: GET /healthz /readyz /status /metrics, POST /hooks/github (X-Hub-Signature-256 with\n' +
    'RINGLOCK_WEBHOOK_SECRET), POST /reconcile (Bearer RINGLOCK_API_TOKEN); with --serve-api the read API\n' +
    "(GET /api/v1/modules/…). After every pass the ring's active modules are published (<target>/.ringlock/active.json).\n" +
    'Secrets come only from the environment: RINGLOCK_GIT_TOKEN (HTTPS token, read access), RINGLOCK_WEBHOOK_SECRET,\n' +
    'RINGLOCK_API_TOKEN. LOG_LEVEL sets the log level (pino JSON on stdout). SIGTERM/SIGINT: stop taking webhooks,\n' +
    'finish the module in flight, exit 0.',
  options: {
    ring: ring('the ring to run (env RING_NAME)'),
    repo: {
      type: 'string',
      valueName: 'url',
      description: 'git repository URL, no credentials (env RINGLOCK_REPO)',
    },
    branch: {
      type: 'string',
      valueName: 'name',
      description: 'branch to follow (env RINGLOCK_BRANCH; default main)',
    },
    path: {
      type: 'string',
      valueName: 'dir',
      description: 'folder of ringlock.yaml inside the repository (env RINGLOCK_PATH; default .)',
    },
    'git-driver': {
      type: 'string',
      valueName: 'name',
      description:
        'native (git CLI; default when git exists) or isomorphic (pure JS) (env RINGLOCK_GIT_DRIVER)',
    },
    'cache-dir': {
      type: 'string',
      valueName: 'dir',
      description: 'where the clone is kept (env RINGLOCK_CACHE_DIR; default <state>/git)',
    },
    listen: {
      type: 'string',
      valueName: 'host:port',
      description: 'HTTP address (env RINGLOCK_LISTEN; default 127.0.0.1:8080, 0.0.0.0:8080 in Kubernetes)',
    },
    schedule: {
      type: 'string',
      valueName: 'cron',
      description:
        'reconcile schedule (env RINGLOCK_SCHEDULE; config schedule.reconcile; default */30 * * * * *)',
    },
    'full-rehash': {
      type: 'string',
      valueName: 'cron',
      description: 'schedule of the full content re-hash (env RINGLOCK_FULL_REHASH; default 0 */6 * * *)',
    },
    'no-self-heal': {
      type: 'boolean',
      description:
        'report drift without correcting it (env RINGLOCK_SELF_HEAL=false; config schedule.selfHeal)',
    },
    'max-backoff': {
      type: 'string',
      valueName: 'duration',
      description:
        'cap of the retry backoff for git and failing modules (env RINGLOCK_MAX_BACKOFF; default 5m)',
    },
    'shutdown-timeout': {
      type: 'string',
      valueName: 'duration',
      description: 'how long SIGTERM may take (env RINGLOCK_SHUTDOWN_TIMEOUT; default 25s)',
    },
    'serve-api': {
      type: 'boolean',
      description:
        'serve the read API: GET /api/v1/modules/active[?tenant=id], /api/v1/modules/<name> (env RINGLOCK_SERVE_API)',
    },
    'run-for': {
      type: 'string',
      valueName: 'duration',
      description: 'stop by itself after this long (demos, benchmarks)',
    },
    concurrency: { type: 'string', valueName: 'n', description: 'downloads running ahead (default 4)' },
    'skip-hooks': WRITE['skip-hooks']!,
    'hook-timeout': WRITE['hook-timeout']!,
    ...RUNTIME,
  },
  positionals: [],
  examples: [
    'ringlock daemon --ring canary --repo https://github.com/acme/platform.git',
    'RING_NAME=stable RINGLOCK_REPO=https://github.com/acme/platform.git ringlock daemon',
  ],
  load: () => import('./daemon.js'),
};
