/**
 * A real nginx (Debian package) in front of test servers, running a copy of a shipped config in
 * deploy/ with only ports, upstream addresses, certificate, pid and temp paths changed.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freeTcpPort, startDaemon, tcpOpen, which, type Daemon } from './daemon.js';

const run = promisify(execFile);
export const NGINX = which('nginx');

/** False (with a visible notice) when nginx is missing on a laptop; throws in CI, where .ci/run installs it. */
export function nginxAvailable(suite: string): boolean {
  if (NGINX !== undefined) return true;
  if (process.env.CI === 'true') throw new Error('nginx is required in CI: apt-get install nginx-light (.ci/run does)');
  console.warn(`SKIPPED: ${suite} needs nginx (Debian package nginx-light)`);
  return false;
}

export interface TestNginx {
  httpPort: number;
  httpsPort: number;
  /** The self-signed certificate nginx serves (trust it as the CA). */
  ca: Buffer;
  stop(): Promise<void>;
}

/** Replaces `from` exactly once: if the shipped file changed shape, the test says so instead of testing something else. */
function replaceOnce(file: string, text: string, from: string | RegExp, to: string): string {
  const count = typeof from === 'string' ? text.split(from).length - 1 : (text.match(new RegExp(from.source, `${from.flags.replace('g', '')}g`)) ?? []).length;
  if (count !== 1) throw new Error(`${file}: expected exactly one ${String(from)}, found ${count}; update the test that uses it`);
  return text.replace(from, to);
}

/**
 * Starts nginx on `file` (e.g. 'deploy/nginx.conf') with `upstreams` rewritten ([text in the shipped
 * file, replacement] pairs), after `nginx -t` accepted the config; resolves once both ports answer.
 */
export async function startTestNginx(file: string, upstreams: ReadonlyArray<[string, string]>): Promise<TestNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'whispr-nginx-'));
  chmodSync(dir, 0o755); // nginx workers (user nobody when started as root) create their temp files below
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  const [httpPort, httpsPort] = [await freeTcpPort(), await freeTcpPort()];
  // Temp folders of the modules this nginx has (by default under /var/lib/nginx).
  const { stderr: build } = await run(NGINX!, ['-V']);
  const temps = ['client_body', 'proxy', ...['fastcgi', 'uwsgi', 'scgi'].filter((m) => !build.includes(`--without-http_${m}_module`))];
  const edit = (text: string, from: string | RegExp, to: string) => replaceOnce(file, text, from, to);
  let conf = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
  conf = edit(conf, /^pid .*;$/m, '# pid: given with -g');
  conf = edit(conf, 'worker_processes auto;', 'worker_processes 1;');
  conf = edit(conf, 'http {\n', `http {\n${temps.map((t) => `    ${t}_temp_path ${join(dir, `${t}_temp`)};\n`).join('')}`);
  for (const [from, to] of upstreams) conf = edit(conf, from, to);
  conf = edit(conf, /listen 80;\s*listen \[::\]:80;/, `listen 127.0.0.1:${httpPort};`);
  conf = edit(conf, /listen 443 ssl http2;\s*listen \[::\]:443 ssl http2;/, `listen 127.0.0.1:${httpsPort} ssl http2;`);
  conf = edit(conf, /ssl_certificate\s+\S+;/, `ssl_certificate ${cert};`);
  conf = edit(conf, /ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${key};`);
  const confPath = join(dir, 'nginx.conf');
  writeFileSync(confPath, conf);
  const args = ['-p', dir, '-c', confPath, '-e', join(dir, 'error.log'), '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`];
  const checked = await run(NGINX!, ['-t', ...args]).catch((err: { stderr?: string }) => {
    throw new Error(`nginx -t refused the config made from ${file}:\n${err.stderr}`);
  });
  if (!checked.stderr.includes('test is successful')) throw new Error(`nginx -t did not accept ${file}:\n${checked.stderr}`);
  let daemon: Daemon | undefined;
  try {
    daemon = await startDaemon(NGINX!, args, async () => (await tcpOpen(httpsPort)) && (await tcpOpen(httpPort)));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    httpPort,
    httpsPort,
    ca: readFileSync(cert),
    async stop() {
      await daemon?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
