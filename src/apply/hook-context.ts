// The hook context as a file: JSON in a private temp dir (0700, the file 0600, owned by the module user when the
// operator set one), its path given as {contextFile} and RINGLOCK_CONTEXT_FILE, removed once the hook has run.
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes `context` and returns its path; `dispose` removes the dir whatever the hook did. */
export function writeContextFile(
  context: unknown,
  user: { uid: number; gid: number } | undefined,
): { file: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ringlock-hook-'));
  const file = join(dir, 'context.json');
  try {
    writeFileSync(file, `${JSON.stringify(context, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    if (user) {
      // The hook runs as the operator's module user: the file must be readable by it and by nobody else.
      chownSync(dir, user.uid, user.gid);
      chownSync(file, user.uid, user.gid);
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
