// Option groups several commands share, the global options, and the --ring option builder.
import type { OptionSpec } from './spec-types.js';

// What the operator decides, never the repository: where credentials may go, what module code sees.
export const OPERATOR_CONFIG: OptionSpec = {
  type: 'string',
  valueName: 'file',
  description:
    'the operator config: allowed hosts, fixed registry and GitHub API, module environment, hook runners (env RINGLOCK_OPERATOR_CONFIG)',
};

// Where a command acts: flags win over environment variables, which win over ringlock.yaml.
export const RUNTIME: Record<string, OptionSpec> = {
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
export const WRITE: Record<string, OptionSpec> = {
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

/** The actor's why, kept in each operation's history record. */
export const REASON: OptionSpec = {
  type: 'string',
  valueName: 'text',
  description: "why, in the operator's words: kept in the history record of each operation",
};

// Commands that open pull requests.
export const PUBLISH: Record<string, OptionSpec> = {
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

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  cwd: {
    type: 'string',
    valueName: 'dir',
    description: 'run as if started in <dir> (ringlock.yaml is looked up from there upwards)',
  },
  json: { type: 'boolean', description: 'print machine-readable JSON on stdout' },
  help: { type: 'boolean', short: 'h', description: 'show help for the command' },
};

export const ring = (what: string): OptionSpec => ({ type: 'string', valueName: 'ring', description: what });
