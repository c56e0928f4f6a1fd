// Prometheus text exposition (format 0.0.4) for the daemon's few metrics: counters, gauges and histograms with labels.
// Hand-written rather than a client library: a dozen series, and the idle daemon's memory matters.

type Labels = Record<string, string>;

const key = (l: Labels) =>
  Object.keys(l)
    .sort()
    .map((k) => `${k}="${l[k]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}
  abstract lines(): string[];
  header(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
  }
}

export class Counter extends Metric {
  private values = new Map<string, number>();
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(key(labels)) ?? 0;
  }
  lines(): string[] {
    return [...this.values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${v}`);
  }
}

export class Gauge extends Metric {
  private values = new Map<string, number>();
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }
  set(value: number, labels: Labels = {}): void {
    this.values.set(key(labels), value);
  }
  /** Replaces every labelled value at once (e.g. modules by state), so states that emptied read 0, not stale. */
  replace(values: { labels: Labels; value: number }[]): void {
    for (const k of this.values.keys()) this.values.set(k, 0);
    for (const v of values) this.values.set(key(v.labels), v.value);
  }
  lines(): string[] {
    return [...this.values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${v}`);
  }
}

export class Histogram extends Metric {
  private counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    name: string,
    help: string,
    readonly buckets: number[],
  ) {
    super(name, help, 'histogram');
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    this.buckets.forEach((b, i) => {
      if (v <= b) this.counts[i]!++;
    });
  }
  lines(): string[] {
    const out = this.buckets.map((b, i) => `${this.name}_bucket{le="${b}"} ${this.counts[i]}`);
    out.push(`${this.name}_bucket{le="+Inf"} ${this.count}`);
    out.push(`${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
    return out;
  }
}

export class MetricsRegistry {
  private metrics: Metric[] = [];
  add<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return `${this.metrics.flatMap((m) => [...m.header(), ...m.lines()]).join('\n')}\n`;
  }
}

/** The daemon's metrics. */
export function daemonMetrics() {
  const r = new MetricsRegistry();
  return {
    registry: r,
    reconciles: r.add(new Counter('ringlock_reconciles_total', 'Reconcile runs by outcome.')),
    reconcileSeconds: r.add(
      new Histogram(
        'ringlock_reconcile_duration_seconds',
        'Wall time of a reconcile run.',
        [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      ),
    ),
    gitFetchSeconds: r.add(
      new Histogram(
        'ringlock_git_fetch_duration_seconds',
        'Wall time of a git fetch (or the first clone).',
        [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      ),
    ),
    gitFailures: r.add(new Counter('ringlock_git_fetch_failures_total', 'Git fetches that failed, by code.')),
    hookRuns: r.add(
      new Counter(
        'ringlock_hook_runs_total',
        'Lifecycle hooks run, by hook and outcome (per-tenant hooks once per tenant).',
      ),
    ),
    modules: r.add(new Gauge('ringlock_modules', 'Modules of the ring by state.')),
    drift: r.add(
      new Gauge('ringlock_drift_modules', 'Modules whose deployed tree or state differs from the lock.'),
    ),
    lastSuccess: r.add(
      new Gauge('ringlock_last_success_timestamp_seconds', 'Unix time of the last successful reconcile.'),
    ),
    webhooks: r.add(new Counter('ringlock_webhooks_total', 'Incoming webhook requests by result.')),
    suspended: r.add(new Gauge('ringlock_suspended', '1 while the ring is suspended.')),
    ready: r.add(new Gauge('ringlock_ready', '1 once the first sync succeeded.')),
    leader: r.add(
      new Gauge(
        'ringlock_leader',
        "1 while this replica holds its ring's writer lease (shared state store).",
      ),
    ),
    takeovers: r.add(
      new Counter(
        'ringlock_lease_takeovers_total',
        'Times this replica took the writer lease and became leader.',
      ),
    ),
  };
}
export type DaemonMetrics = ReturnType<typeof daemonMetrics>;
