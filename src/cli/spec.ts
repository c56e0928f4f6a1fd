// The command table: names, options and help text. Kept free of heavy imports so `--help` starts fast;
// each command's implementation is loaded only when it runs.
import type { Io } from './output.js';

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
];
