// The file publisher: `<target>/.ringlock/active.json`, beside the file state store's files (state.json, history.jsonl,
// journal.json, lock, store/, …: no name in common). Written atomically (temp file, fsync, rename), so a platform
// reading it in a loop sees the old document or the new one, never a torn one; keys sorted, two-space indented.
import { lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';
import type { DeployTarget } from '../targets/types.js';
import { canonical, isSnapshot } from './snapshot.js';
import type { ActivePublisher, ActiveSnapshot, PublisherFactory, PublishSkipped } from './types.js';

export const ACTIVE_FILE = '.ringlock/active.json';

/** Temps of an atomic write of active.json a killed process left (fsutil/atomic-write.ts names them so). */
const TEMP = /^\.active\.json\.\d+\.[0-9a-f]{12}\.tmp$/;

export class FilePublisher implements ActivePublisher {
  readonly name: string;
  private readonly file: string;
  private readonly dir: string;

  constructor(target: Pick<DeployTarget, 'abs'>) {
    this.file = target.abs(ACTIVE_FILE);
    this.dir = target.abs('.ringlock');
    this.name = `file ${this.file}`;
  }

  /** The file's text; undefined when absent, unreadable or a link (never followed). */
  private text(): string | undefined {
    try {
      if (lstatSync(this.file).isSymbolicLink()) return undefined;
      return readFileSync(this.file, 'utf8');
    } catch {
      return undefined;
    }
  }

  async current(): Promise<ActiveSnapshot | undefined> {
    const text = this.text();
    if (text === undefined) return undefined;
    try {
      const v: unknown = JSON.parse(text);
      return isSnapshot(v) ? v : undefined;
    } catch {
      // Not ours, or written by hand: the next publish replaces it.
      return undefined;
    }
  }

  async publish(snapshot: ActiveSnapshot): Promise<PublishSkipped | undefined> {
    // The state dir is ringlock's: a link planted in its place is never written through.
    const st = lstatSync(this.dir, { throwIfNoEntry: false });
    if (st && !st.isDirectory())
      throw new InputError('publish/file', `${this.dir} is not a directory (a link or a file): not written`, {
        file: this.dir,
        expected: "the target's own .ringlock directory",
      });
    const there = await this.current();
    // A newer writer got there first (a stale snapshot never replaces a newer one).
    if (there && there.ring === snapshot.ring && there.generation > snapshot.generation)
      return { skipped: true, stored: there.generation };
    const text = `${canonical(snapshot, 2)}\n`;
    // The same bytes: not rewritten, so a platform watching the directory sees no event.
    if (this.text() === text) return undefined;
    this.removeStaleTemps();
    writeFileAtomic(this.file, text);
    return undefined;
  }

  /** Publishing holds the target's writer lease: no other process is writing active.json now. */
  private removeStaleTemps(): void {
    let names: string[] = [];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const n of names) if (TEMP.test(n)) rmSync(join(this.dir, n), { force: true });
  }
}

/** On unless the operator config says `publish: {file: false}`. */
export const filePublisherFactory: PublisherFactory = (ctx) =>
  ctx.operator?.publish?.file === false ? undefined : new FilePublisher(ctx.target);
