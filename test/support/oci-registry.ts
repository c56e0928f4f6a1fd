// A real OCI registry for tests: Debian's docker-registry (CNCF distribution 2.8) on a free loopback port with its
// storage in a temp dir, stoppable and restartable on the same port and storage; optionally with token auth, whose
// token service is the test's own server on loopback: it checks Basic credentials and signs an RS256 JWT with a key
// whose self-signed certificate the registry trusts (rootcertbundle).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createPrivateKey, createSign, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DOCKER_REGISTRY = '/usr/bin/docker-registry';
export const hasDockerRegistry = existsSync(DOCKER_REGISTRY);

export interface TokenAuth {
  user: string;
  password: string;
}

export interface TokenRequest {
  authorization?: string;
  service?: string;
  scope?: string;
}

export interface OciRegistry {
  /** `oci://127.0.0.1:<port>/<prefix>` */
  url(prefix?: string): string;
  port: number;
  dir: string;
  /** The token service's base URL (auth variant). */
  tokenUrl?: string;
  /** Requests the token service answered, in order. */
  tokenRequests: TokenRequest[];
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface OciRegistryOptions {
  auth?: TokenAuth;
  /** Basic auth by the registry itself (htpasswd, bcrypt), as ECR-like registries ask for. */
  basic?: TokenAuth;
  /** The realm the registry sends clients to (default: the token service). */
  realm?: (tokenUrl: string) => string;
}

// A test run that ends without closing its registries (a crash, a timeout) still stops them.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

/** An RS256 JWT the registry accepts: x5c holds the certificate the registry's rootcertbundle trusts. */
function signToken(keyPem: string, certPem: string, claims: Record<string, unknown>): string {
  const der = new X509Certificate(certPem).raw.toString('base64');
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [der] }));
  const payload = b64url(JSON.stringify(claims));
  const sig = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(createPrivateKey(keyPem));
  return `${header}.${payload}.${b64url(sig)}`;
}

async function startTokenServer(dir: string, auth: TokenAuth, seen: TokenRequest[]) {
  const key = join(dir, 'token.key');
  const cert = join(dir, 'token.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=ringlock-test-token',
    ],
    { stdio: 'ignore' },
  );
  const keyPem = readFileSync(key, 'utf8');
  const certPem = readFileSync(cert, 'utf8');
  const server = createServer((req: IncomingMessage, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const r: TokenRequest = {
      authorization: req.headers.authorization,
      service: u.searchParams.get('service') ?? undefined,
      scope: u.searchParams.get('scope') ?? undefined,
    };
    seen.push(r);
    const want = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
    if (req.headers.authorization !== want) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end('{"details":"incorrect username or password"}');
      return;
    }
    const access = (u.searchParams.getAll('scope') ?? []).flatMap((s) => {
      const m = /^repository:([^:]+):(.+)$/.exec(s);
      return m ? [{ type: 'repository', name: m[1], actions: m[2]!.split(',') }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const token = signToken(keyPem, certPem, {
      iss: 'ringlock-test-issuer',
      sub: auth.user,
      aud: 'ringlock-test-registry',
      exp: now + 3600,
      nbf: now - 60,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    });
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token, expires_in: 3600 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, cert, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A bcrypt hash (the registry's htpasswd takes no other), by libcrypt through Python's crypt module. */
function bcrypt(password: string): string {
  return execFileSync(
    'python3',
    [
      '-W',
      'ignore',
      '-c',
      'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))',
      password,
    ],
    { encoding: 'utf8' },
  ).trim();
}

export const hasBcrypt = (() => {
  try {
    return bcrypt('x').startsWith('$2');
  } catch {
    return false;
  }
})();

/** GET /v2/ until the registry answers (it prints nothing when it is ready). */
async function ready(port: number, child: ChildProcess, log: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null)
      throw new Error(`docker-registry exited ${child.exitCode}: ${readFileSync(log, 'utf8')}`);
    const ok = await new Promise<boolean>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/v2/', method: 'GET' }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`docker-registry did not come up on ${port}: ${readFileSync(log, 'utf8')}`);
}

export async function startOciRegistry(o: OciRegistryOptions = {}): Promise<OciRegistry> {
  if (!hasDockerRegistry)
    throw new Error(`${DOCKER_REGISTRY} is missing: apt-get install docker-registry (.ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'ringlock-oci-'));
  const port = await freePort();
  const tokenRequests: TokenRequest[] = [];
  let token: { server: Server; cert: string; url: string } | undefined;
  if (o.auth) token = await startTokenServer(dir, o.auth, tokenRequests);
  const realm = token ? (o.realm?.(token.url) ?? `${token.url}/token`) : undefined;
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    ...(token
      ? [
          'auth:',
          '  token:',
          `    realm: ${realm}`,
          '    service: ringlock-test-registry',
          '    issuer: ringlock-test-issuer',
          `    rootcertbundle: ${token.cert}`,
        ]
      : []),
  ].join('\n');
  const htpasswd = o.basic
    ? [`auth:`, `  htpasswd:`, `    realm: ringlock-test`, `    path: ${join(dir, 'htpasswd')}`]
    : [];
  if (o.basic) writeFileSync(join(dir, 'htpasswd'), `${o.basic.user}:${bcrypt(o.basic.password)}\n`);
  writeFileSync(join(dir, 'config.yml'), `${[config, ...htpasswd].join('\n')}\n`);
  const log = join(dir, 'registry.log');
  let child: ChildProcess | undefined;
  const reg: OciRegistry = {
    url: (prefix = 'modules') => `oci://127.0.0.1:${port}/${prefix}`,
    port,
    dir,
    tokenUrl: token?.url,
    tokenRequests,
    async start() {
      const c = spawn(DOCKER_REGISTRY, ['serve', join(dir, 'config.yml')], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const chunks: Buffer[] = [];
      c.stderr?.on('data', (b: Buffer) => {
        chunks.push(b);
        writeFileSync(log, Buffer.concat(chunks));
      });
      writeFileSync(log, '');
      child = c;
      running.add(c);
      c.once('exit', () => running.delete(c));
      await ready(port, c, log);
    },
    async stop() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    },
    async close() {
      await reg.stop();
      if (token) {
        token.server.closeAllConnections();
        await new Promise((r) => token!.server.close(r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await reg.start();
  return reg;
}
