import type { CommandSpec } from '../spec-types.js';

export const importSpec: CommandSpec = {
  name: 'import',
  summary: "turn another tool's lock into ring locks",
  description:
    'Reads the lock(s) of another tool and writes ringlock ring locks (rings/<ring>.lock.json): versions kept, content hashes\n' +
    "recomputed from the module sources with ringlock's algorithm (each module reported same, differs, source-missing or\n" +
    'version-differs), the other tool\'s source reference kept as the entry\'s "origin", and every value that has no place in a\n' +
    'ring lock listed. Formats: autocom (manifest.lock.json, and modules/manifests/<ring>.lock.json whose file name or "ring"\n' +
    'field names the ring). Needs ringlock.yaml (run "ringlock init" first). A lock that names no ring goes to --ring R,\n' +
    'default the ring that tracks the sources; --ring A=R imports the lock of ring A into ring R. Refuses (exit 2, nothing\n' +
    'written) on bad input, a module with no source or another version than its source (unless --partial), and a ring lock\n' +
    'that already pins modules (unless --force). Imported pins carry no integrity: run "ringlock publish" for each ring.',
  options: {
    ring: {
      type: 'string',
      valueName: 'ring|A=R',
      description:
        'the ring of a lock that names none (default: the ring that tracks the sources); A=R imports ring A into ring R',
      multiple: true,
    },
    'dry-run': { type: 'boolean', description: 'print what would be written, write nothing' },
    force: { type: 'boolean', description: 'replace ring locks that already pin modules' },
    partial: {
      type: 'boolean',
      description:
        'leave out modules with no source, or whose source holds another version, instead of refusing',
    },
  },
  positionals: [
    { name: 'format', required: true, description: 'the format of the lock(s): autocom' },
    { name: 'file', required: true, description: 'the lock file(s) to import', variadic: true },
  ],
  examples: [
    'ringlock import autocom manifest.lock.json --dry-run',
    'ringlock import autocom modules/manifests/*.lock.json --ring production=stable',
    'ringlock import autocom manifest.lock.json --ring canary --force',
  ],
  load: () => import('./import.js'),
};
