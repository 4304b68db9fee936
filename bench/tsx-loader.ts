import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const require = createRequire(import.meta.url);

/** Node flags that let a child process load .ts files (tsx's loader by absolute URL, so any cwd works). */
export function tsxExecArgv(): string[] {
  return ['--import', pathToFileURL(require.resolve('tsx')).href];
}

/**
 * A worker thread running a .ts module. On Node 20 a worker does not pick up `--import tsx`
 * before its entry is loaded, so a tiny JS entry registers tsx's ESM hooks, then imports the module.
 */
export function tsWorker(moduleUrl: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const api = pathToFileURL(require.resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  const entry = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl.href)}); });`;
  return new Worker(entry, { ...options, eval: true });
}
