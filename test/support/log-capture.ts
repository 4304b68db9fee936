/** A pino logger whose lines a test keeps in memory, to look at what a server logged. */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface LogCapture {
  logger: Logger;
  /** Every complete line written so far (JSON text). */
  lines: string[];
  /** The lines at level error or above, parsed. */
  errors(): Array<Record<string, unknown>>;
  /** Ends the sink: nothing logged afterwards is kept. */
  end(): void;
}

const PINO_ERROR = 50;

export function captureLog(level: string): LogCapture {
  const lines: string[] = [];
  let partial = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      partial += chunk.toString('utf8');
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) if (line.trim() !== '') lines.push(line);
      done();
    },
  });
  return {
    logger: pino({ level }, sink),
    lines,
    errors: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => (entry.level as number) >= PINO_ERROR),
    end: () => sink.end(),
  };
}
