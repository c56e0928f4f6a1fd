// One task at a time: requests made while it runs are coalesced into a single run after it, so a burst of requests
// costs at most two runs, never a queue.

export class Coalesced<T> {
  private running = false;
  private again = false;
  private arg?: T;
  constructor(
    private readonly task: (arg: T) => Promise<void>,
    /** Folds the arguments of coalesced requests into one. */
    private readonly merge: (a: T | undefined, b: T) => T,
    private readonly stopped: () => boolean = () => false,
  ) {}

  request(arg: T): void {
    this.arg = this.merge(this.arg, arg);
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void (async () => {
      do {
        this.again = false;
        const a = this.arg as T;
        this.arg = undefined;
        await this.task(a).catch(() => {});
      } while (this.again && !this.stopped());
    })().finally(() => {
      this.running = false;
    });
  }
}
