import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

const SCRIPT = new URL('./whispr_desktop_groups.py', import.meta.url).pathname;

export type DesktopAnswer = { ok: true; value: unknown } | { ok: false; status: number | null; body: unknown };

/**
 * One person running the original desktop client's group code (whispr_desktop_groups.py): each
 * command is one line to its Python process, each answer one line back, in order.
 */
export class DesktopPerson {
  private readonly waiting: Array<(answer: DesktopAnswer) => void> = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = '';

  private constructor(serverUrl: string) {
    this.child = spawn('/usr/bin/python3', [SCRIPT, serverUrl]);
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(JSON.parse(line) as DesktopAnswer));
    this.child.on('exit', () => {
      for (const settle of this.waiting.splice(0)) settle({ ok: false, status: null, body: `python exited: ${this.stderr}` });
    });
  }

  static async start(serverUrl: string): Promise<DesktopPerson & { key: string }> {
    const person = new DesktopPerson(serverUrl);
    return Object.assign(person, { key: await person.ok<string>('whoami') });
  }

  /** The answer of one command, as the client sees it: a value or a failed call. */
  run(op: string, args: Record<string, unknown> = {}): Promise<DesktopAnswer> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(`${JSON.stringify({ op, ...args })}\n`);
    });
  }

  /** The value of a command the client expects to succeed; a failed call fails the test with its answer. */
  async ok<T = Record<string, unknown>>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const answer = await this.run(op, args);
    if (!answer.ok) throw new Error(`${op} failed: ${answer.status} ${JSON.stringify(answer.body)} ${this.stderr}`);
    return answer.value as T;
  }

  /** One raw GroupClient call: method, path, query parameters, JSON body. */
  call<T = Record<string, unknown>>(method: string, path: string, params?: Record<string, unknown>, json?: Record<string, unknown>): Promise<T> {
    return this.ok<T>('call', { method, path, params, json });
  }

  stop(): void {
    this.child.stdin.end();
  }
}
