// A remote hook run's bounds: the hook's timeout counted from the start of the run (API calls included, so an API
// server that accepts and never answers cannot hold the operation), and the run's abort signal (SIGTERM/SIGINT, the
// writer lease lost). Every API call of a run goes through `call`: cut at whichever comes first, its request cancelled.

/** Why a run stops before its hook has finished. */
export type StopReason = 'timeout' | 'aborted';

/** The longest wait a timer can make (a longer one fires at once). */
const MAX_TIMER_MS = 2_147_483_647;
/** Thrown by a call or a wait that the deadline or the abort cut short. */
export class RunStopped extends Error {
  constructor(
    readonly reason: StopReason,
    what: string,
  ) {
    super(
      reason === 'timeout'
        ? `the hook's timeout passed while ${what}`
        : `ringlock is stopping (while ${what})`,
    );
  }
}

/** The per-call options of @kubernetes/client-node: a middleware giving the request its AbortSignal. */
export type ApiOptions = Parameters<import('@kubernetes/client-node').BatchV1Api['readNamespacedJob']>[1];

export class RunBounds {
  readonly at: number;

  constructor(
    timeoutMs: number,
    readonly signal: AbortSignal | undefined,
    readonly started = Date.now(),
  ) {
    this.at = started + timeoutMs;
  }

  /** Milliseconds left, at most what a timer can wait (2^31 - 1 ms, ~24.8 days: a longer one fires at once). */
  remaining(): number {
    return Math.min(MAX_TIMER_MS, Math.max(0, this.at - Date.now()));
  }

  /** Why the run must stop now, if it must. */
  stopped(): StopReason | undefined {
    if (this.signal?.aborted) return 'aborted';
    if (Date.now() >= this.at) return 'timeout';
    return undefined;
  }

  /**
   * Runs `fn` (one API request, or a connection) until it settles, the deadline passes or the run is aborted; then
   * `fn`'s signal is aborted (the request is cancelled) and the call rejects with RunStopped.
   */
  async call<T>(what: string, fn: (options: ApiOptions, signal: AbortSignal) => Promise<T>): Promise<T> {
    const early = this.stopped();
    if (early) throw new RunStopped(early, what);
    const ctrl = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const cut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const e = new RunStopped('timeout', what);
        ctrl.abort(e);
        reject(e);
      }, this.remaining());
      onAbort = () => {
        const e = new RunStopped('aborted', what);
        ctrl.abort(e);
        reject(e);
      };
      this.signal?.addEventListener('abort', onAbort, { once: true });
    });
    // An observable middleware as the client's own setHeaderMiddleware builds it (its Observable stub is only ever
    // asked for toPromise()).
    const of = <V>(v: V) => ({ toPromise: () => Promise.resolve(v) });
    const options = {
      middleware: [
        {
          pre: (ctx: { setSignal(s: AbortSignal): void }) => {
            ctx.setSignal(ctrl.signal);
            return of(ctx);
          },
          post: <R>(rsp: R) => of(rsp),
        },
      ],
      middlewareMergeStrategy: 'append',
    } as unknown as ApiOptions;
    try {
      return await Promise.race([fn(options, ctrl.signal), cut]);
    } finally {
      clearTimeout(timer);
      if (onAbort) this.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Waits `ms`, cut short (RunStopped) by the deadline or the abort. */
  sleep(ms: number, what: string): Promise<void> {
    return this.call(
      what,
      (_o, signal) =>
        new Promise<void>((resolve) => {
          const t = setTimeout(resolve, ms);
          signal.addEventListener('abort', () => clearTimeout(t), { once: true });
        }),
    );
  }
}
