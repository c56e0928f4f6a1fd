import type { CommandSpec } from '../spec-types.js';

export const checkSpec: CommandSpec = {
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
  load: () => import('./check.js'),
};
