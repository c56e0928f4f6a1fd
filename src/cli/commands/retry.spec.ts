import { REASON, RUNTIME, ring, WRITE } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const retrySpec: CommandSpec = {
  name: 'retry',
  summary: "clear a module's quarantine",
  description:
    'A version that failed its health check is quarantined: plans show it blocked. retry clears that so the next apply tries it again.',
  options: {
    reason: REASON,
    'lock-timeout': WRITE['lock-timeout']!,
    ring: ring(
      "the ring whose quarantine to clear, with the PostgreSQL store (default: RING_NAME, else the config's only ring)",
    ),
    ...RUNTIME,
  },
  positionals: [{ name: 'module', required: true, description: 'the module' }],
  examples: ['ringlock retry orders'],
  load: () => import('./retry.js'),
};
