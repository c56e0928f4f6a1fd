// The command table: names, options and help text. Kept free of heavy imports so `--help` starts fast;
// each command's implementation is loaded only when it runs.
import type { Io } from './output.js';

// What the operator decides, never the repository: where credentials may go, what module code sees.
const OPERATOR_CONFIG: OptionSpec = {
  type: 'string',
  valueName: 'file',
  description:
    'the operator config: allowed hosts, fixed registry and GitHub API, module environment (env RINGLOCK_OPERATOR_CONFIG)',
};

// Where a command acts: flags win over environment variables, which win over ringlock.yaml.
const RUNTIME: Record<string, OptionSpec> = {
  'operator-config': OPERATOR_CONFIG,
  target: {
    type: 'string',
    valueName: 'dir',
    description: 'deployment target directory (env RINGLOCK_TARGET; config target.path)',
  },
  registry: {
    type: 'string',
    valueName: 'url',
    description: 'artifact registry: a directory, file://… or https://… (env RINGLOCK_REGISTRY)',
  },
  state: {
    type: 'string',
    valueName: 'dir',
    description: 'state store directory (env RINGLOCK_STATE; default <target>/.ringlock)',
  },
  'health-url': {
    type: 'string',
    valueName: 'url',
    description: 'base URL for module health paths (env RINGLOCK_HEALTH_URL; config health.baseUrl)',
  },
};
const WRITE: Record<string, OptionSpec> = {
  'skip-hooks': { type: 'boolean', description: 'do not run lifecycle hooks' },
  'hook-timeout': {
    type: 'string',
    valueName: 'duration',
    description: 'how long a lifecycle hook may run (default 10m)',
  },
  'lock-timeout': {
    type: 'string',
    valueName: 'duration',
    description: 'how long to wait for another writer on the target (default 30s)',
  },
};

// Commands that open pull requests.
const PUBLISH: Record<string, OptionSpec> = {
  'operator-config': OPERATOR_CONFIG,
  'dry-run': { type: 'boolean', description: 'print the diff and the pull request body; change nothing' },
  'no-pr': { type: 'boolean', description: 'commit on the local branch only: no push, no pull request' },
  base: {
    type: 'string',
    valueName: 'branch',
    description:
      "the branch to start from and target (default: promotion.branch, else the remote's default branch)",
  },
};

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  description: string;
  valueName?: string;
  multiple?: boolean;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  description: string;
  /** Takes any number of values (last positional only). */
  variadic?: boolean;
}

