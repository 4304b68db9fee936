/** Real third-party servers (coturn, nginx) run by a test as its own children, and the ports they use. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { eventually } from './test-server.js';

/** An executable on PATH (or in /usr/sbin, /sbin, which a non-root PATH may lack), or undefined. */
export function which(name: string): string | undefined {
  return [...(process.env.PATH ?? '/usr/bin').split(delimiter), '/usr/sbin', '/sbin'].map((dir) => join(dir, name)).find((path) => existsSync(path));
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export const tcpOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** A TCP port free on 127.0.0.1 right now. */
export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Daemon {
  /** Its stdout and stderr so far. */
  log(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 3 s. */
  stop(): Promise<void>;
}

/**
 * Starts `command args` and resolves once `ready()` holds (rejects, killing it, if it exits first or
 * after `timeoutMs`). Where setpriv exists, --pdeathsig makes the kernel kill it if this test
 * process dies without stopping it.
 */
export async function startDaemon(command: string, args: string[], ready: () => Promise<boolean>, timeoutMs = 10_000): Promise<Daemon> {
  const setpriv = which('setpriv');
  const child =
    setpriv === undefined
      ? spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(setpriv, ['--pdeathsig', 'SIGKILL', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const kill = () => {
    if (running()) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const daemon: Daemon = {
    log: () => log,
    async stop() {
      if (running()) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(kill, 3_000);
        await exited;
        clearTimeout(timer);
      }
      process.off('exit', kill);
    },
  };
  try {
    await eventually(async () => {
      if (!running()) throw new Error(`${command} exited with ${child.exitCode ?? child.signalCode}:\n${log}`);
      return ready();
    }, timeoutMs);
  } catch (err) {
    await daemon.stop();
    throw err;
  }
  return daemon;
}
