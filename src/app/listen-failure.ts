import { StartupError } from './startup-error.js';

const FIXES: Record<string, (setting: 'port' | 'metrics_port') => string> = {
  EADDRINUSE: (setting) => `is already in use: stop the other process or choose another ${setting} (${flagOf(setting)})`,
  EACCES: (setting) => `needs privileges this user lacks: choose a ${setting} above 1023 (${flagOf(setting)}) or put a proxy in front`,
  EADDRNOTAVAIL: () => 'names an address this machine does not have: set host (--host, WHISPR_HOST) to one of its addresses or 0.0.0.0',
};

const flagOf = (setting: 'port' | 'metrics_port') => (setting === 'port' ? '--port, WHISPR_PORT' : 'WHISPR_METRICS_PORT');

/** Opens a listener; a busy, privileged or foreign address becomes one line naming it and the fix. */
export async function explainListenFailure<T>(listen: () => Promise<T>, host: string, port: number, setting: 'port' | 'metrics_port'): Promise<T> {
  try {
    return await listen();
  } catch (err) {
    const fix = FIXES[(err as NodeJS.ErrnoException).code ?? ''];
    if (fix === undefined) throw err;
    throw new StartupError(`cannot listen on ${host}:${port}: the address ${fix(setting)}`, { cause: err });
  }
}
