// The stand-in API server's fake kubelet: what a pod's container runs is a LOCAL child process, so exit codes, output
// and kills are real. An exec stream that closes does not stop its process (as with a real kubelet), and a Job's pod
// runs its container's command with the container's env.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { WebSocket } from 'ws';

export interface RunningProcess {
  pid: number;
  command: string[];
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  output: string;
  child: ChildProcess;
  done: Promise<void>;
}

/** Every local process the kubelet started, for the tests' assertions (is the hook's process gone?). */
export class FakeKubelet {
  readonly processes: RunningProcess[] = [];

  start(command: string[], env: Record<string, string>, stdin: boolean): RunningProcess {
    const child = spawn(command[0]!, command.slice(1), {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      // Its own group, so stopping the stand-in can take a whole container down.
      detached: true,
    });
    let resolveDone!: () => void;
    const rec: RunningProcess = {
      pid: child.pid ?? -1,
      command,
      output: '',
      child,
      done: new Promise((r) => {
        resolveDone = r;
      }),
    };
    child.stdin?.on('error', () => {});
    const keep = (b: Buffer) => {
      rec.output += b.toString('utf8');
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (e) => {
      rec.output += `${e.message}\n`;
      rec.exit = { code: 128, signal: null };
      resolveDone();
    });
    child.on('close', (code, signal) => {
      rec.exit = { code, signal };
      resolveDone();
    });
    this.processes.push(rec);
    return rec;
  }

  /** Kills a container's whole group (a pod deleted). */
  kill(rec: RunningProcess): void {
    if (rec.exit) return;
    try {
      process.kill(-rec.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }

  async stopAll(): Promise<void> {
    for (const p of this.processes) this.kill(p);
    await Promise.all(this.processes.map((p) => p.done));
  }
}

/** A pid is alive (not a zombie): the assertion that a remote kill worked. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const CLOSE = 255;

export interface ExecStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason: string; message: string }[] };
}

/**
 * Serves one exec stream like the API server and kubelet do with the channel protocols: stdin on 0 (v5: [255, 0]
 * closes it), stdout 1, stderr 2, and once the process has exited the status on 3, then the socket closes. A client
 * that closes the socket early leaves the process running.
 */
export function serveExec(
  ws: WebSocket,
  kubelet: FakeKubelet,
  command: string[],
  opts: { stdin: boolean; tty: boolean },
  validateStatus: (s: ExecStatus) => void,
): RunningProcess {
  const v5 = ws.protocol === 'v5.channel.k8s.io';
  const rec = kubelet.start(command, {}, opts.stdin);
  const child = rec.child;
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  child.stdout?.on('data', (b: Buffer) => send(STDOUT, b));
  child.stderr?.on('data', (b: Buffer) => send(STDERR, b));
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const buf = isBinary ? data : Buffer.from(data.toString(), 'utf8');
    if (buf.length === 0) return;
    const channel = buf[0];
    if (channel === STDIN) child.stdin?.write(buf.subarray(1));
    else if (channel === CLOSE && v5 && buf[1] === STDIN) child.stdin?.end();
    // Channel 4 (resize) means nothing without a tty.
  });
  // The socket closing is not the process ending: a real kubelet leaves it running.
  ws.on('close', () => child.stdin?.end());
  void rec.done.then(() => {
    const code = rec.exit?.code ?? (rec.exit?.signal ? 128 + signalNumber(rec.exit.signal) : 1);
    const status: ExecStatus =
      code === 0
        ? { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' }
        : {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
            reason: 'NonZeroExitCode',
            details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
          };
    validateStatus(status);
    send(ERROR, Buffer.from(JSON.stringify(status)));
    if (ws.readyState === ws.OPEN) ws.close(1000);
  });
  return rec;
}

function signalNumber(sig: NodeJS.Signals): number {
  return constants.signals[sig] ?? 0;
}
