// The change feed as the leader hears it: a dedicated connection LISTENs on the schema's channel and hands on the
// `wake` notifications of its ring (a verified webhook that reached a standby). Reconnects after the server restarts.
import pg from 'pg';
import type { PgStoreOptions } from './options.js';

export class WakeListener {
  private client?: pg.Client;
  private closed = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly o: PgStoreOptions,
    private readonly channel: string,
    private readonly onWake: (commit: string | undefined) => void,
  ) {}

  /** Connects and listens (once; later calls wait for nothing). Throws when the first connection fails. */
  async start(): Promise<void> {
    if (this.client || this.closed) return;
    const c = new pg.Client({
      connectionString: this.o.url,
      connectionTimeoutMillis: this.o.connectTimeoutMs,
      application_name: `${this.o.applicationName}:listen`.slice(0, 63),
      keepAlive: true,
    });
    const again = () => {
      if (this.client !== c) return;
      this.client = undefined;
      this.later();
    };
    c.on('error', again);
    c.on('end', again);
    c.on('notification', (n) => {
      if (n.channel !== this.channel || !n.payload) return;
      try {
        const p = JSON.parse(n.payload) as { ring?: string; kind?: string; commit?: unknown };
        if (p.ring === this.o.ring && p.kind === 'wake')
          this.onWake(typeof p.commit === 'string' ? p.commit : undefined);
      } catch {
        // Not ours: every payload ringlock sends is JSON.
      }
    });
    this.client = c;
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
    } catch (e) {
      this.client = undefined;
      await c.end().catch(() => undefined);
      throw e;
    }
  }

  /** Connects again after a poll (a wake missed meanwhile is covered by the leader's own schedule). */
  private later(): void {
    if (this.closed) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.start().catch(() => this.later()), this.o.pollMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}
