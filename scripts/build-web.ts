// Builds the web client (web/) into dist/web: hashed, minified assets, index.html pointing at them,
// and a service worker that keeps exactly these files. `npm run build` runs it; the server serves
// the result at /app/ (src/features/web).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WEB_OUT_DIR = join(ROOT, 'dist', 'web');

/** The files index.html loads, by their names below /app/ (what the first screen costs to download). */
export interface WebBuild {
  script: string;
  stylesheet: string;
}

/** Builds beside `outDir` and swaps it in whole, so a server starting meanwhile sees the old build or none, never half of one. */
export async function buildWeb(outDir = WEB_OUT_DIR): Promise<WebBuild> {
  const staging = `${outDir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const built = await buildInto(staging);
  rmSync(outDir, { recursive: true, force: true });
  renameSync(staging, outDir);
  return built;
}

async function buildInto(outDir: string): Promise<WebBuild> {
  const app = await build({
    entryPoints: { app: join(ROOT, 'web', 'src', 'main.ts'), style: join(ROOT, 'web', 'style.css') },
    outdir: join(outDir, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['whispr-source'], // the SDK from its TypeScript sources: no separate SDK build needed
    minify: true,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(app.metafile.outputs).map((path) => `assets/${basename(path)}`);
  const script = outputs.find((name) => name.endsWith('.js'))!;
  const stylesheet = outputs.find((name) => name.endsWith('.css'))!;
  const page = readFileSync(join(ROOT, 'web', 'index.html'), 'utf8')
    .replace('%APP_JS%', script)
    .replace('%APP_CSS%', stylesheet);
  writeFileSync(join(outDir, 'index.html'), page);
  const files = ['./', script, stylesheet];
  await build({
    entryPoints: [join(ROOT, 'web', 'src', 'sw.ts')],
    outfile: join(outDir, 'sw.js'),
    bundle: true,
    format: 'iife',
    target: 'es2022',
    minify: true,
    define: {
      WHISPR_CACHE: JSON.stringify(`whispr-${createHash('sha256').update(files.join('\n')).update(page).digest('hex').slice(0, 16)}`),
      WHISPR_FILES: JSON.stringify(files),
    },
    logLevel: 'warning',
  });
  return { script, stylesheet };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWeb();
