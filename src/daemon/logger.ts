// The daemon's structured logs: pino JSON on stdout, level from LOG_LEVEL, and secrets kept out of every line —
// by key (authorization headers, tokens, passwords) and by value (the secrets the daemon was given, URL credentials).
import { pino } from 'pino';
import { InputError } from '../errors.js';
import { redact } from '../redact.js';

export type Logger = pino.Logger;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const REDACT_PATHS = [
  'authorization',
  'token',
  'password',
  'secret',
  '*.authorization',
  '*.Authorization',
  '*.token',
  '*.password',
  '*.secret',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'req.headers.cookie',
];

/** `level`: LOG_LEVEL or info; an unknown level is refused rather than silently ignored. */
export function createLogger(opts: {
  level?: string;
  secrets: readonly (string | undefined)[];
  destination?: pino.DestinationStream;
  base?: Record<string, unknown>;
}): Logger {
  const level = (opts.level ?? 'info').toLowerCase();
  if (!LEVELS.includes(level))
    throw new InputError('cli/env', `LOG_LEVEL ${opts.level}: not a log level`, {
      expected: LEVELS.join(', '),
    });
  // A secret inside a JSON string may appear escaped: scrub both spellings.
  const secrets = opts.secrets
    .filter((s): s is string => typeof s === 'string' && s.length >= 4)
    .flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
  return pino(
    {
      level,
      base: { name: 'ringlock', ...opts.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: (line) => redact(line, secrets) },
    },
    opts.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}
