// A stopping ringlock (SIGTERM from a service manager, Ctrl-C) takes its hooks down with it and releases the target:
// the journal stays, and the next run recovers the operation that was cut short.
import { stopHooksForExit } from '../apply/hooks.js';

/** How long a stopping ringlock waits for a remote hook (exec, job, http) to be stopped before it exits anyway. */
const REMOTE_STOP_MS = 15_000;

export function onStop(release: () => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    // Local hooks die with their process group at once; a remote one is stopped by another API call (the exec'd
    // process killed, the Job deleted), which is waited for — bounded; a second signal exits at once.
    const stopped = stopHooksForExit();
    const exit = () => {
      release();
      process.stderr.write(
        `\nringlock: stopped by ${signal}; the next run recovers the operation in flight\n`,
      );
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    Promise.race([stopped, new Promise((r) => setTimeout(r, REMOTE_STOP_MS))]).then(exit, exit);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
