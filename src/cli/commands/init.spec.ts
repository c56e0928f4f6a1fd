import type { CommandSpec } from '../spec-types.js';

export const initSpec: CommandSpec = {
  name: 'init',
  summary: 'set ringlock up in an existing platform repository',
  description:
    'Finds the modules (modules/, Modules/ or --modules) and the platform version (--platform-version, else a VERSION\n' +
    'file, else the version in composer.json or package.json), then writes, listing each: ringlock.yaml (rings canary →\n' +
    'edge → stable, commented), the first lock of every ring (canary pins every module, as `ringlock lock` would; edge and\n' +
    'stable start empty and fill by promotion), rings/tenants.yaml, the check and promote workflows in .github/workflows/\n' +
    'and the Kubernetes base and per-ring overlays in deploy/kubernetes/ (both copied from the installed package).\n' +
    'It never overwrites: when any of those files exists it writes nothing and exits 2 listing them, unless\n' +
    '--skip-existing. Every choice is a flag; only on a terminal, when it finds no platform version, it asks for one.\n' +
    'Then commit the files and open a pull request.',
  options: {
    modules: {
      type: 'string',
      valueName: 'dir',
      description: 'the folder holding one <name>/module.json per module (default: modules/, else Modules/)',
    },
    'platform-version': {
      type: 'string',
      valueName: 'version',
      description: 'the platform version the locks record (default: VERSION, composer.json, package.json)',
    },
    name: {
      type: 'string',
      valueName: 'name',
      description: "the platform's name (default: from composer.json or package.json, else the folder's)",
    },
    action: {
      type: 'string',
      valueName: 'ref',
      description:
        'the ringlock Action the workflows use, pinned: <owner>/ringlock@<commit SHA> (default: a placeholder that fails)',
    },
    image: {
      type: 'string',
      valueName: 'name',
      description:
        'the ringlock image the overlays run, without tag (default: a placeholder that never pulls)',
    },
    'dry-run': { type: 'boolean', description: 'list what would be written, write nothing' },
    'skip-existing': { type: 'boolean', description: 'write only the files that do not exist yet' },
  },
  positionals: [],
  examples: [
    'ringlock init',
    'ringlock init --dry-run',
    'ringlock init --modules packages/modules --platform-version 2.0.0',
  ],
  load: () => import('./init.js'),
};
