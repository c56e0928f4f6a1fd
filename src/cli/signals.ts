// A stopping ringlock (SIGTERM from a service manager, Ctrl-C) takes its hooks down with it and releases the target:
// the journal stays, and the next run recovers the operation that was cut short.
import { killRunningHooks } from '../apply/hooks.js';

export function onStop(release: () => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    killRunningHooks();
    release();
    process.stderr.write(`\nringlock: stopped by ${signal}; the next run recovers the operation in flight\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
