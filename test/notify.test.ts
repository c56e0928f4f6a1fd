import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  NOTIFICATION_EVENTS,
  Notifier,
  type NotifierOptions,
  signBody,
  verifySignature,
} from '../src/daemon/notify.js';
import { InputError } from '../src/errors.js';
import { VERSION } from '../src/version.js';

interface Seen {
  headers: IncomingMessage['headers'];
  raw: Buffer;
  json: { id: string; event: string; ring: string; timestamp: string; data: Record<string, unknown> };
}
type Handler = (res: ServerResponse, n: number) => void | Promise<void>;

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A webhook receiver on 127.0.0.1; `handler` gets the 1-based request number. */
async function receiver(handler: Handler = (res) => void res.writeHead(204).end()) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      seen.push({ headers: req.headers, raw, json: JSON.parse(raw.toString('utf8')) });
      void handler(res, seen.length);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
}

function capture() {
  const lines: { level: string; obj: object; msg: string }[] = [];
  return {
    lines,
    logger: {
      warn: (obj: object, msg: string) => void lines.push({ level: 'warn', obj, msg }),
      debug: (obj: object, msg: string) => void lines.push({ level: 'debug', obj, msg }),
    },
  };
}

/** A notifier whose backoff sleeps are recorded and skipped, so retries are fast and observable. */
function notifier(o: Partial<NotifierOptions> & Pick<NotifierOptions, 'targets'>) {
  const sleeps: number[] = [];
  const log = capture();
  const n = new Notifier({
    ring: 'prod',
    logger: log.logger,
    timeoutMs: 2000,
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0,
    ...o,
  });
  return { n, sleeps, log };
}

describe('Notifier delivery', () => {
  it('POSTs the event as signed JSON with the ringlock headers', async () => {
    const r = await receiver();
    const secret = 'webhook-secret-value';
    const { n } = notifier({ targets: [{ url: r.url, secret }] });

    n.emit('module.installed', { module: 'orders', version: '1.2.0' });
    await n.flush(5000);

    expect(r.seen).toHaveLength(1);
    const [got] = r.seen as [Seen];
    expect(got.json).toMatchObject({ schemaVersion: 1, event: 'module.installed', ring: 'prod' });
    expect(got.json.data).toEqual({ module: 'orders', version: '1.2.0' });
    expect(new Date(got.json.timestamp).toISOString()).toBe(got.json.timestamp);
    expect(got.json.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['user-agent']).toBe(`ringlock/${VERSION}`);
    expect(got.headers['x-ringlock-event']).toBe('module.installed');
    expect(got.headers['x-ringlock-delivery']).toBe(got.json.id);
    const sig = got.headers['x-ringlock-signature-256'];
    expect(verifySignature(secret, got.raw, sig)).toBe(true);
    expect(sig).toBe(`sha256=${createHmac('sha256', secret).update(got.raw).digest('hex')}`);
    expect(n.stats).toEqual({ delivered: 1, failed: 0, dropped: 0 });
  });

  it('sends no signature header without a secret, and only the events a target asked for, in order', async () => {
    const all = await receiver();
    const failures = await receiver();
    const { n } = notifier({ targets: [{ url: all.url }, { url: failures.url, events: ['module.failed'] }] });

    n.emit('module.installed', { module: 'a' });
    n.emit('module.failed', { module: 'b' });
    n.emit('drift.detected', { module: 'c' });
    await n.flush(5000);

    expect(all.seen.map((s) => s.json.event)).toEqual([
      'module.installed',
      'module.failed',
      'drift.detected',
    ]);
    expect(failures.seen.map((s) => s.json.event)).toEqual(['module.failed']);
    // One event, one id, whichever target receives it.
    expect(failures.seen[0]!.json.id).toBe(all.seen[1]!.json.id);
    expect(all.seen[0]!.headers['x-ringlock-signature-256']).toBeUndefined();
    expect(n.stats.delivered).toBe(4);
  });

  it('retries a 500 and then delivers the same delivery id', async () => {
    const r = await receiver((res, i) => void res.writeHead(i === 1 ? 500 : 200).end());
    const { n, sleeps } = notifier({ targets: [{ url: r.url }] });

    n.emit('module.upgraded', { module: 'orders' });
    await n.flush(5000);

    expect(r.seen).toHaveLength(2);
    expect(r.seen[1]!.json.id).toBe(r.seen[0]!.json.id);
    expect(sleeps).toHaveLength(1);
    expect(n.stats).toEqual({ delivered: 1, failed: 0, dropped: 0 });
  });

  it('does not retry a 400 and reports the failure', async () => {
    const r = await receiver((res) => void res.writeHead(400).end('bad'));
    const { n, log } = notifier({ targets: [{ url: r.url }] });

    n.emit('reconcile.failed', { error: 'x' });
    await n.flush(5000);

    expect(r.seen).toHaveLength(1);
    expect(n.stats).toEqual({ delivered: 0, failed: 1, dropped: 0 });
    expect(log.lines.find((l) => l.level === 'warn')).toMatchObject({
      msg: 'notification failed',
      obj: { status: 400 },
    });
  });

  it('gives up on a receiver that never answers, after the retries', async () => {
    const r = await receiver(() => {});
    const { n, log } = notifier({ targets: [{ url: r.url }], timeoutMs: 100, retries: 1 });

    n.emit('module.rolled_back', { module: 'orders' });
    await n.flush(10_000);

    expect(r.seen).toHaveLength(2);
    expect(n.stats.failed).toBe(1);
    expect(JSON.stringify(log.lines.filter((l) => l.level === 'warn'))).toContain('no answer within 100 ms');
  });

  it('honours Retry-After on 429, up to the cap', async () => {
    const r = await receiver((res, i) => {
      if (i === 1) res.writeHead(429, { 'retry-after': '2' }).end();
      else if (i === 2) res.writeHead(503, { 'retry-after': '3600' }).end();
      else res.writeHead(200).end();
    });
    const { n, sleeps } = notifier({ targets: [{ url: r.url }], retryAfterCapMs: 5000 });

    n.emit('module.installed', {});
    await n.flush(5000);

    expect(sleeps).toEqual([2000, 5000]);
    expect(n.stats.delivered).toBe(1);
  });
});

