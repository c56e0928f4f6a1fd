import { REASON, RUNTIME, WRITE } from '../spec-options.js';
import type { CommandSpec } from '../spec-types.js';

export const retrySpec: CommandSpec = {
  name: 'retry',
  summary: "clear a module's quarantine",
  description:
    'A version that failed its health check is quarantined: plans show it blocked. retry clears that so the next apply tries it again.',
  options: { reason: REASON, 'lock-timeout': WRITE['lock-timeout']!, ...RUNTIME },
  positionals: [{ name: 'module', required: true, description: 'the module' }],
  examples: ['ringlock retry orders'],
  load: () => import('./retry.js'),
};