export interface CommandContext {
  io: Io;
  cwd: string;
  json: boolean;
  options: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export interface CommandModule {
  run(ctx: CommandContext): Promise<number>;
}

export interface CommandSpec {
  name: string;
  summary: string;
  description: string;
  options: Record<string, OptionSpec>;
  positionals: PositionalSpec[];
  examples: string[];
  load(): Promise<CommandModule>;
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  cwd: {
    type: 'string',
    valueName: 'dir',
    description: 'run as if started in <dir> (ringlock.yaml is looked up from there upwards)',
  },
  json: { type: 'boolean', description: 'print machine-readable JSON on stdout' },
  help: { type: 'boolean', short: 'h', description: 'show help for the command' },
};

const ring = (what: string): OptionSpec => ({ type: 'string', valueName: 'ring', description: what });

export const COMMANDS: CommandSpec[] = [
  {
    name: 'lock',
    summary: "(re)write a ring's lock from the module sources",
    description:
      'Hashes every module source and writes rings/<ring>.lock.json byte-stable (sorted keys, 2-space indent, trailing newline), atomically.\n' +
      'The ring that tracks the sources (default) gets every module at its source version. Any other ring keeps its older\n' +
      'releases and only refreshes entries that pin the version the source holds; --module pins one module to its source version.\n' +
      'With --check nothing is written: exit 1 when the lock is stale, listing what differs.',
    options: {
      ring: ring('the ring to lock (default: the ring that tracks the sources)'),
      module: { type: 'string', valueName: 'name', description: 'only this module', multiple: true },
      check: { type: 'boolean', description: 'write nothing; exit 1 when the lock is stale' },
    },
    positionals: [],
    examples: ['ringlock lock', 'ringlock lock --check', 'ringlock lock --ring edge --module orders'],
    load: () => import('./commands/lock.js'),
  },
  {
    name: 'verify',
    summary: "check a module tree against a ring's lock",
    description:
      'On the source tree (default): the ring that tracks the sources must match exactly; in any other ring an entry pinning the\n' +
      "version the source holds must carry the source's content hash, and an older release is reported, not failed.\n" +
      "On a deployed tree (--dir, e.g. the platform's modules folder) every entry must match exactly: version, content hash,\n" +
      'platform constraint; a deployed module the lock does not name is drift. Every failure is listed. Exit 1 on any failure.',
    options: {
      ring: ring('the ring whose lock to verify against (default: the ring that tracks the sources)'),
      dir: {
        type: 'string',
        valueName: 'dir',
        description: 'a deployed modules directory to verify instead of the sources',
      },
    },
    positionals: [],
    examples: [
      'ringlock verify',
      'ringlock verify --ring stable',
      'ringlock verify --ring stable --dir /srv/app/modules',
    ],
    load: () => import('./commands/verify.js'),
  },
  {
    name: 'compat',
    summary: 'platform and dependency compatibility of every module in a ring',
    description:
      'Prints module, constraint, platform and status for each ring (or the one given). A module whose dependency is missing,\n' +
      'incompatible or itself blocked is blocked, with the chain. Exit 1 when a module is incompatible or blocked;\n' +
      'with --strict also when a module has no platform constraint or its dependencies cannot be known.',
    options: {
      ring: ring('only this ring (default: every ring that has a lock)'),
      platform: {
        type: 'string',
        valueName: 'version',
        description: "evaluate against this platform version instead of each lock's",
      },
      strict: { type: 'boolean', description: 'fail on warnings too' },
    },
    positionals: [],
    examples: [
      'ringlock compat',
      'ringlock compat --ring canary',
      'ringlock compat --platform 3.0.0 --strict',
    ],
    load: () => import('./commands/compat.js'),
  },
  {
    name: 'ring list',
    summary: 'rings in promotion order with module and tenant counts',
    description:
      'Lists the rings from ringlock.yaml in promotion order, with their policies, platform, module and tenant counts.',
    options: {},
    positionals: [],
    examples: ['ringlock ring list', 'ringlock ring list --json'],
    load: () => import('./commands/ring-list.js'),
  },
  {
    name: 'ring show',
    summary: "one ring's policy, modules and tenants",
    description:
      "Shows a ring's policy and lock summary; --modules lists its pinned modules, --tenants its tenants (both by default).",
    options: {
      modules: { type: 'boolean', description: 'list the modules pinned in the ring' },
      tenants: { type: 'boolean', description: 'list the tenants assigned to the ring' },
    },
    positionals: [{ name: 'ring', required: true, description: 'the ring to show' }],
    examples: ['ringlock ring show stable', 'ringlock ring show canary --tenants'],
    load: () => import('./commands/ring-show.js'),
  },
  {
    name: 'ring assign',
    summary: 'move a tenant to a ring, by pull request',
    description:
      "Sets the tenant's ring in rings/tenants.yaml as the remote's default branch has it (comments, order and layout kept),\n" +
      'commits that on a branch ringlock/tenants/<tenant>-<ring> and opens (or updates) a pull request with the reason.\n' +
      'Needs a token with contents: write and pull-requests: write (GITHUB_TOKEN, or promotion.github.tokenEnv).',
    options: {
      ...PUBLISH,
      reason: {
        type: 'string',
        valueName: 'text',
        description: 'why (required; goes into the pull request)',
      },
    },
    positionals: [
      { name: 'tenant', required: true, description: 'the tenant id' },
      { name: 'ring', required: true, description: 'the ring it moves to' },
    ],
    examples: [
      'ringlock ring assign northwind stable --reason "GA contract signed"',
      'ringlock ring assign beta-bakery canary --reason "opted in" --dry-run',
    ],
    load: () => import('./commands/ring-assign.js'),
  },
  {
    name: 'promote',
    summary: "carry a module's pin to the next ring's lock, by pull request",
    description:
      "Copies the module's pin (version, integrity, content hash, artifact, …) from the --from ring's lock into the next ring's\n" +
      "lock as the remote's default branch has them, editing only those lines, after checking what the pull-request check will:\n" +
      'promotion order, soak time (from git history: since the pin first appeared on the default branch), prerelease policy,\n' +
      'dependency closure and platform compatibility in the target ring. Then one commit on ringlock/promote/<to>/<module>-<version>,\n' +
      'pushed with a lease, and a pull request labelled ringlock:promotion and ring:<to>, reviewers from the ring. Idempotent: a\n' +
      'rerun updates the open pull request; an identical promotion already merged does nothing.\n' +
      '--auto does this for every ring and every pin that has soaked, skipping rings in a freeze window (promotion.freeze).\n' +
      'Exit 1 when a rule or a freeze refuses, 2 on bad input or a missing token/permission, 3 when the push or GitHub failed\n' +
      '(a push race, the network): run it again.',
    options: {
      from: ring('the ring to promote from'),
      to: ring('the ring to promote into (default: the ring whose promoteFrom is --from)'),
      all: { type: 'boolean', description: 'promote every module whose pin differs' },
      auto: {
        type: 'boolean',
        description: 'every ring, every pin that has soaked long enough, outside freeze windows',
      },
      'with-deps': { type: 'boolean', description: 'bring along the dependencies the target ring lacks' },
      force: {
        type: 'boolean',
        description: 'promote before the soak time has passed (the pull request says so in bold)',
      },
      'ignore-freeze': {
        type: 'boolean',
        description: 'open the pull request during a freeze window (it says so)',
      },
      ...PUBLISH,
    },
    positionals: [
      { name: 'module[@version]', required: false, description: 'the module(s) to promote', variadic: true },
    ],
    examples: [
      'ringlock promote orders --from canary',
      'ringlock promote orders@1.5.0 --from canary --to edge --with-deps',
      'ringlock promote --all --from edge --dry-run',
      'ringlock promote --auto',
    ],
    load: () => import('./commands/promote.js'),
  },
  {
    name: 'revert',
    summary: 'roll a module back to an earlier pin of a ring, by pull request',
    description:
      "Puts back an earlier pin of the module from the ring lock's own git history on the default branch (default: the previous\n" +
      'distinct version; --to a version the ring pinned before), on a branch ringlock/revert/<ring>/<module>-<version>, and opens\n' +
      'a pull request labelled ringlock:rollback with the reason. Refused when modules of the ring need the newer version.',
    options: {
      ring: ring('the ring to roll back in'),
      to: {
        type: 'string',
        valueName: 'version',
        description: 'the version to go back to (default: the previous one)',
      },
      reason: {
        type: 'string',
        valueName: 'text',
        description: 'why (required; goes into the commit and pull request)',
      },
      ...PUBLISH,
    },
    positionals: [{ name: 'module', required: true, description: 'the module' }],
    examples: [
      'ringlock revert orders --ring stable --reason "checkout errors since 1.5.0"',
      'ringlock revert orders --ring edge --to 1.4.0 --reason "…" --dry-run',
    ],
    load: () => import('./commands/revert.js'),
  },
  {
    name: 'plan',
    summary: 'what apply would change on the target for a ring',
    description:
      "Reads the target's state, re-hashes every active version to find drift, and prints the ordered actions that would make\n" +
      "the target match the ring's lock: install, upgrade, rollback, reinstall, remove (with --prune), blocked (incompatible,\n" +
      'dependency missing or blocked, quarantined, or an unmanaged path: something ringlock did not create is at the\n' +
      "module's path; --adopt plans moving it aside), noop. Nothing is changed.",
    options: {
      ring: ring('the ring (default: the ring that tracks the sources)'),
      prune: { type: 'boolean', description: 'plan removals of deployed modules the lock does not name' },
      platform: {
        type: 'string',
        valueName: 'version',
        description: "plan against this platform version instead of the lock's",
      },
      'no-drift-check': { type: 'boolean', description: 'skip re-hashing the deployed trees' },
      adopt: {
        type: 'boolean',
        description:
          "move what ringlock did not create at a module's path to .ringlock/adopted/ instead of blocking",
      },
      verbose: { type: 'boolean', short: 'v', description: 'list unchanged modules too' },
      ...RUNTIME,
    },
    positionals: [],
    examples: ['ringlock plan --ring canary', 'ringlock plan --ring stable --target /srv/app/modules --json'],
    load: () => import('./commands/plan.js'),
  },
  {
    name: 'apply',
    summary: "make the target match a ring's lock",
    description:
      'Recovers any operation a crash interrupted, plans, and applies module by module in dependency order: fetch (content-\n' +
      'addressed cache) → verify integrity → extract safely → check the content hash → compatibility → lifecycle hook →\n' +
      'atomic switch → health check → record. A failing health check switches back and quarantines that version.\n' +
      'Asks for confirmation on a terminal; elsewhere --yes is required. Exit 3 when a module failed or was rolled back.',
    options: {
      ring: ring('the ring (default: the ring that tracks the sources)'),
      'dry-run': { type: 'boolean', description: 'only print the plan' },
      yes: { type: 'boolean', short: 'y', description: 'apply without asking' },
      prune: { type: 'boolean', description: 'remove deployed modules the lock does not name' },
      concurrency: { type: 'string', valueName: 'n', description: 'downloads running ahead (default 4)' },
      'no-drift-check': { type: 'boolean', description: 'skip re-hashing the deployed trees' },
      adopt: {
        type: 'boolean',
        description:
          "move what ringlock did not create at a module's path to .ringlock/adopted/ instead of blocking",
      },
      ...WRITE,
      ...RUNTIME,
    },
    positionals: [],
    examples: ['ringlock apply --ring canary --yes', 'ringlock apply --ring stable --dry-run'],
    load: () => import('./commands/apply.js'),
  },
  {
    name: 'list',
    summary: 'what is deployed on the target',
    description:
      'Lists each deployed module: version, status, content hash, previous version, origin (lock or imperative), since when; and the quarantine.',
    options: { ...RUNTIME },
    positionals: [],
    examples: ['ringlock list', 'ringlock list --target /srv/app/modules --json'],
    load: () => import('./commands/list.js'),
  },
  {
    name: 'history',
    summary: "the target's audit history",
    description:
      'One record per operation: module, op, from → to, outcome, actor, times, error. Answers "when did orders 1.4.2 ship?".',
    options: {
      limit: { type: 'string', valueName: 'n', description: 'the last n records (default 50)' },
      ...RUNTIME,
    },
    positionals: [{ name: 'module', required: false, description: 'only this module' }],
    examples: ['ringlock history', 'ringlock history orders --json'],
    load: () => import('./commands/history.js'),
  },
  {
    name: 'install',
    summary: 'install one module version a ring lock pins',
    description:
      'Installs <module>@<version> through the same verified path as apply. Refused when another version is installed (use upgrade or rollback). Recorded as imperative: plan then shows the target diverging from the lock.',
    options: {
      ring: ring("the ring whose platform and pins to use (default: the target's ring)"),
      force: { type: 'boolean', description: 'reinstall even when installed' },
      adopt: {
        type: 'boolean',
        description:
          "move what ringlock did not create at a module's path to .ringlock/adopted/ instead of blocking",
      },
      ...WRITE,
      ...RUNTIME,
    },
    positionals: [{ name: 'module@version', required: true, description: 'e.g. orders@1.5.0' }],
    examples: ['ringlock install orders@1.5.0'],
    load: () => import('./commands/install.js'),
  },
  {
    name: 'upgrade',
    summary: 'upgrade one installed module',
    description:
      'Moves an installed module to a newer version that a ring lock pins. Recorded as imperative.',
    options: {
      to: { type: 'string', valueName: 'version', description: 'the version to upgrade to' },
      ring: ring("the ring whose platform and pins to use (default: the target's ring)"),
      force: { type: 'boolean', description: 'allow a version that is not newer' },
      ...WRITE,
      ...RUNTIME,
    },
    positionals: [{ name: 'module', required: true, description: 'the module' }],
    examples: ['ringlock upgrade orders --to 1.5.0'],
    load: () => import('./commands/upgrade.js'),
  },
  {
    name: 'rollback',
    summary: 'switch one module back to an earlier version',
    description:
      'Switches back to the previous version (or --to a version this target ran before), straight from the store: no download. Recorded as imperative.',
    options: {
      to: {
        type: 'string',
        valueName: 'version',
        description: 'the version to go back to (default: the previous one)',
      },
      ring: ring("the ring whose platform to use (default: the target's ring)"),
      force: { type: 'boolean', description: 'allow a version that is not older' },
      ...WRITE,
      ...RUNTIME,
    },
    positionals: [{ name: 'module', required: true, description: 'the module' }],
    examples: ['ringlock rollback orders', 'ringlock rollback orders --to 1.4.0'],
    load: () => import('./commands/rollback.js'),
  },
  {
    name: 'retry',
    summary: "clear a module's quarantine",
    description:
      'A version that failed its health check is quarantined: plans show it blocked. retry clears that so the next apply tries it again.',
    options: { 'lock-timeout': WRITE['lock-timeout']!, ...RUNTIME },
    positionals: [{ name: 'module', required: true, description: 'the module' }],
    examples: ['ringlock retry orders'],
    load: () => import('./commands/retry.js'),
  },
  {
    name: 'daemon',
    summary: "watch a ring's lock in git and converge the target on it",
    description:
      'Clones the repository once into a cache dir (single branch, shallow), fetches it on a schedule (default every 30 s)\n' +
      "and at once on a GitHub push webhook, reads ringlock.yaml and the ring's lock at the fetched commit (no checkout),\n" +
      'validates them, and applies the lock with the same engine as apply. An invalid lock is never applied (status shows\n' +
      'it at file:line); git or registry failures back off and keep the last good state; drift is reported and healed\n' +
      '(selfHeal). HTTP: GET /healthz /readyz /status /metrics, POST /hooks/github (X-Hub-Signature-256 with\n' +
      'RINGLOCK_WEBHOOK_SECRET), POST /reconcile (Bearer RINGLOCK_API_TOKEN). Secrets come only from the environment:\n' +
      'RINGLOCK_GIT_TOKEN (HTTPS token, read access), RINGLOCK_WEBHOOK_SECRET, RINGLOCK_API_TOKEN. LOG_LEVEL sets the\n' +
      'log level (pino JSON on stdout). SIGTERM/SIGINT: stop taking webhooks, finish the module in flight, exit 0.',
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
    load: () => import('./commands/daemon.js'),
  },
  {
    name: 'suspend',
    summary: "stop the ring's daemon from applying anything",
    description:
      'Writes <state>/suspended.json: the daemon keeps fetching, reports drift and pending changes in /status, and applies\n' +
      'nothing until "ringlock resume". Takes effect at the next tick; an operation already running finishes.',
    options: {
      ring: ring('the ring being suspended'),
      reason: { type: 'string', valueName: 'text', description: 'why (shown in status)' },
      ...RUNTIME,
    },
    positionals: [],
    examples: ['ringlock suspend --ring stable --reason "incident 4711"', 'ringlock resume --ring stable'],
    load: () => import('./commands/suspend.js'),
  },
  {
    name: 'resume',
    summary: "let the ring's daemon apply again",
    description:
      'Removes the suspension written by "ringlock suspend"; the daemon applies again at its next tick.',
    options: { ring: ring('the ring being resumed'), ...RUNTIME },
    positionals: [],
    examples: ['ringlock resume --ring stable'],
    load: () => import('./commands/resume.js'),
  },
  {
    name: 'pack',
    summary: 'build a reproducible artifact of a module',
    description:
      'Packs a module directory into <out>/<name>-<version>.tgz — the same tree always gives the same bytes (sorted entries,\n' +
      'fixed mtime, owner and modes) — plus a .sha256 sidecar (sha256sum -c) and MANIFEST.json (name, version, content hash,\n' +
      'file count, size, SRI integrity).',
    options: {
      out: { type: 'string', valueName: 'dir', description: 'where to write (default ./artifacts)' },
    },
    positionals: [
      { name: 'module-dir', required: true, description: 'the module directory (holding module.json)' },
    ],
    examples: [
      'ringlock pack examples/platform/modules/orders',
      'ringlock pack modules/orders --out /tmp/out --json',
    ],
    load: () => import('./commands/pack.js'),
  },
  {
    name: 'publish',
    summary: 'pack modules into the registry and record their integrity in a ring lock',
    description:
      'For each named module (or --all pins whose source is at the pinned version): pack it, check that the packed tree has\n' +
      'the content hash the lock pins, put the artifact in the registry (immutable: the same version with other bytes is\n' +
      'refused), and write integrity and artifact into the ring lock.',
    options: {
      ring: ring('the ring lock to record into (default: the ring that tracks the sources)'),
      all: { type: 'boolean', description: 'every pin of the ring whose source holds the pinned version' },
      registry: {
        type: 'string',
        valueName: 'url',
        description: 'artifact registry: a directory, file://… or https://… (env RINGLOCK_REGISTRY)',
      },
      'operator-config': OPERATOR_CONFIG,
    },
    positionals: [
      { name: 'module', required: false, description: 'the module(s) to publish', variadic: true },
    ],
    examples: [
      'ringlock publish --ring canary --all',
      'ringlock publish orders --registry https://artifacts.example.com/ringlock',
    ],
    load: () => import('./commands/publish.js'),
  },
  {
    name: 'hash',
    summary: 'print the content hash of a directory',
    description:
      'Prints the content hash (sha256:<hex>) of a module tree, exactly as the lock records it. --manifest prints the per-entry\n' +
      'lines the hash is computed over ("<sha256> <mode> <path>"), which is how to find which file differs between two trees.',
    options: { manifest: { type: 'boolean', description: 'print the entry lines the hash covers' } },
    positionals: [{ name: 'dir', required: true, description: 'the directory to hash' }],
    examples: ['ringlock hash modules/orders', 'ringlock hash modules/orders --manifest'],
    load: () => import('./commands/hash.js'),
  },
  {
    name: 'check',
    summary: 'check a change (a pull request) against the ring rules',
    description:
      'Reads the base and the head of a change from git (no checkout) and checks only what it touches: schema of changed\n' +
      'locks, manifests, config and tenants (RL001), version bumps (RL002) and regressions (RL003), lock freshness (RL004),\n' +
      'promotion order (RL005) and soak (RL006), prereleases (RL007), dependency closure and compatibility (RL008), ring\n' +
      'downgrades (RL009), changelog entries (RL010, advisory), tenants (RL011) and changes to the security-relevant keys\n' +
      'of ringlock.yaml (RL012: registry, forge, notifications, health URLs and commands, …). Prints what merging does to\n' +
      'each ring.\n' +
      'In GitHub Actions (GITHUB_ACTIONS=true) the base, head and labels come from the event; findings become annotations\n' +
      '(the first 10 errors and 10 warnings) and the report goes to the job summary. Labels: ringlock:hotfix turns\n' +
      'RL005/RL006 errors into warnings; ringlock:rollback (or a revert commit) allows ring downgrades; ringlock:sensitive\n' +
      'allows RL012 changes (shown before/after in the summary).\n' +
      'Exit 1 when a rule fails (warnings alone pass).',
    options: {
      base: {
        type: 'string',
        valueName: 'ref',
        description:
          "the base of the change (default: the event's base in GitHub Actions, else the merge base with origin/HEAD)",
      },
      head: {
        type: 'string',
        valueName: 'ref',
        description: "the head of the change (default: the event's, else HEAD)",
      },
      allow: {
        type: 'string',
        valueName: 'override',
        description:
          'hotfix (promotion order and soak only warn), rollback (ring downgrades allowed) or sensitive (changes to where credentials go and what runs, RL012, only warn)',
        multiple: true,
      },
      comment: {
        type: 'boolean',
        description:
          'create or update one sticky comment on the pull request (GITHUB_TOKEN, pull-requests: write)',
      },
    },
    positionals: [],
    examples: [
      'ringlock check',
      'ringlock check --base origin/main --head HEAD',
      'ringlock check --comment --json',
    ],
    load: () => import('./commands/check.js'),
  },
];