describe('Notifier queue', () => {
  it('drops the oldest pending deliveries when a target falls behind, and counts them', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const r = await receiver(async (res) => {
      await gate;
      res.writeHead(200).end();
    });
    const { n, log } = notifier({ targets: [{ url: r.url }], maxQueue: 2 });

    for (let i = 1; i <= 5; i++) n.emit('module.installed', { n: i });
    open();
    await n.flush(5000);

    // #1 was already in flight; #2 and #3 made room for #4 and #5.
    expect(r.seen.map((s) => s.json.data['n'])).toEqual([1, 4, 5]);
    expect(n.stats).toEqual({ delivered: 3, failed: 0, dropped: 2 });
    expect(log.lines.filter((l) => /queue full/.test(l.msg))).toHaveLength(2);
  });

  it('emit returns at once; flush waits for the deliveries, or gives up after its timeout', async () => {
    const r = await receiver();
    const { n } = notifier({ targets: [{ url: r.url }] });
    for (let i = 0; i < 3; i++) n.emit('drift.detected', { i });
    expect(n.stats.delivered).toBe(0);
    await n.flush(5000);
    expect(n.stats.delivered).toBe(3);

    const silent = await receiver(() => {});
    const stuck = notifier({ targets: [{ url: silent.url }], retries: 0, timeoutMs: 60_000 });
    stuck.n.emit('drift.detected', {});
    await stuck.n.flush(50);
    expect(stuck.log.lines.map((l) => l.msg)).toContain('notifications still pending at shutdown');
  });
});

describe('Notifier configuration and secrets', () => {
  it.each(['ftp://hooks.example.com/x', 'not a url', 'file:///etc/passwd'])('refuses %s', (url) => {
    expect(() => new Notifier({ ring: 'prod', targets: [{ url }] })).toThrow(
      expect.objectContaining({ code: 'config/notification-url' }),
    );
  });

  it('refuses unknown events and keeps URL credentials out of the message', () => {
    let err: unknown;
    try {
      new Notifier({ ring: 'prod', targets: [{ url: 'ftp://alice:hunter22@example.com/' }] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect(JSON.stringify({ m: (err as Error).message, c: String((err as Error).cause) })).not.toContain(
      'hunter22',
    );
    // biome-ignore lint/suspicious/noExplicitAny: an event name a YAML file could contain
    const events = ['module.exploded' as any];
    expect(() => new Notifier({ ring: 'p', targets: [{ url: 'https://x.test/', events }] })).toThrow(
      expect.objectContaining({ code: 'config/notification-event' }),
    );
    expect(NOTIFICATION_EVENTS).toContain('drift.detected');
  });

  it('never logs the secret or URL credentials, and sends the credentials as Basic auth', async () => {
    const r = await receiver((res, i) => void res.writeHead(i === 1 ? 502 : 401).end('nope'));
    const secret = 'super-secret-signing-key';
    const url = r.url.replace('http://', 'http://deploy:p4ssw0rd-xyz@') + '?token=query-token-123';
    const { n, log } = notifier({ targets: [{ url, secret }] });

    n.emit('module.failed', { module: 'orders' });
    await n.flush(5000);

    expect(r.seen).toHaveLength(2);
    expect(r.seen[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('deploy:p4ssw0rd-xyz').toString('base64')}`,
    );
    const logged = JSON.stringify(log.lines);
    expect(log.lines.length).toBeGreaterThan(1);
    for (const s of [secret, 'p4ssw0rd-xyz', 'query-token-123']) expect(logged).not.toContain(s);
  });
});

describe('signatures', () => {
  it("accepts GitHub's published test vector", () => {
    const sig = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(signBody("It's a Secret to Everybody", 'Hello, World!')).toBe(sig);
    expect(verifySignature("It's a Secret to Everybody", Buffer.from('Hello, World!'), sig)).toBe(true);
  });

  it('rejects wrong, missing, malformed and different-length signatures', () => {
    const secret = "It's a Secret to Everybody";
    const good = signBody(secret, 'Hello, World!');
    expect(verifySignature(secret, 'Hello, World?', good)).toBe(false);
    expect(verifySignature('another secret', 'Hello, World!', good)).toBe(false);
    expect(verifySignature(secret, 'Hello, World!', undefined)).toBe(false);
    expect(verifySignature(secret, 'Hello, World!', '')).toBe(false);
    expect(verifySignature(secret, 'Hello, World!', good.slice(0, -2))).toBe(false);
    expect(verifySignature(secret, 'Hello, World!', `${good}00`)).toBe(false);
    expect(verifySignature(secret, 'Hello, World!', good.replace('sha256=', 'sha1=xx'))).toBe(false);
    expect(verifySignature(secret, 'Hello, World!', [good])).toBe(false);
  });
});
