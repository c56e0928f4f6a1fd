// Cron schedules for the daemon (node-cron, 5 or 6 fields; 6 means seconds first). The only file importing node-cron.
import cron from 'node-cron';
import { InputError } from '../errors.js';

export interface Schedule {
  stop(): void;
}

export function checkCron(expr: string, what: string): void {
  if (!cron.validate(expr)) {
    throw new InputError('config/cron', `${what} "${expr}" is not a valid cron expression`, {
      expected: 'a cron expression with 5 or 6 fields, e.g. "*/30 * * * * *" (every 30 s)',
    });
  }
}

/** Calls `fn` on the schedule. `fn` must not throw; overlap is the caller's business (the daemon coalesces). */
export function every(expr: string, name: string, fn: () => void): Schedule {
  checkCron(expr, name);
  const task = cron.schedule(expr, () => fn(), { name, noOverlap: true });
  return {
    stop() {
      void task.destroy();
    },
  };
}

/** The wait before try `n` (≥ 1): exponential from `baseMs`, capped at `capMs`, ±20 % jitter. */
export const backoff = (n: number, baseMs: number, capMs: number) =>
  Math.min(capMs, baseMs * 2 ** Math.max(0, n - 1)) * (0.8 + Math.random() * 0.4);
