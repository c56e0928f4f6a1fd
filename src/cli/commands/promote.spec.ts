import { PUBLISH, ring } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const promoteSpec: CommandSpec = {
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
  load: () => import('./promote.js'),
};
