// Test hook for crash safety: `RINGLOCK_CRASH_AT=<point>` makes the process kill itself with SIGKILL when it reaches
// that point, exactly like `kill -9` from outside, so tests can stop an apply at any named instant.
export function crashPoint(name: string): void {
  const at = process.env.RINGLOCK_CRASH_AT;
  if (at !== undefined && at === name) process.kill(process.pid, 'SIGKILL');
}
